"""The terminal chat: type commands, read replies; alerts are printed as they are delivered.

Used when no chat platform is configured. With piped input it runs each line as a command and
returns at end of input. The local user is an admin.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.models import Alert, Reply, Request
from bot.services import Services
from handlers import dispatch

PLATFORM = "console"
CHANNEL = "local"
PROMPT = "claimwatch> "


def render_reply(reply: Reply) -> str:
    out = [reply.title, "─" * min(len(reply.title), 60), *reply.lines]
    out += [f"{f.name}: {f.value}" for f in reply.fields]
    out += [f"  {link.label}: {link.url}" for link in reply.links]
    if reply.footer:
        out.append(reply.footer)
    return "\n".join(out)


def render_alert(alert: Alert) -> str:
    head = "DIGEST" if alert.kind == "digest" else "ALERT"
    out = [f"[{head}] {alert.title} — {alert.source_name}"]
    if alert.summary:
        out.append(f"  {alert.summary}")
    out += [f"  • {c}" for c in alert.claims]
    out += [f"  ! {f}" for f in alert.flags]
    if alert.also_reported_by:
        out.append(f"  also reported by {', '.join(alert.also_reported_by)}")
    if alert.url:
        out.append(f"  {alert.url}")
    return "\n".join(out)


class ConsolePublisher:
    platform = PLATFORM

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def publish(self, channel: str, alert: Alert, key: str) -> str | None:
        self.out.write(render_alert(alert) + "\n\n")
        self.out.flush()
        return key


def parse_line(line: str) -> tuple[str, str] | None:
    """'!addsource http://x name' -> ('addsource', 'http://x name'); the ! is optional."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    name, _, args = line.lstrip("!/").partition(" ")
    return name.lower(), args.strip()


def _stdin_lines(
    loop: asyncio.AbstractEventLoop,
    queue: asyncio.Queue[str | None],
    stream: TextIO,
    prompt: str | None,
) -> None:
    """Read lines in a daemon thread, so a pending read never blocks shutdown."""
    while True:
        if prompt:
            sys.stdout.write(prompt)
            sys.stdout.flush()
        line = stream.readline()
        loop.call_soon_threadsafe(queue.put_nowait, line if line else None)
        if not line:
            return


async def run_console(
    services: Services,
    deliver: Callable[[], Awaitable[int]],
    stop: asyncio.Event,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> None:
    """Chat until end of input or ``stop``. ``deliver`` runs a delivery round after each
    command, so alerts a command queued (e.g. !poll) are printed right after its reply."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    await services.ledger.subscribe(PLATFORM, CHANNEL, services.story, "instant", "console")
    prompt = PROMPT if stdin.isatty() else None
    if prompt:
        out.write(f"claimwatch — {services.pack.title}. Type !help, or Ctrl-D to quit.\n")
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(
        target=_stdin_lines, args=(asyncio.get_running_loop(), queue, stdin, prompt), daemon=True
    ).start()
    while not stop.is_set():
        getter = asyncio.ensure_future(queue.get())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not getter.done():
            getter.cancel()
            return
        line = getter.result()
        if line is None:
            return
        parsed = parse_line(line)
        if parsed is None:
            continue
        name, args = parsed
        request = Request(
            command=name,
            args=args,
            platform=PLATFORM,
            channel=CHANNEL,
            user_id="local",
            user_name="local",
            is_admin=True,
        )
        reply = await dispatch(request, services)
        out.write(render_reply(reply) + "\n\n")
        out.flush()
        await deliver()
