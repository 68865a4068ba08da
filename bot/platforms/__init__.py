"""Chat platform adapters. Each SDK is imported in its own module only.

Every adapter offers ``async def start(app, stop) -> Runner``: it registers its Publisher with
the app (so the delivery worker can post alerts), connects in the background, and returns a
runner whose ``close()`` disconnects cleanly.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.app import App


class Runner(Protocol):
    async def close(self) -> None: ...


async def start_platforms(app: App, names: list[str], stop: asyncio.Event) -> list[Runner]:
    runners: list[Runner] = []
    if "discord" in names:
        from bot.platforms import discord

        runners.append(await discord.start(app, stop))
    if "slack" in names:
        from bot.platforms import slack

        runners.append(await slack.start(app, stop))
    return runners
