"""Throw-away PostgreSQL databases, for the tests and the benchmarks: each gets a fresh, empty
ledger database on a server and drops it afterwards. The bot itself never calls this."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bot.ledger.notify import asyncpg_dsn


@asynccontextmanager
async def scratch_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """CREATE a database named ``prefix`` and a random suffix on the server of ``server_url``
    (a postgresql+asyncpg:// URL whose user may CREATE DATABASE); yield its URL; DROP it at
    the end, even while connections to it are still open."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    root, _, _ = server_url.rpartition("/")
    try:
        yield f"{root}/{name}"
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(server_url: str, statement: str) -> None:
    """Run one statement on its own connection (CREATE / DROP DATABASE take no transaction)."""
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
