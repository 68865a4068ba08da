"""The Ledger: one object the rest of claimwatch talks to for everything stored.

Built from the parts in this package; also holds the small tables (meta, audit,
subscriptions, workers). Open it with :meth:`Ledger.open`, which applies migrations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.ledger.base import LedgerBase, aware
from bot.ledger.claims import ClaimsMixin
from bot.ledger.engine import create_engine, migrate
from bot.ledger.items import ItemsMixin
from bot.ledger.outbox import OutboxMixin
from bot.ledger.schema import audit, items, meta, outbox, sources, subscriptions, workers
from bot.ledger.sources import SourcesMixin
from bot.models import Subscription, utcnow

#: Seconds between two heartbeats of a running process; older than STALE_AFTER_S is stale.
HEARTBEAT_S = 30
STALE_AFTER_S = 3 * HEARTBEAT_S


class Ledger(SourcesMixin, ItemsMixin, ClaimsMixin, OutboxMixin, LedgerBase):
    @classmethod
    async def open(cls, url: str) -> Ledger:
        engine = create_engine(url)
        await migrate(engine)
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    # ---- meta ------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self.read() as conn:
            return await conn.scalar(select(meta.c.value).where(meta.c.key == key))

    async def set_meta(self, key: str, value: str) -> None:
        async with self.write() as conn:
            await conn.execute(delete(meta).where(meta.c.key == key))
            await conn.execute(meta.insert().values(key=key, value=value))

    async def claim_meta(self, key: str, value: str) -> bool:
        """Set ``key`` only if unset: True for the one caller that set it (first start)."""
        async with self.write() as conn:
            result = await conn.execute(
                self.insert_ignore(meta, "key").values(key=key, value=value)
            )
        return bool(result.rowcount)

    # ---- audit -----------------------------------------------------------------------------

    async def record_audit(self, who: str, command: str, args: str, result: str) -> None:
        async with self.write() as conn:
            await conn.execute(
                audit.insert().values(
                    at=utcnow(), who=who, command=command, args=args, result=result
                )
            )

    async def audit_log(self, limit: int = 20) -> list[dict[str, Any]]:
        async with self.read() as conn:
            rows = (
                await conn.execute(select(audit).order_by(audit.c.id.desc()).limit(limit))
            ).all()
        return [dict(r._mapping) for r in rows]

    # ---- subscriptions ---------------------------------------------------------------------

    async def subscribe(self, platform: str, channel: str, story: str, mode: str, who: str) -> bool:
        """Subscribe a channel, or change its mode. True if it was not subscribed before."""
        async with self.write() as conn:
            result = await conn.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.platform == platform,
                    subscriptions.c.channel == channel,
                    subscriptions.c.story == story,
                )
                .values(mode=mode)
            )
            if result.rowcount:
                return False
            await conn.execute(
                subscriptions.insert().values(
                    platform=platform,
                    channel=channel,
                    story=story,
                    mode=mode,
                    created_by=who,
                    created_at=utcnow(),
                    last_digest_at=utcnow(),
                )
            )
        return True

    async def unsubscribe(self, platform: str, channel: str, story: str) -> bool:
        async with self.write() as conn:
            result = await conn.execute(
                delete(subscriptions).where(
                    subscriptions.c.platform == platform,
                    subscriptions.c.channel == channel,
                    subscriptions.c.story == story,
                )
            )
        return bool(result.rowcount)

    async def subscriptions(self, story: str | None = None) -> list[Subscription]:
        query = select(subscriptions).order_by(subscriptions.c.id)
        if story:
            query = query.where(subscriptions.c.story == story)
        async with self.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Subscription(platform=r.platform, channel=r.channel, story=r.story, mode=r.mode)
            for r in rows
        ]

    # ---- overview --------------------------------------------------------------------------

    async def overview(self, story: str) -> dict[str, Any]:
        """Counts and times for the footer of `!status`."""
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(
                        func.count().filter(
                            sources.c.removed_at.is_(None), sources.c.kind == "feed"
                        ),
                        func.count().filter(
                            sources.c.enabled.is_(True),
                            sources.c.removed_at.is_(None),
                            sources.c.kind == "feed",
                        ),
                        func.count().filter(
                            sources.c.consecutive_failures > 0,
                            sources.c.removed_at.is_(None),
                            sources.c.kind == "feed",
                        ),
                        func.max(sources.c.last_attempt_at),
                        func.max(sources.c.last_ok_at),
                    ).where(sources.c.story == story)
                )
            ).one()
            # Relevant items only, counted on the index (story, relevant, ...): O(relevant
            # items) read from the index alone. Counting every item of the story as well read
            # the whole story's range and was half of !status at 100,000 items (bench/NOTES.md).
            n_relevant = await conn.scalar(
                select(func.count()).where(items.c.story == story, items.c.relevant)
            )
        return {
            "sources": row[0],
            "enabled": row[1],
            "failing": row[2],
            "last_poll_at": aware(row[3]),
            "last_ok_at": aware(row[4]),
            "relevant": n_relevant or 0,
        }

    # ---- workers ---------------------------------------------------------------------------

    async def heartbeat(self, worker_id: str, role: str, host: str, pid: int, rounds: int) -> None:
        now = utcnow()
        async with self.write() as conn:
            result = await conn.execute(
                update(workers)
                .where(workers.c.id == worker_id)
                .values(heartbeat_at=now, rounds=rounds, role=role)
            )
            if not result.rowcount:
                await conn.execute(
                    workers.insert().values(
                        id=worker_id,
                        role=role,
                        host=host,
                        pid=pid,
                        started_at=now,
                        heartbeat_at=now,
                        rounds=rounds,
                    )
                )

    async def workers(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Every process that heartbeats (run, worker, chat), oldest first, with the leases it
        holds now (sources, outbox rows) and whether its heartbeat is stale."""
        now = now or utcnow()
        held = {}
        async with self.read() as conn:
            rows = (await conn.execute(select(workers).order_by(workers.c.started_at))).all()
            for name, table in (("sources", sources), ("outbox", outbox)):
                counts = await conn.execute(
                    select(table.c.lease_owner, func.count())
                    .where(table.c.lease_owner.is_not(None), table.c.lease_expires_at > now)
                    .group_by(table.c.lease_owner)
                )
                held[name] = {owner: n for owner, n in counts.all()}
        out = []
        for r in rows:
            d = dict(r._mapping)
            d["heartbeat_at"] = aware(d["heartbeat_at"])
            d["started_at"] = aware(d["started_at"])
            d["stale"] = now - d["heartbeat_at"] > dt.timedelta(seconds=STALE_AFTER_S)
            d["leased_sources"] = held["sources"].get(d["id"], 0)
            d["leased_outbox"] = held["outbox"].get(d["id"], 0)
            out.append(d)
        return out

    async def next_outbox_change(
        self, platforms: list[str], now: dt.datetime | None = None
    ) -> dt.datetime | None:
        """When an undelivered alert for ``platforms`` next becomes takeable without anything
        new being inserted: the earliest future lease expiry (a worker that died) or retry time.
        None when there is nothing to wait for."""
        if not platforms:
            return None
        now = now or utcnow()
        pending = (
            outbox.c.delivered_at.is_(None),
            outbox.c.dead.is_(False),
            outbox.c.platform.in_(platforms),
        )
        async with self.read() as conn:
            lease = await conn.scalar(
                select(func.min(outbox.c.lease_expires_at)).where(
                    *pending, outbox.c.lease_expires_at > now
                )
            )
            retry = await conn.scalar(
                select(func.min(outbox.c.next_attempt_at)).where(
                    *pending, outbox.c.next_attempt_at > now
                )
            )
        times = [aware(t) for t in (lease, retry) if t is not None]
        return min(times) if times else None  # type: ignore[type-var]

    async def ensure_subscription(
        self, platform: str, channel: str, story: str, mode: str, who: str
    ) -> bool:
        """Subscribe a channel unless it is already (whatever its mode); safe when several
        workers start together. True if it was added."""
        now = utcnow()
        async with self.write() as conn:
            result = await conn.execute(
                self.insert_ignore(subscriptions, "platform", "channel", "story").values(
                    platform=platform,
                    channel=channel,
                    story=story,
                    mode=mode,
                    created_by=who,
                    created_at=now,
                    last_digest_at=now,
                )
            )
        return bool(result.rowcount)

    async def forget_worker(self, worker_id: str) -> None:
        async with self.write() as conn:
            await conn.execute(delete(workers).where(workers.c.id == worker_id))
