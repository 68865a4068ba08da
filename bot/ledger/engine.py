"""Opening the ledger's database: engine options per backend, and migrations at start.

SQLite runs in WAL mode with a busy timeout, and write transactions start with BEGIN IMMEDIATE
so two processes on one file wait for each other instead of failing on a lock upgrade.
PostgreSQL migrations take an advisory lock, so workers starting together migrate once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 7_340_117  # any constant; names the advisory lock for migrations
#: SQLite connections of one process: one. Its writes queue on one lock anyway
#: (LedgerBase.write), reads take milliseconds, and each more connection is an aiosqlite thread
#: and a page cache: peak RSS of the N=1,000 polling benchmark 176 MB with two, 155 with one.
#: No ledger method opens a connection while holding one (it would wait for itself).
SQLITE_POOL_SIZE = 1
SQLITE_MAX_OVERFLOW = 0


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        pool: dict[str, Any] = {}
        if not _in_memory(url):
            pool = dict(pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_MAX_OVERFLOW)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool)
        _sqlite_events(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=5, pool_pre_ping=True)


def _in_memory(url: str) -> bool:
    path = url.split(":///", 1)[-1]
    return not path or path.startswith(":memory:") or "mode=memory" in path


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_events(engine: AsyncEngine) -> None:
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("cw_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _upgrade(connection: Connection) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    command.upgrade(cfg, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(cw_write=True)
        await conn.run_sync(_upgrade)
        await conn.commit()
