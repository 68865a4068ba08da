"""Shared pytest fixtures. Keep fixture code in its own module; register it here."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from feedserver import FeedServer
from ledgers import postgres_base, postgres_database, sqlite_url

from bot.config import Settings, load_settings

if TYPE_CHECKING:
    from bot.app import App

ENGINES = ["sqlite", "postgres"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test a compiled extractor older than its source: Python imports the compiled
    module first, so the tests would run yesterday's code (`make test` rebuilds it)."""
    claims = Path(__file__).resolve().parent.parent / "bot" / "claims"
    for built in claims.glob("*.so"):
        source = claims / (built.name.split(".", 1)[0] + ".py")
        if source.exists() and source.stat().st_mtime > built.stat().st_mtime:
            pytest.exit(f"{built.name} is older than {source.name}: run `make install`", 2)


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, not from the developer's environment."""
    for key in (
        "DATABASE_URL",
        "DISCORD_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "STORY",
        "DATA_DIR",
        "ALLOW_PRIVATE_SOURCES",
    ):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A feed server on 127.0.0.1 (see tests/feedserver.py)."""
    async with FeedServer() as server:
        yield server


@pytest.fixture(params=ENGINES)
async def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty ledger database: SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    if not postgres_base():
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    async with postgres_database() as url:
        yield url


def make_settings(tmp_path: Path, ledger_url: str, **overrides: object) -> Settings:
    """Settings for tests: no curated sources, no archive, loopback feeds allowed, no .env."""
    values: dict[str, object] = dict(
        _env_file=None,
        data_dir=tmp_path,
        database_url=ledger_url,
        seed_sources=False,
        load_archive=False,
        allow_private_sources="127.0.0.1/32",
        fetch_timeout_s=2.0,
        backoff_base_s=60,
    )
    values.update(overrides)
    return load_settings(**values)


def process_env(tmp_path: Path, ledger_url: str, **values: str) -> dict[str, str]:
    """The environment of a claimwatch process a test starts: of the developer's, only PATH,
    HOME and LANG; DATA_DIR under ``tmp_path``, no curated sources, no archive, loopback feeds
    allowed. ``values`` add to it or replace."""
    return {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": ledger_url,
        "SEED_SOURCES": "0",
        "LOAD_ARCHIVE": "0",
        "ALLOW_PRIVATE_SOURCES": "127.0.0.1/32",
        **values,
    }


@pytest.fixture
def settings(tmp_path: Path, ledger_url: str) -> Settings:
    return make_settings(tmp_path, ledger_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    from bot.app import App  # imported here: most tests need no app

    async with App(settings) as running:
        yield running
