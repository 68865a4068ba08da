"""What handlers and platforms are given: the ledger, the story pack, the poller, the settings.

Built once by ``bot.__main__`` and passed in; nothing here is global.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.claims.pack import StoryPack
    from bot.config import Settings
    from bot.ledger.store import Ledger
    from bot.models import PollReport, Source


@dataclass
class Services:
    settings: Settings
    pack: StoryPack
    ledger: Ledger
    #: Poll sources now (all enabled ones when ``force``); returns one report per source.
    poll: Callable[..., Awaitable[list[PollReport]]]
    #: Fetch and parse a URL once, add it, and record its items as the baseline.
    #: Arguments: url, name or None, added_by. Returns the source and the baseline's size.
    add_source: Callable[[str, str | None, str], Awaitable[tuple[Source, int]]]
    #: Ask the delivery worker to run soon (after a poll queued alerts).
    kick_delivery: Callable[[], None] = lambda: None

    @property
    def story(self) -> str:
        return self.pack.id
