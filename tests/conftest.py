"""Shared pytest fixtures. Keep fixture code in its own module; register it here."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from feedserver import FeedServer


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A feed server on 127.0.0.1 (see tests/feedserver.py)."""
    async with FeedServer() as server:
        yield server
