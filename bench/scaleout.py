"""Scale-out benchmark: the all-new pass over N loopback feeds on PostgreSQL, done by 1, 2 ...
`claimwatch worker` processes sharing the ledger (wall time from "all sources due" to "all
stored").

Reuses the polling benchmark's feeds (``python -m bench.feeds``, its own process on 127.0.0.1).
Each run gets a throw-away database on the given server, dropped afterwards. Workers are
started and warmed up (heartbeat seen) before the clock starts, so imports are not timed;
delivery is not timed either (no publisher: the alerts stay queued).

    .venv/bin/python -m bench.scaleout postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.feeds import feed_path
from bench.polling import feed_server

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 32  # per worker, as in bench/polling.py
TIMEOUT_S = 900.0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_s() -> float:
    """CPU seconds of every local postgres process (the server's share of the work)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            if "(postgres)" in text:
                total += _cpu_s(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return total


async def _one(server_url: str, base: str, n: int, k: int, workdir: Path) -> dict[str, Any]:
    from sqlalchemy import func, select, update

    from bot.ledger import Ledger
    from bot.ledger.schema import items, sources
    from bot.ledger.scratch import scratch_database
    from bot.models import utcnow

    async with scratch_database(server_url, "cw_bench_") as url:
        ledger = await Ledger.open(url)
        try:
            for i in range(n):
                await ledger.add_source("nk-troops", base + feed_path(i), f"Wire {i}", "b", 3600)
            async with ledger.write() as conn:  # past the baseline, not due until we say
                later = utcnow().replace(year=utcnow().year + 1)
                await conn.execute(update(sources).values(baseline_done=True, next_check_at=later))
            await ledger.subscribe("console", "bench", "nk-troops", "instant", "bench")
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "DATA_DIR": str(workdir),
                "SEED_SOURCES": "0",
                "LOAD_ARCHIVE": "0",
                "ALLOW_PRIVATE_SOURCES": "127.0.0.1/32",
                "POLL_TICK_S": "1",
                "POLL_CONCURRENCY": str(CONCURRENCY),
                "FETCH_PER_HOST": str(CONCURRENCY),
                "FETCH_TIMEOUT_S": "60",
                "LEASE_S": "600",
                "LOG_LEVEL": "WARNING",
                "NO_PROXY": "127.0.0.1",
            }
            for key in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "WEBHOOK_URL"):
                env.pop(key, None)
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "bot", "worker"],
                    env={**env, "WORKER_ID": f"bench-{i}"},
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=(workdir / f"worker{i}.log").open("wb"),
                )
                for i in range(k)
            ]
            try:
                while len(await ledger.workers()) < k:
                    await asyncio.sleep(0.2)
                cpu0 = sum(_cpu_s(p.pid) for p in procs)
                pg0 = _postgres_cpu_s()
                start = utcnow()
                t0 = time.perf_counter()
                async with ledger.write() as conn:
                    await conn.execute(update(sources).values(next_check_at=start))
                while True:
                    async with ledger.read() as conn:
                        done = await conn.scalar(
                            select(func.count()).where(
                                sources.c.last_attempt_at >= start, sources.c.lease_owner.is_(None)
                            )
                        )
                    if done >= n:
                        break
                    if time.perf_counter() - t0 > TIMEOUT_S:
                        raise RuntimeError(f"{k} workers: only {done}/{n} sources after timeout")
                    await asyncio.sleep(0.1)
                wall = time.perf_counter() - t0
                cpu = sum(_cpu_s(p.pid) for p in procs) - cpu0
                pg_cpu = _postgres_cpu_s() - pg0
                async with ledger.read() as conn:
                    n_items = await conn.scalar(select(func.count()).select_from(items))
                    failed = await conn.scalar(
                        select(func.count()).where(sources.c.consecutive_failures > 0)
                    )
                per_worker = {w["id"]: w["rounds"] for w in await ledger.workers()}
            finally:
                for p in procs:
                    p.send_signal(signal.SIGTERM)
                for p in procs:
                    try:
                        p.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.kill()
        finally:
            await ledger.close()
    return {
        "workers": k,
        "feeds": n,
        "wall_s": round(wall, 2),
        "feeds_per_s": round(n / wall, 1),
        "worker_cpu_s": round(cpu, 1),
        "postgres_cpu_s": round(pg_cpu, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "items": n_items,
        "failed": failed,
        "rounds": per_worker,
    }


def run(
    postgres_url: str, n_feeds: int = 1000, workers: tuple[int, ...] = (1, 2)
) -> list[dict[str, Any]]:
    """The all-new pass over ``n_feeds`` feeds with each number of workers; one dict per run
    (wall_s, feeds_per_s, worker_cpu_s, items, failed)."""
    workdir = ROOT / "bench" / ".work" / "scaleout"
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    with feed_server(n_feeds) as base:
        assert base.startswith("http://127.0.0.1:"), "benchmarks never leave loopback"
        for k in workers:
            results.append(asyncio.run(_one(postgres_url, base, n_feeds, k, workdir)))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url", help="a server whose user may CREATE DATABASE")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--workers", default="1,2", help="comma-separated counts")
    args = parser.parse_args(argv)
    counts = tuple(int(w) for w in args.workers.split(","))
    for row in run(args.postgres_url, args.feeds, counts):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
