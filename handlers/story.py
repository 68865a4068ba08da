"""Story commands: latest items, and why an item was or was not posted.

The claim views (!status, !claims, !timeline) are in handlers/claims.py.
"""

from __future__ import annotations

from typing import Any

from bot.errors import UserError
from bot.models import ItemRecord, Link, Reply, Request
from bot.services import Services
from handlers.registry import command, split_args
from handlers.text import ago, clip, count

MAX_LATEST = 20


@command("latest")
async def latest(request: Request, services: Services) -> Reply:
    """!latest [n]
    The newest relevant items, with their summaries (default 5, at most 20)."""
    arg = request.args.strip()
    if arg and not arg.isdigit():
        raise UserError("n is a number, e.g. !latest 5.")
    n = max(1, min(int(arg or 5), MAX_LATEST))
    found = await services.ledger.latest_items(services.story, n)
    if not found:
        return Reply(
            title="No relevant items yet",
            lines=("Nothing relevant has been seen yet; !sources shows what is watched.",),
        )
    lines = []
    for item in found:
        when = item.published_at.date().isoformat() if item.published_at else "undated"
        lines.append(f"• {clip(item.title, 140)} — {item.source_name}, {when}")
        if item.summary:
            lines.append(f"  {clip(item.summary, 300)}")
    links = tuple(Link(clip(i.title, 80), i.url) for i in found if i.url)
    title = f"Latest {count(len(found), 'relevant item')}"
    return Reply(title=title, lines=tuple(lines), links=links)


async def _cluster(item: ItemRecord, services: Services) -> tuple[list[str], bool]:
    """Lines about the item's syndicated copies; True when another copy carried the alert."""
    if item.cluster_id is None:
        return [], False
    members = await services.ledger.cluster_items(item.cluster_id)
    others = [m for m in members if m.id != item.id]
    if not others:
        return [], False
    posted = None
    for m in members:
        if await services.ledger.outbox_for_item(m.id):
            posted = m
            break
    lines = []
    if posted is not None and posted.id != item.id:
        lines.append(
            f"Not posted on its own: a duplicate of “{clip(posted.title, 100)}” — "
            f"{posted.source_name}, which was alerted for the story:"
        )
        for d in await services.ledger.outbox_for_item(posted.id):
            lines.append("  " + _delivery_line(d))
    elif item.cluster_id != item.id:
        first = members[0] if members[0].id == item.cluster_id else others[0]
        lines.append(f"A copy of “{clip(first.title, 100)}” — {first.source_name} (seen first).")
    names = sorted({m.source_name for m in others} - {item.source_name})
    if names:
        outlets = "outlet" if len(names) == 1 else "outlets"
        lines.append(
            f"Also carried by {len(names)} other {outlets}: {clip(', '.join(names), 300)}."
        )
    return lines, posted is not None and posted.id != item.id


def _delivery_line(d: dict[str, Any]) -> str:
    where = f"{d['platform']}:{d['channel']}"
    if d["delivered_at"]:
        return f"Posted to {where} {ago(d['delivered_at'])}."
    if d["dead"]:
        return (
            f"Failed delivery to {where} after {d['attempts']} attempts: "
            f"{clip(str(d['last_error'] or ''), 120)}"
        )
    return f"Still queued for {where} ({d['attempts']} attempts so far)."


async def _fate(item: ItemRecord, services: Services) -> list[str]:
    lines = [f"{clip(item.title, 120)} — {item.source_name}, seen {ago(item.fetched_at)}"]
    source = await services.ledger.find_source(services.story, str(item.source_id))
    if not item.relevant:
        lines.append(
            "Not posted: not relevant to the story (it does not name its subject and context)."
        )
        return lines
    copies, duplicate = await _cluster(item, services)
    lines.extend(copies)
    deliveries = await services.ledger.outbox_for_item(item.id)
    if duplicate:
        pass
    elif not deliveries:
        if await services.ledger.is_baseline(item.id):
            lines.append(
                "Not posted: it was already in the feed when the source was added (baseline)."
            )
        else:
            lines.append("Not posted: no channel was subscribed when it arrived.")
    lines.extend(_delivery_line(d) for d in deliveries)
    if source is not None and not source.enabled:
        lines.append(f"Its source #{source.id} is paused.")
    return lines


@command("why")
async def why(request: Request, services: Services) -> Reply:
    """!why <url>
    Why an item was or was not posted: posted (where, when), duplicate, not relevant,
    baseline, source paused, still queued, failed delivery."""
    args = split_args(request.args)
    if not args:
        raise UserError("Give the item's URL.")
    url = args[0].strip("<>").split("|", 1)[0][:2000]
    found = await services.ledger.items_by_url(services.story, url)
    if not found:
        return Reply(
            title="Never seen",
            lines=(
                f"No watched source has carried {clip(url, 200)} (yet).",
                "!sources lists what is watched; !poll checks now.",
            ),
        )
    lines: list[str] = []
    for item in found[:3]:
        lines.extend(await _fate(item, services))
    return Reply(title=f"Why: {clip(found[0].title, 200)}", lines=tuple(lines))
