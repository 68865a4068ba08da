"""Wake-ups for new outbox rows on PostgreSQL: LISTEN on the channel the outbox trigger
notifies (migration 0003), on one dedicated asyncpg connection that is re-opened when lost.

It only calls ``on_notify``; it never reads or writes ledger rows. The delivery worker's own
interval stays the fallback (a notification lost while reconnecting is caught up at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "claimwatch_outbox"
#: How often an idle connection is checked (a half-open TCP connection says nothing).
PING_S = 30.0
MAX_BACKOFF_S = 30.0


def asyncpg_dsn(ledger_url: str) -> str:
    """The ledger's SQLAlchemy URL as a libpq DSN for asyncpg."""
    url = make_url(ledger_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class OutboxListener:
    """``await listener.start()`` ... ``await listener.close()``. ``on_notify`` is called in
    the event loop for every notification, and once after each (re)connection."""

    def __init__(
        self, ledger_url: str, on_notify: Callable[[], object], *, ping_s: float = PING_S
    ) -> None:
        self.dsn = asyncpg_dsn(ledger_url)
        self.on_notify = on_notify
        self.ping_s = ping_s
        self.connected = asyncio.Event()
        self.connections = 0  # successful connections so far (the first, then reconnections)
        self._task: asyncio.Task[None] | None = None
        self._conn: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-listener")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._disconnect()

    def _notified(self, *_args: Any) -> None:
        self.on_notify()

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("outbox listener: connection lost or refused (%s)", exc)
            except Exception:  # never let the listener die: the fallback interval is slow
                log.exception("outbox listener failed")
            if self.connected.is_set():  # it had connected: start the backoff over
                backoff = 1.0
            self.connected.clear()
            await self._disconnect()
            log.info("outbox listener: reconnecting in %.0f s", backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _listen(self) -> None:
        lost = asyncio.Event()
        conn = await asyncpg.connect(self.dsn, timeout=10)
        self._conn = conn
        conn.add_termination_listener(lambda _c: lost.set())
        await conn.add_listener(CHANNEL, self._notified)
        self.connected.set()
        self.connections += 1
        log.info("listening for new outbox rows (LISTEN %s)", CHANNEL)
        self.on_notify()  # rows queued while we were not listening
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), self.ping_s)
            if lost.is_set() or conn.is_closed():
                raise ConnectionError("connection closed")
            await conn.fetchval("SELECT 1", timeout=10)

    async def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)
