"""What every part of the ledger shares: the engine, transactions, error wrapping, row mapping.

The ledger is the only place that knows SQL. Any method may raise LedgerError; datetimes going
in and out are timezone-aware UTC.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import Row, Select, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import LedgerError
from bot.models import ClaimRecord


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


class LedgerBase:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._write_lock: asyncio.Lock | None = None
        self._write_lock_loop: asyncio.AbstractEventLoop | None = None
        #: claim_heads(cached=True) answers by (story, pairs, per_pair), with the newest
        #: claim id they saw (bot/ledger/claims.py).
        self._heads_cache: dict[Any, tuple[int, list[ClaimRecord]]] = {}

    def forget_cached_heads(self) -> None:
        """Empty claim_heads' cache (a source's name changed; the benchmark's cold runs)."""
        self._heads_cache.clear()

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def _writer_queue(self) -> AbstractAsyncContextManager[object]:
        """SQLite takes one writer at a time, and its busy handler makes the others sleep and
        retry (up to the busy timeout) instead of queueing: with 32 sources storing at once
        that was most of a poll's wall time (bench/NOTES.md). This process's writers queue
        on a lock instead; BEGIN IMMEDIATE still orders them against other processes. The
        lock is taken before a pooled connection, so a queued writer holds none. Made per
        event loop (a lock is bound to the loop it first waits on)."""
        if self.dialect != "sqlite":
            return nullcontext()
        loop = asyncio.get_running_loop()
        if self._write_lock is None or self._write_lock_loop is not loop:
            self._write_lock, self._write_lock_loop = asyncio.Lock(), loop
        return self._write_lock

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite). Not reentrant: a write must not
        open another write (on SQLite the second would wait for the first forever)."""
        try:
            async with self._writer_queue(), self.engine.connect() as conn:
                conn = await conn.execution_options(cw_write=True)
                async with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise LedgerError(f"ledger write failed: {type(exc).__name__}: {exc}") from exc

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            raise LedgerError(f"ledger read failed: {type(exc).__name__}: {exc}") from exc

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT that can say ON CONFLICT DO NOTHING on both engines."""
        if self.is_postgres:
            return postgresql.insert(table)
        return sqlite.insert(table)

    def insert_ignore(self, table: Table, *conflict: str) -> Any:
        return self.insert(table).on_conflict_do_nothing(index_elements=list(conflict) or None)

    async def take_leases(
        self,
        table: Table,
        candidates: Select[Any],
        owner: str,
        now: dt.datetime,
        lease_s: int,
        **also: Any,
    ) -> list[Row[Any]]:
        """Lease the rows whose ids ``candidates`` selects, in one write transaction.

        ``candidates`` locks what it selects (FOR UPDATE SKIP LOCKED: workers never wait on,
        nor take, each other's rows; SQLite ignores it and BEGIN IMMEDIATE serializes instead);
        the lease (owner, expiry) and ``also`` are written in the same transaction, and the
        leased rows are returned in id order."""
        async with self.write() as conn:
            ids = list((await conn.scalars(candidates.with_for_update(skip_locked=True))).all())
            if not ids:
                return []
            expires = now + dt.timedelta(seconds=lease_s)
            await conn.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(lease_owner=owner, lease_expires_at=expires, **also)
            )
            query = select(table).where(table.c.id.in_(ids)).order_by(table.c.id)
            return list((await conn.execute(query)).all())
