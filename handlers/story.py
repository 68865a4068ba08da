"""Story commands: latest items, and why an item was or was not posted.

The claim views (!status, !claims, !timeline) are in handlers/claims.py.
"""

from __future__ import annotations

from bot.errors import UserError
from bot.models import ItemRecord, Link, Reply, Request
from bot.services import Services
from handlers.registry import command, split_args
from handlers.text import ago, clip

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
    return Reply(title=f"Latest {len(found)} relevant items", lines=tuple(lines), links=links)


async def _fate(item: ItemRecord, services: Services) -> list[str]:
    lines = [f"{clip(item.title, 120)} — {item.source_name}, seen {ago(item.fetched_at)}"]
    source = await services.ledger.find_source(services.story, str(item.source_id))
    if not item.relevant:
        lines.append(
            "Not posted: not relevant to the story (it does not name its subject and context)."
        )
        return lines
    deliveries = await services.ledger.outbox_for_item(item.id)
    if not deliveries:
        if await services.ledger.is_baseline(item.id):
            lines.append(
                "Not posted: it was already in the feed when the source was added (baseline)."
            )
        else:
            lines.append("Not posted: no channel was subscribed when it arrived.")
    for d in deliveries:
        where = f"{d['platform']}:{d['channel']}"
        if d["delivered_at"]:
            lines.append(f"Posted to {where} {ago(d['delivered_at'])}.")
        elif d["dead"]:
            lines.append(
                f"Failed delivery to {where} after {d['attempts']} attempts: "
                f"{clip(d['last_error'] or '', 120)}"
            )
        else:
            lines.append(f"Still queued for {where} ({d['attempts']} attempts so far).")
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
