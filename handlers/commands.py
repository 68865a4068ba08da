"""Imports every command module, so that each registers its commands."""

from handlers import general, sources, story

__all__ = ["general", "sources", "story"]
