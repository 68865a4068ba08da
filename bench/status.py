"""The status benchmark: `!status` and `!claims` latency on a ledger of a million claims.

The ledger is built here in bulk (SQLAlchemy Core executemany, big batches) straight into the
tables of bot/ledger/schema.py after ``Ledger.open`` migrated the schema; claims spread over the
pack's questions x actors (a few pairs carry most claims, as in the real story) and over ~500
days. A SQLite ledger is cached in bench/.work/, keyed by its parameters.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text

BUILD_VERSION = 1  # bump when the generated data changes
DAYS = 500
SOURCES = 200
START = dt.datetime(2024, 10, 1, tzinfo=dt.UTC)
STANCES = ("asserts", "asserts", "asserts", "confirms", "denies", "doubts", "deflects")
QUERIES = (("status", ""), ("claims", ""), ("claims", "casualties"))
#: !status keeps the last claim_heads answer while no claim is added (bot/ledger/claims.py);
#: "!status" is timed cold (the cache emptied before each run, outside the timing: every run
#: reads the ledger, as the first !status after new claims does), this one warm (cache hits).
CACHED_STATUS = "!status (cached)"


def sqlite_path(workdir: Path, n_claims: int, seed: int) -> Path:
    return workdir / f"status-c{n_claims}-i{n_claims // 10}-s{seed}-v{BUILD_VERSION}.db"


def _pairs(pack: Any, rng: random.Random) -> tuple[list[tuple[str, str]], list[float]]:
    """Every (question, actor) pair with a weight: per question, actors ranked at random and
    weighted 1/rank^1.2 (a few actors say most), questions weighted by how much they are asked."""
    pairs, weights = [], []
    for qi, q in enumerate(pack.questions):
        actors = [a.id for a in pack.actors]
        rng.shuffle(actors)
        for rank, actor in enumerate(actors, 1):
            pairs.append((q.id, actor))
            weights.append((1 / (qi + 1) ** 0.5) / rank**1.2)
    return pairs, weights


def _value(rng: random.Random, question: str, day: int) -> tuple[float | None, float | None]:
    base = {"troops.count": 3_000 + 30 * day, "casualties.total": 10 * day}
    base |= {"casualties.killed": 3 * day, "casualties.wounded": 7 * day, "prisoners": day // 50}
    if question not in base:
        return None, None
    value = max(1.0, round(base[question] * rng.uniform(0.7, 1.3), -1))
    return (value, value * 1.2) if rng.random() < 0.15 else (value, None)


async def build(ledger: Any, pack: Any, n_claims: int, seed: int, batch: int = 50_000) -> None:
    """Fill an empty (migrated) ledger with n_claims // 10 items and n_claims claims."""
    from bot.ledger.schema import claims, items, sources

    rng = random.Random(seed)
    story, now = pack.id, dt.datetime.now(dt.UTC)
    n_items = max(1, n_claims // 10)
    async with ledger.write() as conn:
        await conn.execute(
            sources.insert(),
            [
                dict(
                    id=i + 1,
                    story=story,
                    url=f"http://127.0.0.1:9/feeds/{i}.xml",
                    name=f"Wire {i}",
                    created_at=START,
                    baseline_done=True,
                    last_ok_at=now,
                    last_attempt_at=now,
                    next_check_at=now,
                )
                for i in range(SOURCES)
            ],
        )
    # Items in time order (ids grow with time, as they do when polled); a third relevant.
    minutes = sorted(rng.randrange(DAYS * 24 * 60) for _ in range(n_items))
    published = [START + dt.timedelta(minutes=m) for m in minutes]
    for lo in range(0, n_items, batch):
        rows = [
            dict(
                id=i + 1,
                source_id=rng.randrange(SOURCES) + 1,
                story=story,
                key=f"https://news.example/{i}",
                url=f"https://news.example/{i}",
                canonical_url=f"https://news.example/{i}",
                title=f"North Korean troops in Russia: update {i}",
                summary="North Korean troops were sent to Russia, officials said.",
                published_at=published[i],
                fetched_at=published[i] + dt.timedelta(minutes=rng.randrange(5, 90)),
                relevant=rng.random() < 0.35,
            )
            for i in range(lo, min(n_items, lo + batch))
        ]
        async with ledger.write() as conn:
            await conn.execute(items.insert(), rows)
    pairs, weights = _pairs(pack, rng)
    for lo in range(0, n_claims, batch):
        size = min(n_claims, lo + batch) - lo
        chosen = rng.choices(pairs, weights=weights, k=size)
        rows = []
        for question, actor in chosen:
            item = rng.randrange(n_items)
            day = (published[item] - START).days
            value, high = _value(rng, question, day)
            rows.append(
                dict(
                    item_id=item + 1,
                    story=story,
                    question=question,
                    actor=actor,
                    speaker=None,
                    stance=rng.choice(STANCES),
                    value=value,
                    value_high=high,
                    quote="North Korea has sent troops to Russia, an official said.",
                    said_at=published[item],
                    confidence=round(rng.uniform(0.4, 0.95), 2),
                )
            )
        async with ledger.write() as conn:
            await conn.execute(claims.insert(), rows)


async def _open(
    url: str, pack: Any, n_claims: int, seed: int, own: Path | None
) -> tuple[Any, float]:
    """The ledger at url, built if it does not hold these parameters yet; the build seconds.
    ``own`` is the SQLite file the benchmark owns: a stale or half-built one is deleted."""
    from bot.ledger import Ledger
    from bot.ledger.schema import claims, items, sources

    key, want = "bench:status", f"claims={n_claims} seed={seed} v={BUILD_VERSION}"
    ledger = await Ledger.open(url)
    if await ledger.get_meta(key) == want:
        await _analyze(ledger)
        return ledger, 0.0
    if own is not None:
        await ledger.close()
        for path in own.parent.glob(own.name + "*"):
            path.unlink()
        ledger = await Ledger.open(url)
    async with ledger.read() as conn:
        n_sources = await conn.scalar(select(func.count()).select_from(sources))
    if n_sources and await ledger.get_meta(key) is None:
        await ledger.close()
        raise RuntimeError(f"{url.split('@')[-1]} holds a ledger that the benchmark did not build")
    started = time.perf_counter()
    async with ledger.write() as conn:  # an older benchmark build: start again
        for table in (claims, items, sources):
            await conn.execute(delete(table))
    await build(ledger, pack, n_claims, seed)
    await ledger.set_meta(key, want)
    await _analyze(ledger)
    return ledger, time.perf_counter() - started


async def _analyze(ledger: Any) -> None:
    """PostgreSQL plans from table statistics, which autovacuum gathers on a running server
    after a bulk load; a test server may run without it (this one does), and a just-built ledger
    without statistics gets plans no deployment would (`!claims casualties`: 600 ms, not 3)."""
    if ledger.is_postgres:
        async with ledger.write() as conn:
            await conn.execute(text("ANALYZE"))


async def _measure(
    url: str, n_claims: int, runs: int, seed: int, workdir: Path, own: Path | None
) -> dict[str, Any]:
    from bot.claims.pack import load_pack
    from bot.config import load_settings
    from bot.models import Request
    from bot.runtime import freeze_startup_heap
    from bot.services import Services
    from handlers import dispatch

    pack = load_pack()
    ledger, build_s = await _open(url, pack, n_claims, seed, own)
    settings = load_settings(
        _env_file=None, data_dir=workdir, database_url=url, seed_sources=False, load_archive=False
    )

    async def refuse(*_: object) -> Any:
        raise RuntimeError("the status benchmark polls nothing")

    services = Services(settings=settings, pack=pack, ledger=ledger, poll=refuse, add_source=refuse)
    # What `claimwatch run` does once its app is open (bot/runtime.py): without it, a full
    # collection of the start-up objects (~57 ms here) lands in about one run of forty.
    freeze_startup_heap()
    out: dict[str, Any] = {"build_s": build_s, "claims": n_claims, "queries": {}}
    try:
        series = [(c, a, f"!{c} {a}".strip(), c == "status") for c, a in QUERIES]
        series.insert(1, ("status", "", CACHED_STATUS, False))
        for command, args, name, cold in series:
            request = Request(command, args)
            for _ in range(max(5, runs // 20)):  # warm-up: caches, compiled statements
                reply = await dispatch(request, services)
            if reply.kind == "error":
                raise RuntimeError(f"!{command} {args} failed: {reply.lines}")
            times = []
            for _ in range(runs):
                if cold:
                    ledger.forget_cached_heads()
                t0 = time.perf_counter()
                await dispatch(request, services)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            out["queries"][name] = dict(
                runs=runs,
                p50_ms=statistics.median(times),
                p99_ms=times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
                max_ms=times[-1],
                lines=len(reply.lines),
            )
    finally:
        await ledger.close()
    return out


def run_status(
    workdir: Path, n_claims: int = 1_000_000, runs: int = 200, seed: int = 1, url: str | None = None
) -> dict[str, Any]:
    """Build (or reuse) the ledger and time the three commands; ``url`` for PostgreSQL."""
    workdir.mkdir(parents=True, exist_ok=True)
    own = None
    if url is None:
        own = sqlite_path(workdir, n_claims, seed)
        url = f"sqlite+aiosqlite:///{own}"
    return asyncio.run(_measure(url, n_claims, runs, seed, workdir, own))
