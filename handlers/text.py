"""Small text helpers shared by handlers: relative times, cutting long values."""

from __future__ import annotations

import datetime as dt

from bot.models import utcnow


def ago(when: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'5 min ago', 'in 3 h', 'never'."""
    if when is None:
        return "never"
    delta = ((now or utcnow()) - when).total_seconds()
    future = delta < 0
    s = abs(delta)
    if s < 60:
        text = f"{int(s)} s"
    elif s < 3600:
        text = f"{int(s // 60)} min"
    elif s < 86_400 * 2:
        text = f"{s / 3600:.0f} h"
    else:
        text = f"{s / 86_400:.0f} days"
    return f"in {text}" if future else f"{text} ago"


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def count(n: int, noun: str) -> str:
    """'1 source', '3 sources'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
