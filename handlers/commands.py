"""Imports every command module, so that each registers its commands."""

from handlers import claims, general, outbox, sources, story

__all__ = ["claims", "general", "outbox", "sources", "story"]
