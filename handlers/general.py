"""General commands: help, subscriptions."""

from __future__ import annotations

from bot.errors import UserError
from bot.models import Reply, Request
from bot.services import Services
from handlers.registry import COMMANDS, command


@command("help")
async def help_(request: Request, services: Services) -> Reply:
    """!help [command]
    List the commands, or explain one."""
    name = request.args.strip().lstrip("!/").lower()
    if name:
        cmd = COMMANDS.get(name)
        if cmd is None:
            raise UserError(f"There is no command !{name[:40]}.")
        detail = tuple(line for line in cmd.help.splitlines()[1:] if line.strip())
        admin = " (admins only)" if cmd.admin else ""
        return Reply(title=f"{cmd.usage}{admin}", lines=detail)
    lines = tuple(
        f"{c.usage} — {c.summary}" + (" (admin)" if c.admin else "")
        for c in sorted(COMMANDS.values(), key=lambda c: c.name)
    )
    return Reply(
        title=f"claimwatch: {services.pack.title}",
        lines=lines,
        footer="!help <command> for details.",
    )


@command("subscribe", admin=True)
async def subscribe(request: Request, services: Services) -> Reply:
    """!subscribe [instant|digest]
    Post alerts to this channel: each as it comes (instant), or grouped once a period
    (digest)."""
    mode = request.args.strip().lower() or "instant"
    if mode not in ("instant", "digest"):
        raise UserError("The mode is instant or digest.")
    new = await services.ledger.subscribe(
        request.platform, request.channel, services.story, mode, request.who
    )
    verb = "Subscribed" if new else "Changed"
    return Reply(
        title=f"{verb}: {mode} alerts for this channel", lines=(f"Story: {services.pack.title}",)
    )


@command("unsubscribe", admin=True)
async def unsubscribe(request: Request, services: Services) -> Reply:
    """!unsubscribe
    Stop posting alerts to this channel."""
    gone = await services.ledger.unsubscribe(request.platform, request.channel, services.story)
    if not gone:
        raise UserError("This channel is not subscribed.")
    return Reply(title="Unsubscribed", lines=("No more alerts in this channel.",))
