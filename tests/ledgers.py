"""Ledger databases for tests: a SQLite file, and a fresh PostgreSQL database when
TEST_DATABASE_URL names a server (the same tests then run on both engines)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg


def postgres_base() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """CREATE a throw-away database on the test server; DROP it afterwards."""
    base = postgres_base()
    assert base is not None
    name = f"cw_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(base))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    root, _, _ = base.rpartition("/")
    try:
        yield f"{root}/{name}"
    finally:
        admin = await asyncpg.connect(_dsn(base))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'ledger.db'}"
