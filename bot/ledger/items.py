"""Items and the poll transaction: new items, their claims and their outbox rows, at once.

Writing the outbox in the item's transaction is what makes delivery crash-safe: an item is
either stored with its alerts queued, or not stored at all and seen again next poll.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.dedupe import best_match
from bot.ledger.base import LedgerBase, aware
from bot.ledger.claims import _claims_query, to_claim_record
from bot.ledger.schema import (
    claims,
    item_bands,
    item_signatures,
    items,
    outbox,
    outlet_name,
    sources,
    subscriptions,
)
from bot.ledger.sources import polled_ok
from bot.models import (
    Alert,
    ClaimRecord,
    FetchResult,
    ItemRecord,
    PreparedItem,
    Source,
    StoredPoll,
    utcnow,
)

#: Copies are looked for among items stored this recently (older bands are pruned).
RECENT = dt.timedelta(days=7)
_CLUSTER_LOCK = 0x5EED_C0DE  # names the advisory lock that serializes clustering of a story


def hash_story(story: str) -> int:
    """A stable 31-bit number for a story (Python's hash() changes per process)."""
    return int.from_bytes(hashlib.blake2b(story.encode(), digest_size=4).digest(), "big") >> 1


def _chunks(values: list[int], n: int) -> list[list[int]]:
    return [values[i : i + n] for i in range(0, len(values), n)]


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
        recovery: tuple[str, str, Alert] | None = None,
    ) -> StoredPoll:
        """Write one successful poll of one source in one transaction, and release its lease.

        Baseline polls store items and claims but queue no alerts. A syndicated copy of an item
        another source brought (see bot/dedupe.py) joins that item's cluster: it is stored as
        an appearance and queues no alert of its own once the cluster has one; an alert still
        queued is changed to name the new outlet. ``recovery`` (platform, channel, alert) is
        queued when the source had been reported failing to the admins."""
        now = utcnow()
        new = relevant = n_claims = n_alerts = 0
        outlet = {p.entry.key: p.outlet or source.name for p in prepared}
        async with self.write() as conn:
            if self.is_postgres and any(p.minhash for p in prepared):
                # Two sources carrying one wire story, stored at once by two workers, must not
                # both become heads: storing a story's signed items is serialized (to commit),
                # so the first stored (lowest id) heads its cluster.
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"),
                    {"k": _CLUSTER_LOCK ^ hash_story(source.story)},
                )
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
            signed = [(ids[p.entry.key], p) for p in prepared if p.minhash and p.entry.key in ids]
            heads = await self._cluster(conn, source, signed, now) if signed else {}
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
            copies = 0
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
                head = heads.get(item_id, item_id)
                alert = p.alert
                if head != item_id:
                    copies += 1
                    earlier = await self._copy_seen(conn, head, item_id, outlet[p.entry.key])
                    if earlier is None:
                        continue  # the cluster has its alert: this is one more appearance
                    if alert is not None:
                        names = [n for n in earlier if n != alert.source_name]
                        alert = dataclasses.replace(alert, also_reported_by=tuple(names[:20]))
                if alert is None:
                    continue
                for platform, channel in subs:
                    outbox_rows.append(
                        dict(
                            story=source.story,
                            item_id=item_id,
                            platform=platform,
                            channel=channel,
                            payload=alert.to_json(),
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
            if recovery is not None:
                warned = await conn.scalar(
                    select(sources.c.health_warned).where(sources.c.id == source.id)
                )
                if warned:
                    platform, channel, alert = recovery
                    key = outbox_key("health", source.id, "up", source.last_ok_at)
                    await conn.execute(
                        self.insert_ignore(outbox, "idempotency_key").values(
                            story=source.story,
                            platform=platform,
                            channel=channel,
                            payload=alert.to_json(),
                            idempotency_key=key,
                            created_at=now,
                            next_attempt_at=now,
                        )
                    )
            values = polled_ok(now, next_check_at)
            if fetched is not None and not fetched.not_modified:
                values.update(etag=fetched.etag, last_modified=fetched.last_modified)
            await conn.execute(update(sources).where(sources.c.id == source.id).values(**values))
        return StoredPoll(
            new_items=new,
            relevant_items=relevant,
            claims=n_claims,
            alerts=n_alerts,
            copies=copies,
        )

    async def _cluster(
        self,
        conn: AsyncConnection,
        source: Source,
        signed: list[tuple[int, PreparedItem]],
        now: dt.datetime,
    ) -> dict[int, int]:
        """Find each new item's cluster among other sources' recent items by LSH band keys;
        store its signature and bands; set items.cluster_id. Returns {item id: head id}."""
        keys = sorted({b for _, p in signed for b in p.bands})
        found: dict[int, set[int]] = {}
        head_of: dict[int, int] = {}
        for chunk in _chunks(keys, 500):
            rows = await conn.execute(
                select(item_bands.c.band_hash, items.c.id, items.c.cluster_id)
                .join(items, items.c.id == item_bands.c.item_id)
                .where(
                    item_bands.c.band_hash.in_(chunk),
                    item_bands.c.created_at >= now - RECENT,
                    # "story || ''": an expression, so no index on items.story can drive
                    # the join. Without it SQLite's planner walks every item of the story and
                    # probes the bands for each: 150 ms per poll at 3,000 items, growing with
                    # the ledger (bench/README.md); from the band keys it takes 1 ms.
                    items.c.story.concat("") == source.story,
                    items.c.source_id != source.id,
                )
            )
            for band, item_id, cluster_id in rows.all():
                found.setdefault(band, set()).add(item_id)
                head_of[item_id] = cluster_id or item_id
        stored: dict[int, bytes] = {}
        for chunk in _chunks(sorted(head_of), 500):
            sigs = await conn.execute(
                select(item_signatures.c.item_id, item_signatures.c.minhash).where(
                    item_signatures.c.item_id.in_(chunk)
                )
            )
            stored.update({i: bytes(v) for i, v in sigs.all()})
        heads: dict[int, int] = {}
        for item_id, p in signed:
            assert p.minhash is not None
            near = {c for b in p.bands for c in found.get(b, ())}
            match = best_match(p.minhash, {c: stored[c] for c in near if c in stored})
            heads[item_id] = head_of[match] if match is not None else item_id
        await conn.execute(
            update(items)
            .where(items.c.id == bindparam("b_id"))
            .values(cluster_id=bindparam("b_head")),
            [{"b_id": i, "b_head": h} for i, h in heads.items()],
        )
        await conn.execute(
            item_signatures.insert(),
            [dict(item_id=i, minhash=p.minhash, created_at=now) for i, p in signed],
        )
        await conn.execute(
            self.insert_ignore(item_bands, "band_hash", "item_id"),
            [dict(band_hash=b, item_id=i, created_at=now) for i, p in signed for b in p.bands],
        )
        return heads

    async def _copy_seen(
        self, conn: AsyncConnection, head: int, item_id: int, outlet: str
    ) -> list[str] | None:
        """A copy of ``head`` arrived from ``outlet``. If the cluster already has alerts, name
        the outlet in those still queued and return None; else return the outlets that
        carried the story before (the copy then alerts for the cluster)."""
        members = select(items.c.id).where(items.c.cluster_id == head, items.c.id != item_id)
        rows = (
            await conn.execute(
                select(outbox.c.id, outbox.c.payload, outbox.c.delivered_at, outbox.c.dead)
                .where(outbox.c.item_id.in_(members))
                .order_by(outbox.c.id)
            )
        ).all()
        if not rows:
            names = await conn.scalars(
                select(outlet_name())
                .join(sources, sources.c.id == items.c.source_id)
                .where(items.c.id.in_(members))
                .order_by(items.c.id)
            )
            return list(dict.fromkeys(names.all()))
        for row_id, payload, delivered_at, dead in rows:
            if delivered_at is not None or dead:
                continue
            alert = Alert.from_json(payload)
            if outlet == alert.source_name or outlet in alert.also_reported_by:
                continue
            alert = dataclasses.replace(alert, also_reported_by=(*alert.also_reported_by, outlet))
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.delivered_at.is_(None))
                .values(payload=alert.to_json())
            )
        return None

    async def prune_signatures(self, before: dt.datetime) -> int:
        """Forget LSH bands and signatures of items stored before ``before``."""
        async with self.write() as conn:
            await conn.execute(delete(item_bands).where(item_bands.c.created_at < before))
            result = await conn.execute(
                delete(item_signatures).where(item_signatures.c.created_at < before)
            )
        return int(result.rowcount or 0)

    def _items_query(self) -> Any:
        return select(items, outlet_name().label("source_name")).join(
            sources, sources.c.id == items.c.source_id
        )

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

    async def item_by_id(self, item_id: int) -> ItemRecord | None:
        async with self.read() as conn:
            row = (await conn.execute(self._items_query().where(items.c.id == item_id))).first()
        return to_item(row) if row else None

    async def cluster_items(self, cluster_id: int, limit: int = 50) -> list[ItemRecord]:
        """Every appearance of one syndicated story, the first first."""
        query = (
            self._items_query()
            .where(items.c.cluster_id == cluster_id)
            .order_by(items.c.id)
            .limit(limit)
        )
        async with self.read() as conn:
            return [to_item(r) for r in (await conn.execute(query)).all()]

    async def period_items(
        self, story: str, start: dt.datetime, end: dt.datetime, limit: int = 200
    ) -> tuple[list[ItemRecord], list[ClaimRecord]]:
        """The relevant items first seen in [start, end) (a syndicated story once, by its
        first appearance) and their claims: what a digest of that period lists."""
        query = (
            self._items_query()
            .where(
                items.c.story == story,
                items.c.relevant.is_(True),
                items.c.baseline.is_(False),
                items.c.fetched_at >= start,
                items.c.fetched_at < end,
                # a syndicated story is listed once, by its first appearance
                (items.c.cluster_id.is_(None)) | (items.c.cluster_id == items.c.id),
            )
            .order_by(items.c.id)
            .limit(limit)
        )
        async with self.read() as conn:
            unique = [to_item(r) for r in (await conn.execute(query)).all()]
            ids = [i.id for i in unique]
            rows = (
                (
                    await conn.execute(
                        _claims_query().where(claims.c.item_id.in_(ids)).order_by(claims.c.id)
                    )
                ).all()
                if ids
                else []
            )
        return unique, [to_claim_record(r) for r in rows]

    async def is_baseline(self, item_id: int) -> bool:
        async with self.read() as conn:
            return bool(await conn.scalar(select(items.c.baseline).where(items.c.id == item_id)))
