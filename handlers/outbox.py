"""Admin view of the outbox: dead letters (alerts given up on) with their errors, and what is
still pending."""

from __future__ import annotations

from bot.errors import UserError
from bot.models import Reply, Request
from bot.services import Services
from handlers.registry import command
from handlers.text import clip

MAX_SHOWN = 20


@command("deadletters", admin=True)
async def deadletters(request: Request, services: Services) -> Reply:
    """!deadletters [n]
    Alerts that could not be delivered after every retry, with their last error (newest
    first, default 10), and how many alerts are still pending."""
    arg = request.args.strip()
    if arg and not arg.isdigit():
        raise UserError("n is a number, e.g. !deadletters 10.")
    n = max(1, min(int(arg[:4] or 10), MAX_SHOWN))
    counts = await services.ledger.outbox_counts()
    dead = await services.ledger.dead_letters(limit=n)
    lines = [
        f"{counts['pending']} pending, {counts['dead']} dead letters, "
        f"{counts['delivered']} delivered."
    ]
    for row, error in dead:
        lines.append(
            f"#{row.id} {row.platform}:{clip(row.channel, 40)} — {clip(row.alert.title, 80)} "
            f"({row.attempts} attempts): {clip(error or 'no error recorded', 160)}"
        )
    if not dead:
        lines.append("No dead letters.")
    return Reply(title="Outbox", lines=tuple(lines))
