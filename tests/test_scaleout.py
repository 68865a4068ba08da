"""Several claimwatch processes on one PostgreSQL ledger, run as an operator would: the real
CLI in subprocesses, feeds on a loopback server that counts requests per feed, alerts POSTed to
a loopback webhook receiver that counts them per idempotency key.

The PostgreSQL tests skip when TEST_DATABASE_URL is unset; the SQLite one always runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import process_env
from feeds import Story, rss
from feedserver import FeedServer
from ledgers import postgres_base, postgres_database, sqlite_url
from sqlalchemy import func, select, text, update
from webhooksink import WebhookSink

from bot.ledger import Ledger
from bot.ledger.notify import OutboxListener
from bot.ledger.schema import items, outbox, sources
from bot.models import Alert, utcnow

ROOT = Path(__file__).resolve().parent.parent
STORY = "nk-troops"

needs_postgres = pytest.mark.skipif(
    not postgres_base(), reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped"
)
# Subprocesses on a shared 2-core machine: generous deadlines, so load only makes them slower.
pytestmark = pytest.mark.timeout(300)


# ---- helpers -----------------------------------------------------------------------------


def environment(tmp_path: Path, ledger_url: str, **extra: str) -> dict[str, str]:
    defaults = {
        "POLL_TICK_S": "1",
        "DELIVERY_INTERVAL_S": "60",  # the slow fallback: wake-ups must come from NOTIFY
        "LEASE_S": "5",
        "POLL_CONCURRENCY": "4",
        "FETCH_PER_HOST": "8",
        "FETCH_TIMEOUT_S": "10",
        "LOG_LEVEL": "INFO",
    }
    return process_env(tmp_path, ledger_url, **{**defaults, **extra})


async def start(
    tmp_path: Path, env: dict[str, str], *args: str, name: str
) -> asyncio.subprocess.Process:
    log = (tmp_path / f"{name}.log").open("wb")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )


def output(tmp_path: Path, name: str) -> str:
    return (tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")


async def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {PROGRESS.get('last')}")
        await asyncio.sleep(0.1)


def story(feed: int, rnd: int) -> Story:
    """One new item per feed and round, worded apart so no two are syndicated copies."""
    words = ("Kursk", "Pyongyang", "Seoul", "Kyiv", "Moscow", "Vladivostok", "Kharkiv")
    place = words[(feed + rnd) % len(words)]
    count = 1_000 + feed * 37 + rnd * 1_001
    return Story(
        guid=f"f{feed}-r{rnd}",
        title=f"Report {feed}/{rnd}: North Korean troops seen near {place}",
        text=(
            f"North Korean troops have been sent to Russia, South Korea's National "
            f"Intelligence Service said, adding that about {count:,} soldiers were near "
            f"{place}. Observer {feed * 7919 % 1013} in bulletin {rnd} cited unit "
            f"{feed * 31 + rnd} and convoy {feed ^ (rnd * 97)}."
        ),
        link=f"https://news.example/{feed}/{rnd}",
    )


def serve_round(server: FeedServer, n: int, rnd: int, delay_s: float = 0.0) -> None:
    for f in range(n):
        body = rss([story(f, r) for r in range(rnd, -1, -1)], title=f"Wire {f}")
        server.serve(f"/f/{f}.xml", body, etag=f'"{f}-{rnd}"', delay_s=delay_s)


async def add_sources(ledger: Ledger, server: FeedServer, n: int, *, due: bool) -> None:
    """n sources; not due (until :func:`make_due`) unless ``due``."""
    for f in range(n):
        await ledger.add_source(STORY, server.url(f"/f/{f}.xml"), f"Wire {f}", "test", 3600)
    if not due:
        async with ledger.write() as conn:
            later = utcnow() + dt.timedelta(days=1)
            await conn.execute(update(sources).values(next_check_at=later))


async def posting_to_webhook(ledger: Ledger, server: FeedServer, n: int) -> None:
    """n sources serving round 0, not due, past their baseline (every new item is posted),
    and the story subscribed to the webhook."""
    serve_round(server, n, 0)
    await add_sources(ledger, server, n, due=False)
    async with ledger.write() as conn:
        await conn.execute(update(sources).values(baseline_done=True))
    await ledger.subscribe("webhook", "default", STORY, "instant", "test")


async def make_due(ledger: Ledger) -> dt.datetime:
    """Start a polling round: every source due now. Returns the round's start."""
    now = utcnow()
    async with ledger.write() as conn:
        await conn.execute(update(sources).values(next_check_at=now))
    return now


async def round_done(ledger: Ledger, since: dt.datetime, n: int) -> bool:
    """Every source polled successfully since ``since`` and free, every alert delivered."""
    async with ledger.read() as conn:
        done = await conn.scalar(
            select(func.count()).where(
                sources.c.last_ok_at >= since, sources.c.lease_owner.is_(None)
            )
        )
        pending = (
            await conn.execute(
                select(outbox.c.id, outbox.c.lease_owner, outbox.c.attempts, outbox.c.last_error)
                .where(outbox.c.delivered_at.is_(None), outbox.c.dead.is_(False))
                .limit(5)
            )
        ).all()
        leased = (
            await conn.execute(
                select(sources.c.id, sources.c.lease_owner, sources.c.last_error).where(
                    sources.c.lease_owner.is_not(None)
                )
            )
        ).all()
    PROGRESS["last"] = f"{done}/{n} sources done; leased {leased[:5]}; pending {pending}"
    return done == n and not pending


PROGRESS: dict[str, str] = {}


async def outbox_keys(ledger: Ledger) -> dict[str, bool]:
    async with ledger.read() as conn:
        rows = (await conn.execute(select(outbox.c.idempotency_key, outbox.c.delivered_at))).all()
    return {key: delivered is not None for key, delivered in rows}


async def stop_all(procs: list[asyncio.subprocess.Process]) -> None:
    for p in procs:
        if p.returncode is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            await asyncio.wait_for(p.wait(), 20)
        except TimeoutError:
            p.kill()
            await p.wait()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    if not postgres_base():
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def pg_ledger(pg_url: str) -> AsyncIterator[Ledger]:
    ledger = await Ledger.open(pg_url)  # migrated here, before any process starts
    try:
        yield ledger
    finally:
        await ledger.close()


# ---- poll --all --------------------------------------------------------------------------


@needs_postgres
async def test_three_poll_all_started_together_fetch_each_source_once(
    tmp_path: Path, pg_url: str, pg_ledger: Ledger, feed_server: FeedServer
) -> None:
    n = 300
    serve_round(feed_server, n, 0, delay_s=0.02)
    await add_sources(pg_ledger, feed_server, n, due=False)
    env = environment(tmp_path, pg_url)
    procs = [await start(tmp_path, env, "poll", "--all", name=f"poll{i}") for i in range(3)]
    codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), 90)
    logs = [output(tmp_path, f"poll{i}") for i in range(3)]
    assert codes == [0, 0, 0], logs
    assert sorted(feed_server.hits) == sorted(f"/f/{f}.xml" for f in range(n))
    assert set(feed_server.hits.values()) == {1}, "a source was fetched twice"
    polled = [int(re.search(r"Polled (\d+) sources?", out).group(1)) for out in logs]
    assert sum(polled) == n, polled


# ---- workers -----------------------------------------------------------------------------


@needs_postgres
async def test_three_workers_three_rounds_each_source_once_each_alert_once(
    tmp_path: Path, pg_url: str, pg_ledger: Ledger, feed_server: FeedServer
) -> None:
    n = 40
    await posting_to_webhook(pg_ledger, feed_server, n)
    async with WebhookSink() as sink:
        # Leases long enough for a cold start on a busy 2-core machine: a source is fetched
        # twice only when its lease ran out mid-fetch (the next test shows that case).
        env = environment(tmp_path, pg_url, WEBHOOK_URL=sink.url, LEASE_S="60")
        procs = [
            await start(tmp_path, {**env, "WORKER_ID": f"w{i}"}, "worker", name=f"w{i}")
            for i in range(3)
        ]
        queued = 0
        try:
            await eventually(lambda: _all_heartbeat(pg_ledger, 3), 60, "three workers")
            for rnd in range(1, 4):
                serve_round(feed_server, n, rnd)
                since = await make_due(pg_ledger)
                await eventually(
                    lambda since=since: round_done(pg_ledger, since, n), 120, f"round {rnd}"
                )
                assert all(feed_server.hits[f"/f/{f}.xml"] == rnd for f in range(n)), (
                    rnd,
                    feed_server.hits,
                )
                keys = await outbox_keys(pg_ledger)
                # Syndication clustering may fold similar items into one alert: at least one
                # new alert per round, whatever their number.
                assert len(keys) > queued, "no alert queued this round"
                queued = len(keys)
                assert all(keys.values())
                assert set(sink.posts) == set(keys)
                assert set(sink.posts.values()) == {1}, "an alert was posted twice"

            workers = await pg_ledger.workers()
            assert sorted(w["id"] for w in workers) == ["w0", "w1", "w2"]
            assert all(w["role"] == "worker" and not w["stale"] for w in workers)
            listed = await start(tmp_path, env, "workers", name="list")
            assert await listed.wait() == 0
            text = output(tmp_path, "list")
            assert "Workers: 3 live" in text and all(f"w{i} — worker" in text for i in range(3))
        finally:
            await stop_all(procs)
    assert [p.returncode for p in procs] == [0, 0, 0]
    for i in range(3):
        assert "Traceback" not in output(tmp_path, f"w{i}")
    assert await pg_ledger.workers() == [], "a clean stop removes the worker's row"
    async with pg_ledger.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(items)) == n * 4


@needs_postgres
async def test_a_worker_killed_mid_round_loses_nothing_and_doubles_nothing(
    tmp_path: Path, pg_url: str, pg_ledger: Ledger, feed_server: FeedServer
) -> None:
    n = 30
    await posting_to_webhook(pg_ledger, feed_server, n)
    async with WebhookSink(delay_s=0.15) as sink:
        env = environment(tmp_path, pg_url, WEBHOOK_URL=sink.url, POLL_CONCURRENCY="2", LEASE_S="8")
        procs = {
            f"w{i}": await start(tmp_path, {**env, "WORKER_ID": f"w{i}"}, "worker", name=f"w{i}")
            for i in range(3)
        }
        try:
            await eventually(lambda: _all_heartbeat(pg_ledger, 3), 60, "three workers")
            # Round 1 warms the workers up (first extraction, first dedupe) ...
            serve_round(feed_server, n, 1)
            since = await make_due(pg_ledger)
            await eventually(lambda: round_done(pg_ledger, since, n), 120, "round 1")
            # ... round 2 is slow enough to kill a worker in the middle of it.
            serve_round(feed_server, n, 2, delay_s=0.3)
            since = await make_due(pg_ledger)
            victim = await eventually(lambda: _busy_worker(pg_ledger), 30, "a busy worker")
            procs[victim].send_signal(signal.SIGKILL)
            await procs[victim].wait()
            # What it held when it died: its leases were never released.
            held_sources, held_outbox = await _leases_of(pg_ledger, victim)
            assert held_sources or held_outbox
            await eventually(lambda: round_done(pg_ledger, since, n), 120, "round 2")
        finally:
            await stop_all(list(procs.values()))
    # Its sources were finished by the others, after its leases expired.
    async with pg_ledger.read() as conn:
        rows = (await conn.execute(select(sources.c.url, sources.c.last_ok_at))).all()
    assert all(last_ok >= since for _, last_ok in rows)
    for f in range(n):
        path = f"/f/{f}.xml"
        # A source the victim was fetching when killed may have been fetched twice.
        expected = {2, 3} if feed_server.url(path) in held_sources else {2}
        assert feed_server.hits[path] in expected, (path, feed_server.hits)
    # Nothing lost: every item stored once, every alert delivered; nothing doubled: only an
    # alert the victim was posting when killed may have reached the receiver twice.
    async with pg_ledger.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(items)) == 3 * n
    keys = await outbox_keys(pg_ledger)
    assert keys and all(keys.values())
    assert set(sink.posts) == set(keys)
    doubled = {k for k, c in sink.posts.items() if c > 1}
    assert doubled <= held_outbox and all(c <= 2 for c in sink.posts.values())


async def _all_heartbeat(ledger: Ledger, n: int) -> bool:
    return len(await ledger.workers()) == n


async def _busy_worker(ledger: Ledger) -> str | None:
    """A worker holding outbox leases while sources are still leased (else any holder)."""
    found = await ledger.workers()
    both = [w["id"] for w in found if w["leased_outbox"] and w["leased_sources"]]
    return both[0] if both else None


async def _leases_of(ledger: Ledger, owner: str) -> tuple[set[str], set[str]]:
    async with ledger.read() as conn:
        srcs = (
            await conn.scalars(select(sources.c.url).where(sources.c.lease_owner == owner))
        ).all()
        rows = (
            await conn.scalars(
                select(outbox.c.idempotency_key).where(
                    outbox.c.lease_owner == owner, outbox.c.delivered_at.is_(None)
                )
            )
        ).all()
    return set(srcs), set(rows)


# ---- LISTEN/NOTIFY -----------------------------------------------------------------------


@needs_postgres
async def test_outbox_listener_wakes_on_insert_and_reconnects(
    pg_ledger: Ledger, pg_url: str
) -> None:
    woken = asyncio.Event()
    listener = OutboxListener(pg_url, woken.set, ping_s=0.5)
    await listener.start()
    try:
        await asyncio.wait_for(listener.connected.wait(), 10)
        woken.clear()  # the catch-up call after connecting
        alert = Alert(title="t", url=None, source_name="s", summary="")
        await pg_ledger.enqueue(STORY, "webhook", "default", alert, "k1")
        await asyncio.wait_for(woken.wait(), 5)

        # The server drops the connection: the listener notices, reconnects, listens again.
        async with pg_ledger.write() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
                )
            )
        await eventually(lambda: _reconnected(listener), 20, "reconnection")
        woken.clear()
        await pg_ledger.enqueue(STORY, "webhook", "default", alert, "k2")
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        await listener.close()


async def _reconnected(listener: OutboxListener) -> bool:
    return listener.connected.is_set() and listener.connections >= 2


# ---- SQLite: one worker ------------------------------------------------------------------


async def test_a_second_worker_on_sqlite_refuses_and_names_postgres(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = sqlite_url(tmp_path)
    env = environment(tmp_path, url, DELIVERY_INTERVAL_S="5")
    first = await start(tmp_path, env, "worker", name="first")
    try:
        lock = tmp_path / "ledger.db.worker.lock"
        await eventually(lambda: _locked(lock, first), 30, "the first worker")
        second = await start(tmp_path, env, "worker", name="second")
        assert await asyncio.wait_for(second.wait(), 30) == 1
        said = output(tmp_path, "second")
        assert "already polling the SQLite ledger" in said and "PostgreSQL" in said
        assert "Traceback" not in said
        run = await start(tmp_path, env, "run", name="run")
        assert await asyncio.wait_for(run.wait(), 30) == 1
        assert "PostgreSQL" in output(tmp_path, "run")
        # The terminal chat and a one-off poll still work beside it (no worker lock).
        feed_server.serve("/one.xml", rss([story(0, 0)]))
        chat = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "chat", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
        )  # fmt: skip
        said, err = await asyncio.wait_for(
            chat.communicate(f"!addsource {feed_server.url('/one.xml')}\n".encode()), 30
        )
        assert chat.returncode == 0 and "Added #1" in said.decode(), err.decode()
        poll = await start(tmp_path, env, "poll", "--all", name="poll")
        assert await asyncio.wait_for(poll.wait(), 30) == 0, output(tmp_path, "poll")
        assert "Polled" in output(tmp_path, "poll")  # (the source was fetched just now: 0)
        assert first.returncode is None
    finally:
        await stop_all([first])
    assert first.returncode == 0


async def _locked(lock: Path, proc: asyncio.subprocess.Process) -> bool:
    assert proc.returncode is None, "the first worker stopped"
    return lock.exists() and lock.read_text().strip() == str(proc.pid)
