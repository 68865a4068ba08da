"""Sources in the ledger: curated seeding, admin changes, due-source leases, fetch health."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update

from bot.claims.pack import SourceSpec
from bot.errors import UserError
from bot.ledger.base import LedgerBase, aware
from bot.ledger.schema import items, sources
from bot.models import Source, utcnow


def to_source(row: Any, items_count: int = 0) -> Source:
    m = row._mapping
    return Source(
        id=m["id"],
        story=m["story"],
        url=m["url"],
        name=m["name"],
        kind=m["kind"],
        perspective=m["perspective"],
        tier=m["tier"],
        added_by=m["added_by"],
        enabled=bool(m["enabled"]),
        etag=m["etag"],
        last_modified=m["last_modified"],
        next_check_at=aware(m["next_check_at"]),
        interval_s=m["interval_s"],
        consecutive_failures=m["consecutive_failures"],
        last_error=m["last_error"],
        last_ok_at=aware(m["last_ok_at"]),
        last_attempt_at=aware(m["last_attempt_at"]),
        baseline_done=bool(m["baseline_done"]),
        items_count=items_count,
    )


def polled_ok(last_ok_at: Any, next_check_at: Any) -> dict[str, Any]:
    """The values a successful poll writes to its source: healthy again, past its baseline,
    next checked at ``next_check_at``, its lease released."""
    return dict(
        last_ok_at=last_ok_at,
        consecutive_failures=0,
        last_error=None,
        health_warned=False,
        next_check_at=next_check_at,
        baseline_done=True,
        lease_owner=None,
        lease_expires_at=None,
    )


class SourcesMixin(LedgerBase):
    async def seed_sources(self, story: str, specs: Iterable[SourceSpec], interval_s: int) -> int:
        """Insert the pack's curated sources that are not in the ledger yet (first start)."""
        now = utcnow()
        rows = [
            dict(
                story=story,
                url=s.url,
                name=s.name,
                perspective=s.perspective,
                tier=s.tier,
                added_by="story pack",
                interval_s=interval_s,
                created_at=now,
                next_check_at=now,
            )
            for s in specs
        ]
        if not rows:
            return 0
        stmt = self.insert_ignore(sources, "story", "url").returning(sources.c.id)
        async with self.write() as conn:
            result = await conn.execute(stmt, rows)
            return len(result.all())

    async def add_source(
        self, story: str, url: str, name: str, added_by: str, interval_s: int, perspective: str = ""
    ) -> Source:
        """Add a source, or bring back one that was removed (its seen items are kept, so
        nothing is posted twice). The first poll records a baseline and posts nothing."""
        now = utcnow()
        async with self.write() as conn:
            row = (
                await conn.execute(
                    select(sources).where(sources.c.story == story, sources.c.url == url)
                )
            ).first()
            if row is not None and row._mapping["removed_at"] is None:
                raise UserError(f"Already watching {url} (source #{row._mapping['id']}).")
            if row is not None:
                await conn.execute(
                    update(sources)
                    .where(sources.c.id == row._mapping["id"])
                    .values(
                        removed_at=None,
                        enabled=True,
                        name=name,
                        added_by=added_by,
                        next_check_at=now,
                        consecutive_failures=0,
                        last_error=None,
                        baseline_done=False,
                    )
                )
                source_id = row._mapping["id"]
            else:
                result = await conn.execute(
                    sources.insert().values(
                        story=story,
                        url=url,
                        name=name,
                        added_by=added_by,
                        perspective=perspective,
                        interval_s=interval_s,
                        created_at=now,
                        next_check_at=now,
                    )
                )
                source_id = result.inserted_primary_key[0]  # type: ignore[index]
            row = (await conn.execute(select(sources).where(sources.c.id == source_id))).one()
        self.forget_cached_heads()  # a revived source may have a new name
        return to_source(row)

    async def archive_source(self, story: str, name: str) -> Source:
        """The pseudo-source that holds a story's archive items (never polled)."""
        url = f"archive:{story}"
        async with self.write() as conn:
            await conn.execute(
                self.insert_ignore(sources, "story", "url").values(
                    story=story,
                    url=url,
                    name=name,
                    kind="archive",
                    enabled=False,
                    added_by="story pack",
                    baseline_done=True,
                    created_at=utcnow(),
                )
            )
            row = (
                await conn.execute(
                    select(sources).where(sources.c.story == story, sources.c.url == url)
                )
            ).one()
        return to_source(row)

    async def find_source(self, story: str, ref: str) -> Source | None:
        """A source by id (``3`` or ``#3``), URL or exact name (case-insensitive)."""
        ref = ref.strip()
        conds = [sources.c.url == ref, func.lower(sources.c.name) == ref.lower()]
        if ref.lstrip("#").isdigit() and len(ref.lstrip("#")) < 19:  # fits a BIGINT
            conds.append(sources.c.id == int(ref.lstrip("#")))
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(sources)
                    .where(sources.c.story == story, sources.c.removed_at.is_(None), or_(*conds))
                    .order_by(sources.c.id)
                    .limit(1)
                )
            ).first()
        return to_source(row) if row else None

    async def list_sources(self, story: str) -> list[Source]:
        counts = (
            select(items.c.source_id, func.count().label("n"))
            .group_by(items.c.source_id)
            .subquery()
        )
        query = (
            select(sources, func.coalesce(counts.c.n, 0).label("n"))
            .outerjoin(counts, counts.c.source_id == sources.c.id)
            .where(
                sources.c.story == story,
                sources.c.removed_at.is_(None),
                sources.c.kind != "archive",
            )
            .order_by(sources.c.id)
        )
        async with self.read() as conn:
            rows = (await conn.execute(query)).all()
        return [to_source(r, items_count=r._mapping["n"]) for r in rows]

    async def set_enabled(self, source_id: int, enabled: bool) -> None:
        values: dict[str, Any] = {"enabled": enabled}
        if enabled:
            values["next_check_at"] = utcnow()
        async with self.write() as conn:
            await conn.execute(update(sources).where(sources.c.id == source_id).values(**values))

    async def remove_source(self, source_id: int) -> None:
        """Hide a source and stop polling it; its items and claims stay in the ledger."""
        async with self.write() as conn:
            await conn.execute(
                update(sources)
                .where(sources.c.id == source_id)
                .values(removed_at=utcnow(), enabled=False, lease_owner=None)
            )

    async def lease_due_sources(
        self,
        story: str,
        owner: str,
        *,
        limit: int,
        lease_s: int,
        attempted_before: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> list[Source]:
        """Take the lease on up to ``limit`` due sources (FOR UPDATE SKIP LOCKED on PostgreSQL,
        BEGIN IMMEDIATE on SQLite).

        With ``attempted_before`` (a forced poll), every enabled source last attempted before
        that time is due, whatever its next check: a forced round passes its start time, so it
        takes each source once, and forced rounds started together share the sources."""
        now = now or utcnow()
        if attempted_before is not None:
            due = or_(
                sources.c.last_attempt_at.is_(None),
                sources.c.last_attempt_at < attempted_before,
            )
        else:
            due = or_(sources.c.next_check_at.is_(None), sources.c.next_check_at <= now)
        query = (
            select(sources.c.id)
            .where(
                sources.c.story == story,
                sources.c.enabled.is_(True),
                sources.c.removed_at.is_(None),
                sources.c.kind == "feed",
                due,
                or_(sources.c.lease_expires_at.is_(None), sources.c.lease_expires_at < now),
            )
            .order_by(sources.c.next_check_at.nulls_first(), sources.c.id)
            .limit(limit)
        )
        rows = await self.take_leases(sources, query, owner, now, lease_s, last_attempt_at=now)
        return [to_source(r) for r in rows]

    async def record_failure(
        self, source_id: int, owner: str, error: str, next_check_at: dt.datetime
    ) -> tuple[int, bool]:
        """Store a failed attempt; returns (consecutive failures, whether to warn admins now).
        Admins are warned once per failure streak."""
        async with self.write() as conn:
            row = (
                await conn.execute(
                    update(sources)
                    .where(sources.c.id == source_id)
                    .values(
                        consecutive_failures=sources.c.consecutive_failures + 1,
                        last_error=error[:500],
                        next_check_at=next_check_at,
                        lease_owner=None,
                        lease_expires_at=None,
                    )
                    .returning(sources.c.consecutive_failures, sources.c.health_warned)
                )
            ).one()
            failures, warned = row
            warn = not warned and failures >= 3
            if warn:
                await conn.execute(
                    update(sources).where(sources.c.id == source_id).values(health_warned=True)
                )
        return failures, warn

    async def release_source(self, source_id: int, owner: str) -> None:
        async with self.write() as conn:
            await conn.execute(
                update(sources)
                .where(and_(sources.c.id == source_id, sources.c.lease_owner == owner))
                .values(lease_owner=None, lease_expires_at=None)
            )

    async def record_unchanged(
        self, owner: str, polled: Sequence[tuple[int, dt.datetime, dt.datetime]]
    ) -> None:
        """Record successful polls that brought nothing new (304s), many in one transaction:
        ``polled`` holds (source id, when it answered, next check). Each source is released;
        a source whose lease ``owner`` no longer holds (it expired and another took it) is
        left alone."""
        if not polled:
            return
        stmt = (
            update(sources)
            .where(sources.c.id == bindparam("b_id"), sources.c.lease_owner == owner)
            .values(**polled_ok(bindparam("b_ok"), bindparam("b_next")))
        )
        rows = [{"b_id": i, "b_ok": ok, "b_next": nxt} for i, ok, nxt in polled]
        async with self.write() as conn:
            await conn.execute(stmt, rows)
