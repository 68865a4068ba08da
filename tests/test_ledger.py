"""The ledger on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.claims.pack import SourceSpec
from bot.errors import UserError
from bot.ledger import Ledger
from bot.models import Alert, Claim, Entry, PreparedItem, utcnow


@pytest.fixture
async def ledger(ledger_url: str) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(ledger_url)
    yield opened
    await opened.close()


def prepared(
    key: str,
    *,
    relevant: bool = True,
    claims: tuple[Claim, ...] = (),
    when: dt.datetime | dt.date | None = None,
) -> PreparedItem:
    entry = Entry(key=key, title=f"title {key}", url=f"https://news.example/{key}", published=when)
    alert = Alert(title=entry.title, url=entry.url, source_name="S") if relevant else None
    return PreparedItem(entry=entry, relevant=relevant, summary="s", claims=claims, alert=alert)


async def test_migrations_are_idempotent(ledger_url: str) -> None:
    first = await Ledger.open(ledger_url)
    await first.close()
    second = await Ledger.open(ledger_url)
    assert await second.list_sources("s") == []
    await second.close()


async def test_sources_add_find_pause_remove_and_revive(ledger: Ledger) -> None:
    s = await ledger.add_source("s", "https://a.example/feed", "A", "admin", 900)
    assert (await ledger.find_source("s", str(s.id))) == s
    assert (await ledger.find_source("s", f"#{s.id}")) == s
    assert (await ledger.find_source("s", "a")) == s
    assert (await ledger.find_source("s", "https://a.example/feed")) == s
    with pytest.raises(UserError, match="Already watching"):
        await ledger.add_source("s", "https://a.example/feed", "A", "admin", 900)
    await ledger.set_enabled(s.id, False)
    assert not (await ledger.list_sources("s"))[0].enabled
    await ledger.remove_source(s.id)
    assert await ledger.list_sources("s") == []
    back = await ledger.add_source("s", "https://a.example/feed", "A again", "admin", 900)
    assert back.id == s.id and back.enabled and not back.baseline_done


async def test_seed_sources_only_adds_missing(ledger: Ledger) -> None:
    specs = [SourceSpec("A", "https://a.example/"), SourceSpec("B", "https://b.example/")]
    assert await ledger.seed_sources("s", specs, 900) == 2
    assert await ledger.seed_sources("s", specs, 900) == 0
    assert [s.name for s in await ledger.list_sources("s")] == ["A", "B"]


async def test_leases_give_each_due_source_to_one_owner(ledger: Ledger) -> None:
    for i in range(10):
        await ledger.add_source("s", f"https://{i}.example/feed", str(i), "t", 900)
    got = await asyncio.gather(
        *(ledger.lease_due_sources("s", f"w{n}", limit=4, lease_s=60) for n in range(4))
    )
    ids = [s.id for batch in got for s in batch]
    assert len(ids) == len(set(ids)) == 10
    assert await ledger.lease_due_sources("s", "late", limit=10, lease_s=60) == []
    # an expired lease is taken over
    later = utcnow() + dt.timedelta(seconds=61)
    again = await ledger.lease_due_sources("s", "w9", limit=20, lease_s=60, now=later)
    assert len(again) == 10


async def test_forced_lease_takes_sources_not_attempted_since_the_cutoff(
    ledger: Ledger,
) -> None:
    s = await ledger.add_source("s", "https://a.example/feed", "A", "t", 900)
    start = utcnow()
    [leased] = await ledger.lease_due_sources("s", "w1", limit=5, lease_s=60)
    await ledger.store_poll(
        leased, "w1", None, [], baseline=True, next_check_at=utcnow() + dt.timedelta(hours=1)
    )
    assert await ledger.lease_due_sources("s", "w2", limit=5, lease_s=60) == []
    # a forced round that began before that attempt leaves it out ...
    assert (
        await ledger.lease_due_sources("s", "w2", limit=5, lease_s=60, attempted_before=start) == []
    )
    # ... one that began after it takes it, though it is not due
    forced = await ledger.lease_due_sources(
        "s", "w2", limit=5, lease_s=60, attempted_before=utcnow()
    )
    assert [f.id for f in forced] == [s.id]


async def test_store_poll_is_exactly_once_and_queues_outbox(ledger: Ledger) -> None:
    await ledger.subscribe("console", "local", "s", "instant", "t")
    await ledger.subscribe("slack", "C1", "s", "digest", "t")
    s = await ledger.add_source("s", "https://a.example/feed", "A", "t", 900)
    [s] = await ledger.lease_due_sources("s", "w", limit=1, lease_s=60)
    claim = Claim("troops.count", "kr.nis", "asserts", 12000.0, quote="q")
    items = [
        prepared("1", claims=(claim,), when=dt.date(2024, 10, 18)),
        prepared("2", relevant=False),
    ]
    first = await ledger.store_poll(s, "w", None, items, baseline=False, next_check_at=utcnow())
    assert (first.new_items, first.relevant_items, first.claims, first.alerts) == (2, 1, 1, 1)
    again = await ledger.store_poll(s, "w", None, items, baseline=False, next_check_at=utcnow())
    assert (again.new_items, again.alerts) == (0, 0)
    rows = await ledger.lease_outbox("w", ["console", "slack"], limit=10, lease_s=60)
    assert [(r.platform, r.channel) for r in rows] == [("console", "local")]
    heads = await ledger.claim_heads("s", [("troops.count", "kr.nis")])
    assert heads[0].claim.value == 12000 and heads[0].said_at.date() == dt.date(2024, 10, 18)


async def test_baseline_stores_items_and_claims_but_no_alerts(ledger: Ledger) -> None:
    await ledger.subscribe("console", "local", "s", "instant", "t")
    s = await ledger.add_source("s", "https://a.example/feed", "A", "t", 900)
    claim = Claim("troops.deployed", "ru.government", "denies")
    stored = await ledger.store_poll(
        s, "w", None, [prepared("1", claims=(claim,))], baseline=True, next_check_at=utcnow()
    )
    assert (stored.new_items, stored.claims, stored.alerts) == (1, 1, 0)
    assert await ledger.lease_outbox("w", ["console"], limit=10, lease_s=60) == []
    [item] = await ledger.latest_items("s", 5)
    assert await ledger.is_baseline(item.id)


async def test_outbox_keeps_order_per_channel(ledger: Ledger) -> None:
    alert = Alert(title="t", url=None, source_name="S")
    for i in range(3):
        await ledger.enqueue("s", "console", "a", alert, key=f"a{i}")
    await ledger.enqueue("s", "console", "b", alert, key="b0")
    rows = await ledger.lease_outbox("w", ["console"], limit=10, lease_s=60)
    assert [r.idempotency_key for r in rows] == ["a0", "b0"]  # a1 waits for a0
    await ledger.mark_failed(rows[0].id, "w", "boom", utcnow() + dt.timedelta(hours=1), dead=False)
    await ledger.mark_delivered(rows[1].id, "w", "m1")
    assert await ledger.lease_outbox("w", ["console"], limit=10, lease_s=60) == []
    assert not await ledger.enqueue("s", "console", "a", alert, key="a0")
    counts = await ledger.outbox_counts()
    assert counts == {"pending": 3, "dead": 0, "delivered": 1}


async def test_record_failure_warns_once_per_streak(ledger: Ledger) -> None:
    s = await ledger.add_source("s", "https://a.example/feed", "A", "t", 900)
    warns = [await ledger.record_failure(s.id, "w", "HTTP 500", utcnow()) for _ in range(5)]
    assert [w for _, w in warns] == [False, False, True, False, False]
    [listed] = await ledger.list_sources("s")
    assert listed.consecutive_failures == 5 and listed.last_error == "HTTP 500"
    await ledger.store_poll(listed, "w", None, [], baseline=True, next_check_at=utcnow())
    [healthy] = await ledger.list_sources("s")
    assert healthy.consecutive_failures == 0 and healthy.last_error is None


async def test_meta_claim_is_first_caller_only(ledger: Ledger) -> None:
    assert await ledger.claim_meta("k", "1")
    assert not await ledger.claim_meta("k", "2")
    assert await ledger.get_meta("k") == "1"
