"""What the polling speed-ups must keep: 304s recorded in one UPDATE per lease batch, this
process's SQLite writes queued on a lock, the alert flags' claim cache (bench/NOTES.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from feeds import relevant, rss
from feedserver import FeedServer
from sqlalchemy import event, select, update

from bot.app import App
from bot.ledger import Ledger
from bot.ledger.schema import sources
from bot.models import utcnow


@pytest.fixture
async def ledger(ledger_url: str) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(ledger_url)
    yield opened
    await opened.close()


async def test_record_unchanged_releases_only_own_leases(ledger: Ledger) -> None:
    for i in range(3):
        await ledger.add_source("s", f"https://{i}.example/feed", str(i), "t", 900)
    async with ledger.write() as conn:
        await conn.execute(update(sources).values(consecutive_failures=2, last_error="x"))
    leased = await ledger.lease_due_sources("s", "w1", limit=2, lease_s=60)
    [other] = await ledger.lease_due_sources("s", "w2", limit=5, lease_s=60)
    now, later = utcnow(), utcnow() + dt.timedelta(hours=1)
    polled = [(s.id, now, later) for s in [*leased, other]]
    await ledger.record_unchanged("w1", polled)
    await ledger.record_unchanged("w1", [])
    async with ledger.read() as conn:
        rows = {r.id: r for r in (await conn.execute(select(sources))).all()}
    for s in leased:
        row = rows[s.id]
        assert row.lease_owner is None and row.consecutive_failures == 0
        assert row.last_error is None and row.baseline_done
        assert row.next_check_at.replace(tzinfo=dt.UTC) == later
    assert rows[other.id].lease_owner == "w2"  # another worker's lease is left alone
    assert rows[other.id].consecutive_failures == 2


async def test_unchanged_sources_of_a_round_are_recorded_together(
    app: App, feed_server: FeedServer
) -> None:
    for i in range(5):
        feed_server.serve(f"/f{i}", rss([relevant(i)]), etag=f'"v{i}"')
        await app.add_source(feed_server.url(f"/f{i}"), f"W{i}", "t")
    writes: list[str] = []

    @event.listens_for(app.ledger.engine.sync_engine, "before_cursor_execute")
    def _count(_c: object, _cur: object, stmt: str, *_: object) -> None:
        if stmt.lstrip().upper().startswith("UPDATE SOURCES"):
            writes.append(stmt)

    start = utcnow()
    reports = await app.pipeline.poll_once(force=True)
    assert len(reports) == 5 and all(r.ok and r.not_modified for r in reports)
    # one lease UPDATE and one UPDATE for all five 304s, not a transaction each
    assert len(writes) == 2
    polled = await app.ledger.list_sources(app.pack.id)
    assert all(s.last_ok_at and s.last_ok_at >= start for s in polled)
    assert all(s.next_check_at and s.next_check_at > start for s in polled)
    async with app.ledger.read() as conn:
        owners = (await conn.scalars(select(sources.c.lease_owner))).all()
    assert set(owners) == {None}


async def test_sqlite_writers_of_one_process_queue(tmp_path: object) -> None:
    ledger = await Ledger.open(f"sqlite+aiosqlite:///{tmp_path}/q.db")
    try:
        inside = 0
        most = 0

        async def writer(i: int) -> None:
            nonlocal inside, most
            async with ledger.write() as conn:
                inside += 1
                most = max(most, inside)
                await conn.execute(update(sources).values(name=str(i)))
                await asyncio.sleep(0.01)
                inside -= 1

        await asyncio.gather(*(writer(i) for i in range(40)))
        assert most == 1
    finally:
        await ledger.close()


def test_fetcher_remembers_only_what_the_guard_allowed() -> None:
    from bot.errors import UnsafeURLError
    from bot.sources.guard import UrlGuard
    from bot.sources.http import Fetcher

    fetcher = Fetcher(UrlGuard(""))
    assert fetcher._check(" https://news.example/feed ") == "https://news.example/feed"
    for _ in range(2):  # refused every time, never remembered
        with pytest.raises(UnsafeURLError):
            fetcher._check("http://127.0.0.1/feed")
    assert " https://news.example/feed " in fetcher._checked
    assert "http://127.0.0.1/feed" not in fetcher._checked
    fetcher.guard = UrlGuard("127.0.0.1/32")  # another guard: its own answers
    assert fetcher._check("http://127.0.0.1/feed") == "http://127.0.0.1/feed"
    assert list(fetcher._checked) == ["http://127.0.0.1/feed"]


async def test_cached_claim_heads_follow_new_claims_and_renames(ledger: Ledger) -> None:
    from bot.models import Claim, Entry, PreparedItem

    def item(key: str, value: float, day: int) -> PreparedItem:
        entry = Entry(key=key, title=f"t {key}", url=None, published=dt.date(2024, 10, day))
        claim = Claim("troops.count", "kr.nis", "asserts", value, quote="q")
        return PreparedItem(entry=entry, relevant=True, claims=(claim,))

    async def store(*items: PreparedItem) -> None:
        [s] = await ledger.lease_due_sources("s", "w", limit=1, lease_s=60)
        await ledger.store_poll(s, "w", None, items, baseline=False, next_check_at=utcnow())

    pairs = [("troops.count", "kr.nis"), ("troops.count", "us.pentagon")]
    src = await ledger.add_source("s", "https://a.example/feed", "A", "t", 900)
    await store(item("1", 100, 1))
    first = await ledger.claim_heads("s", pairs, per_pair=2, cached=True)
    again = await ledger.claim_heads("s", pairs, per_pair=2, cached=True)
    assert [r.claim.value for r in first] == [r.claim.value for r in again] == [100]
    async with ledger.write() as conn:
        await conn.execute(update(sources).values(next_check_at=utcnow()))
    await store(item("2", 200, 2))  # a new claim: the next answer reads it
    heads = await ledger.claim_heads("s", pairs, per_pair=2, cached=True)
    assert [r.claim.value for r in heads] == [200, 100]
    assert heads == await ledger.claim_heads("s", pairs, per_pair=2)
    # a revived source's new name shows at once
    await ledger.remove_source(src.id)
    await ledger.add_source("s", "https://a.example/feed", "Renamed", "t", 900)
    heads = await ledger.claim_heads("s", pairs, per_pair=2, cached=True)
    assert {r.source_name for r in heads} == {"Renamed"}
