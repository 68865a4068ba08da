"""The outbox: alerts waiting for a channel, leased by one delivery worker at a time.

Rows of one channel go out in order: a row is only leased when no older row of its channel is
still undelivered. The delivered mark is written after the platform confirms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.ledger.base import LedgerBase, aware
from bot.ledger.schema import outbox, subscriptions
from bot.models import Alert, OutboxRow, utcnow

_older = aliased(outbox)


def to_outbox(row: Any) -> OutboxRow:
    m = row._mapping
    return OutboxRow(
        id=m["id"],
        platform=m["platform"],
        channel=m["channel"],
        alert=Alert.from_json(m["payload"]),
        idempotency_key=m["idempotency_key"],
        attempts=m["attempts"],
    )


class OutboxMixin(LedgerBase):
    async def lease_outbox(
        self,
        owner: str,
        platforms: list[str],
        *,
        limit: int,
        lease_s: int,
        now: dt.datetime | None = None,
    ) -> list[OutboxRow]:
        now = now or utcnow()
        older_pending = exists().where(
            _older.c.platform == outbox.c.platform,
            _older.c.channel == outbox.c.channel,
            _older.c.id < outbox.c.id,
            _older.c.delivered_at.is_(None),
            _older.c.dead.is_(False),
        )
        query = (
            select(outbox.c.id)
            .where(
                outbox.c.delivered_at.is_(None),
                outbox.c.dead.is_(False),
                outbox.c.platform.in_(platforms),
                outbox.c.next_attempt_at <= now,
                or_(outbox.c.lease_expires_at.is_(None), outbox.c.lease_expires_at < now),
                ~older_pending,
            )
            .order_by(outbox.c.id)
            .limit(limit)
        )
        rows = await self.take_leases(outbox, query, owner, now, lease_s)
        return [to_outbox(r) for r in rows]

    async def mark_delivered(self, row_id: int, owner: str, message_id: str | None) -> None:
        async with self.write() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(
                    delivered_at=utcnow(),
                    message_id=message_id,
                    attempts=outbox.c.attempts + 1,
                    lease_owner=None,
                    lease_expires_at=None,
                    last_error=None,
                )
            )

    async def mark_failed(
        self, row_id: int, owner: str, error: str, next_attempt_at: dt.datetime, dead: bool
    ) -> None:
        async with self.write() as conn:
            await conn.execute(
                update(outbox)
                .where(and_(outbox.c.id == row_id))
                .values(
                    attempts=outbox.c.attempts + 1,
                    last_error=error[:500],
                    dead=dead,
                    next_attempt_at=next_attempt_at,
                    lease_owner=None,
                    lease_expires_at=None,
                )
            )

    async def release_outbox(self, row_id: int, owner: str) -> None:
        async with self.write() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.lease_owner == owner)
                .values(lease_owner=None, lease_expires_at=None)
            )

    async def enqueue(
        self,
        story: str,
        platform: str,
        channel: str,
        alert: Alert,
        key: str,
        item_id: int | None = None,
    ) -> bool:
        """Queue one alert for one channel (health warnings, digests); False if already there."""
        now = utcnow()
        async with self.write() as conn:
            result = await conn.execute(
                self.insert_ignore(outbox, "idempotency_key").values(
                    story=story,
                    item_id=item_id,
                    platform=platform,
                    channel=channel,
                    payload=alert.to_json(),
                    idempotency_key=key,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        return bool(result.rowcount)

    async def outbox_counts(self) -> dict[str, int]:
        query = select(
            func.count().filter(outbox.c.delivered_at.is_(None), outbox.c.dead.is_(False)),
            func.count().filter(outbox.c.dead.is_(True)),
            func.count().filter(outbox.c.delivered_at.is_not(None)),
        )
        async with self.read() as conn:
            pending, dead, delivered = (await conn.execute(query)).one()
        return {"pending": pending, "dead": dead, "delivered": delivered}

    async def dead_letters(self, limit: int = 10) -> list[tuple[OutboxRow, str]]:
        query = (
            select(outbox).where(outbox.c.dead.is_(True)).order_by(outbox.c.id.desc()).limit(limit)
        )
        async with self.read() as conn:
            rows = (await conn.execute(query)).all()
        return [(to_outbox(r), r._mapping["last_error"] or "") for r in rows]

    async def outbox_for_item(self, item_id: int) -> list[dict[str, Any]]:
        query = (
            select(
                outbox.c.platform,
                outbox.c.channel,
                outbox.c.delivered_at,
                outbox.c.dead,
                outbox.c.last_error,
                outbox.c.attempts,
            )
            .where(outbox.c.item_id == item_id)
            .order_by(outbox.c.id)
        )
        async with self.read() as conn:
            rows = [dict(r._mapping) for r in (await conn.execute(query)).all()]
        for r in rows:
            r["delivered_at"] = aware(r["delivered_at"])  # SQLite hands back naive times
        return rows

    async def digest_subscriptions(self, story: str) -> list[dict[str, Any]]:
        """Digest-mode subscriptions: id, platform, channel, and since when they have had
        their digests (last_digest_at, else when they subscribed)."""
        query = (
            select(
                subscriptions.c.id,
                subscriptions.c.platform,
                subscriptions.c.channel,
                func.coalesce(subscriptions.c.last_digest_at, subscriptions.c.created_at).label(
                    "since"
                ),
            )
            .where(subscriptions.c.story == story, subscriptions.c.mode == "digest")
            .order_by(subscriptions.c.id)
        )
        async with self.read() as conn:
            rows = [dict(r._mapping) for r in (await conn.execute(query)).all()]
        for r in rows:
            r["since"] = aware(r["since"])
        return rows

    async def digest_sent(self, subscription_id: int, until: dt.datetime) -> None:
        """Record that a subscription's digests cover everything before ``until``."""
        async with self.write() as conn:
            await conn.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.id == subscription_id,
                    (subscriptions.c.last_digest_at.is_(None))
                    | (subscriptions.c.last_digest_at < until),
                )
                .values(last_digest_at=until)
            )
