"""The polling benchmark: claimwatch's whole pipeline against the ``reader`` library.

The parent starts the feed server (bench/feeds.py) and then each contender in its own process
(``python -m bench.polling --contender NAME ...``), so each one's CPU time and peak memory are
its own. Each contender runs three passes over the same feeds: all new, unchanged (304s), and
10% of the feeds changed. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.feeds import feed_path

PASSES = ("new", "unchanged", "changed")
CONCURRENCY = 32  # claimwatch: sources fetched at once (poll_concurrency, fetch_per_host)
READER_WORKERS = 16  # reader: its fetch threads (update_feeds(workers=...))
CHILD_TIMEOUT_S = 1800


# ---- the parent ---------------------------------------------------------------------------


@contextmanager
def feed_server(n: int) -> Iterator[str]:
    """Serve n synthetic feeds from a child process; yields the base URL on 127.0.0.1."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.feeds", "--feeds", str(n)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=_root(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"feed server did not start (said {line!r})")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the server stops when its stdin closes
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_polling(
    n: int,
    workdir: Path,
    contenders: tuple[str, ...] = ("claimwatch", "reader"),
) -> dict[str, dict[str, Any]]:
    """Run each contender against the same n feeds; returns {contender: measurements}."""
    results: dict[str, dict[str, Any]] = {}
    with feed_server(n) as base:
        for name in contenders:
            control(base, gen=0)
            where = workdir / f"polling-{name}-{n}"
            where.mkdir(parents=True, exist_ok=True)
            for old in where.glob("*.db*"):
                old.unlink()
            cmd = [sys.executable, "-m", "bench.polling", "--contender", name]
            cmd += ["--base", base, "--feeds", str(n), "--workdir", str(where)]
            env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
            done = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                cwd=_root(),
                env=env,
                timeout=CHILD_TIMEOUT_S,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"{name} bench failed:\n{done.stderr[-3000:]}")
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def control(base: str, gen: int | None = None) -> str:
    """Switch the server's feed generation; returns (and resets) its 200/304 counts."""
    url = f"{base}/_control" + (f"?gen={gen}" if gen is not None else "")
    assert url.startswith("http://127.0.0.1:")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        return resp.read().decode()


def _root() -> Path:
    return Path(__file__).resolve().parent.parent


# ---- the children -------------------------------------------------------------------------


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(base: str, run_pass: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """Run the three passes; the server's counts are read (and reset) outside the timing."""
    out: dict[str, Any] = {"setup_peak_mb": round(_peak_mb(), 1), "passes": {}}
    control(base)
    for name in PASSES:
        if name == "changed":
            control(base, gen=1)
        wall, cpu = time.perf_counter(), _cpu()
        info = run_pass(name)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        out["passes"][name] = dict(wall_s=wall, cpu_s=cpu, server=control(base), **info)
    out["peak_mb"] = round(_peak_mb(), 1)
    return out


def _claimwatch(base: str, n: int, workdir: Path) -> dict[str, Any]:
    # What `claimwatch run` does at start (bot/runtime.py), before any thread exists.
    from bot.runtime import freeze_startup_heap, tune_process

    tune_process()

    from sqlalchemy import update

    from bot.app import App
    from bot.config import load_settings
    from bot.ledger.schema import sources

    settings = load_settings(
        _env_file=None,
        data_dir=workdir,
        database_url=f"sqlite+aiosqlite:///{workdir / 'claimwatch.db'}",
        seed_sources=False,
        load_archive=False,
        allow_private_sources="127.0.0.1/32",
        poll_concurrency=CONCURRENCY,
        # All the feeds are on one loopback host, standing for 1,000 different hosts.
        fetch_per_host=CONCURRENCY,
        fetch_timeout_s=60,
        log_level="WARNING",
    )
    app = App(settings, role="bench")

    async def setup() -> None:
        story = app.pack.id
        for i in range(n):
            await app.ledger.add_source(story, base + feed_path(i), f"Wire {i}", "bench", 900)
        # Past the baseline, so the first pass does all the work: items, claims, alerts.
        async with app.ledger.write() as conn:
            await conn.execute(update(sources).values(baseline_done=True))
        await app.ledger.subscribe("console", "bench", story, "instant", "bench")

    def run_pass(name: str) -> dict[str, Any]:
        reports = runner.run(app.pipeline.poll_once(force=True))
        failed = [r.error for r in reports if not r.ok]
        return dict(
            feeds=len(reports),
            failed=len(failed),
            errors=sorted(set(map(str, failed)))[:3],
            new_items=sum(r.new_items for r in reports),
            claims=sum(r.claims for r in reports),
            alerts=sum(r.alerts for r in reports),
        )

    # One event loop for set-up and passes, driven from this thread, so a profiler sees it.
    with asyncio.Runner() as runner:
        runner.run(app.__aenter__())
        try:
            runner.run(setup())
            freeze_startup_heap()  # as `claimwatch run` does once its app is open
            return measure(base, run_pass)
        finally:
            runner.run(app.__aexit__(None, None, None))


def _reader(base: str, n: int, workdir: Path) -> dict[str, Any]:
    try:
        import sgmllib  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        # reader vendors a feedparser that imports "sgmllib" (the sgmllib3k package), while
        # feedparser >= 6.0.12 ships the same module as feedparser_sgmllib and no longer
        # pulls sgmllib3k in: without either, reader cannot parse at all.
        import feedparser_sgmllib

        sys.modules["sgmllib"] = feedparser_sgmllib
    from reader import make_reader

    reader = make_reader(str(workdir / "reader.db"))
    for i in range(n):
        reader.add_feed(base + feed_path(i))
    before = [0]

    def run_pass(name: str) -> dict[str, Any]:
        # Every feed, due or not, like claimwatch's poll_once(force=True).
        reader.update_feeds(workers=READER_WORKERS, scheduled=False)
        total = reader.get_entry_counts().total or 0
        new, before[0] = total - before[0], total
        broken = reader.get_feed_counts(broken=True).total or 0
        return dict(feeds=n, failed=broken, new_items=new)

    try:
        return measure(base, run_pass)
    finally:
        reader.close()


def child(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contender", choices=("claimwatch", "reader"), required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    assert args.base.startswith("http://127.0.0.1:"), "benchmarks never leave loopback"
    if args.contender == "claimwatch":
        result = _claimwatch(args.base, args.feeds, args.workdir)
    else:
        result = _reader(args.base, args.feeds, args.workdir)
    print(json.dumps(result))


if __name__ == "__main__":
    child()
