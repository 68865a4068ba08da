"""Items and the poll transaction: new items, their claims and their outbox rows, at once.

Writing the outbox in the item's transaction is what makes delivery crash-safe: an item is
either stored with its alerts queued, or not stored at all and seen again next poll.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update

from bot.ledger.base import LedgerBase, aware
from bot.ledger.schema import claims, items, outbox, sources, subscriptions
from bot.models import FetchResult, ItemRecord, PreparedItem, Source, StoredPoll, utcnow


def outbox_key(*parts: object) -> str:
    """The idempotency key of one (alert, channel): stable across retries and restarts."""
    raw = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def _published(value: object) -> tuple[dt.datetime | None, bool]:
    if isinstance(value, dt.datetime):
        return value, False
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC), True
    return None, False


def to_item(row: Any) -> ItemRecord:
    m = row._mapping
    return ItemRecord(
        id=m["id"],
        source_id=m["source_id"],
        source_name=m["source_name"],
        key=m["key"],
        title=m["title"],
        url=m["url"],
        summary=m["summary"],
        published_at=aware(m["published_at"]),
        fetched_at=aware(m["fetched_at"]) or utcnow(),
        relevant=bool(m["relevant"]),
        cluster_id=m["cluster_id"],
    )


class ItemsMixin(LedgerBase):
    async def known_keys(self, source_id: int, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        async with self.read() as conn:
            found = await conn.scalars(
                select(items.c.key).where(
                    items.c.source_id == source_id, items.c.key.in_(list(keys))
                )
            )
            return set(found.all())

    async def store_poll(
        self,
        source: Source,
        owner: str,
        fetched: FetchResult | None,
        prepared: Sequence[PreparedItem],
        *,
        baseline: bool,
        next_check_at: dt.datetime,
    ) -> StoredPoll:
        """Write one successful poll of one source in one transaction, and release its lease.

        Baseline polls store items and claims but queue no alerts."""
        now = utcnow()
        new = relevant = n_claims = n_alerts = 0
        async with self.write() as conn:
            ids: dict[str, int] = {}
            if prepared:
                rows = []
                for p in prepared:
                    published, date_only = _published(p.entry.published)
                    rows.append(
                        dict(
                            source_id=source.id,
                            story=source.story,
                            key=p.entry.key,
                            url=p.entry.url,
                            canonical_url=p.entry.canonical_url,
                            outlet=p.outlet,
                            title=p.entry.title[:1000],
                            summary=p.summary,
                            published_at=published,
                            date_only=date_only,
                            fetched_at=now,
                            fingerprint=p.fingerprint,
                            relevant=p.relevant,
                            baseline=baseline,
                        )
                    )
                stmt = self.insert_ignore(items, "source_id", "key").returning(
                    items.c.id, items.c.key
                )
                result = await conn.execute(stmt, rows)
                ids = {key: item_id for item_id, key in result.all()}
            subs = (
                []
                if baseline
                else (
                    await conn.execute(
                        select(subscriptions.c.platform, subscriptions.c.channel).where(
                            subscriptions.c.story == source.story, subscriptions.c.mode == "instant"
                        )
                    )
                ).all()
            )
            claim_rows, outbox_rows = [], []
            for p in prepared:
                item_id = ids.get(p.entry.key)
                if item_id is None:
                    continue  # already known: never twice
                new += 1
                relevant += p.relevant
                said_at, _ = _published(p.entry.published)
                for c in p.claims:
                    claim_rows.append(
                        dict(
                            item_id=item_id,
                            story=source.story,
                            question=c.question,
                            actor=c.actor,
                            speaker=c.speaker,
                            stance=c.stance,
                            value=c.value,
                            value_high=c.value_high,
                            qualifier=c.qualifier,
                            quote=c.quote[:2000],
                            said_at=said_at or now,
                            confidence=c.confidence,
                        )
                    )
                if p.alert is None:
                    continue
                for platform, channel in subs:
                    outbox_rows.append(
                        dict(
                            story=source.story,
                            item_id=item_id,
                            platform=platform,
                            channel=channel,
                            payload=p.alert.to_json(),
                            idempotency_key=outbox_key("item", item_id, platform, channel),
                            created_at=now,
                            next_attempt_at=now,
                        )
                    )
            if claim_rows:
                await conn.execute(claims.insert(), claim_rows)
            if outbox_rows:
                await conn.execute(self.insert_ignore(outbox, "idempotency_key"), outbox_rows)
            n_claims, n_alerts = len(claim_rows), len(outbox_rows)
            values: dict[str, Any] = dict(
                last_ok_at=now,
                consecutive_failures=0,
                last_error=None,
                health_warned=False,
                next_check_at=next_check_at,
                baseline_done=True,
                lease_owner=None,
                lease_expires_at=None,
            )
            if fetched is not None and not fetched.not_modified:
                values.update(etag=fetched.etag, last_modified=fetched.last_modified)
            await conn.execute(update(sources).where(sources.c.id == source.id).values(**values))
        return StoredPoll(new_items=new, relevant_items=relevant, claims=n_claims, alerts=n_alerts)

    def _items_query(self) -> Any:
        name = func.coalesce(items.c.outlet, sources.c.name).label("source_name")
        return select(items, name).join(sources, sources.c.id == items.c.source_id)

    async def latest_items(
        self, story: str, n: int, relevant_only: bool = True
    ) -> list[ItemRecord]:
        query = self._items_query().where(items.c.story == story)
        if relevant_only:
            query = query.where(items.c.relevant.is_(True))
        query = query.order_by(items.c.fetched_at.desc(), items.c.id.desc()).limit(n)
        async with self.read() as conn:
            return [to_item(r) for r in (await conn.execute(query)).all()]

    async def items_by_url(self, story: str, url: str) -> list[ItemRecord]:
        query = (
            self._items_query()
            .where(items.c.story == story, (items.c.url == url) | (items.c.canonical_url == url))
            .order_by(items.c.id)
            .limit(20)
        )
        async with self.read() as conn:
            return [to_item(r) for r in (await conn.execute(query)).all()]

    async def is_baseline(self, item_id: int) -> bool:
        async with self.read() as conn:
            return bool(await conn.scalar(select(items.c.baseline).where(items.c.id == item_id)))
