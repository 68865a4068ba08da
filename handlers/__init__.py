"""Platform-neutral chat commands: async (Request, Services) -> Reply.

Handlers import the core (ledger, pipeline, claims) but never a chat SDK, aiohttp or SQL.
"""

from handlers import commands as _commands  # noqa: F401  (registers every command)
from handlers.registry import COMMANDS, Command, dispatch

__all__ = ["COMMANDS", "Command", "dispatch"]
