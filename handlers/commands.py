"""Imports every command module, so that each registers its commands."""

import handlers.workers  # noqa: F401  (registers !workers)
from handlers import claims, general, outbox, sources, story

__all__ = ["claims", "general", "outbox", "sources", "story"]
