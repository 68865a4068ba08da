"""!workers: the claimwatch processes sharing this ledger, what each holds and how alive it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.ledger.store import STALE_AFTER_S
from bot.models import Reply, Request, utcnow
from bot.services import Services
from handlers.registry import command
from handlers.text import ago, clip


def workers_reply(found: list[dict[str, Any]], now: dt.datetime | None = None) -> Reply:
    """The reply for a list from ``Ledger.workers()`` (also printed by `claimwatch workers`)."""
    now = now or utcnow()
    if not found:
        return Reply(
            title="No running workers",
            lines=("No claimwatch run or worker has sent a heartbeat to this ledger.",),
        )
    lines = []
    for w in found:
        state = "STALE" if w["stale"] else "live"
        lines.append(
            f"{clip(str(w['id']), 60)} — {w['role']} · {state} · {clip(str(w['host']), 40)} "
            f"pid {w['pid']} · heartbeat {ago(w['heartbeat_at'], now)} · "
            f"leases: {w['leased_sources']} sources, {w['leased_outbox']} alerts · "
            f"{w['rounds']} rounds · up since {ago(w['started_at'], now)}"
        )
    live = sum(1 for w in found if not w["stale"])
    stale = len(found) - live
    return Reply(
        title=f"Workers: {live} live" + (f", {stale} stale" if stale else ""),
        lines=tuple(lines),
        footer=f"Stale: no heartbeat for {STALE_AFTER_S} s; its leases expire and the others "
        "take over its work.",
    )


@command("workers", admin=True)
async def workers(request: Request, services: Services) -> Reply:
    """!workers
    The claimwatch processes sharing this ledger: role, host and pid, last heartbeat, leases
    held and polling rounds done."""
    return workers_reply(await services.ledger.workers())
