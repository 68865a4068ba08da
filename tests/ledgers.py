"""Ledger databases for tests: a SQLite file, and a fresh PostgreSQL database when
TEST_DATABASE_URL names a server (the same tests then run on both engines)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.ledger.scratch import scratch_database


def postgres_base() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """CREATE a throw-away database on the test server; DROP it afterwards."""
    base = postgres_base()
    assert base is not None
    async with scratch_database(base, "cw_test_") as url:
        yield url


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'ledger.db'}"
