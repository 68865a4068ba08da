"""The command table and the one error policy shared by every platform.

A handler is ``async def handler(request, services) -> Reply``; its docstring is its `!help`
text (first line: usage; the rest: what it does). Adapters call :func:`dispatch` only.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import PermissionDenied, UserError
from bot.models import Reply, Request
from bot.services import Services

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

Handler = Callable[[Request, Services], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    func: Handler
    admin: bool
    usage: str
    summary: str

    @property
    def help(self) -> str:
        return inspect.getdoc(self.func) or self.summary


COMMANDS: dict[str, Command] = {}


def command(name: str, *, admin: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler. The first docstring line is the usage, the second the summary."""

    def register(func: Handler) -> Handler:
        doc = (inspect.getdoc(func) or name).splitlines()
        usage = doc[0].strip()
        body = " ".join(line.strip() for line in doc[1:]).strip()
        summary = body.split(". ")[0].rstrip(".") + "." if body else usage
        COMMANDS[name] = Command(name=name, func=func, admin=admin, usage=usage, summary=summary)
        return func

    return register


def split_args(args: str) -> list[str]:
    """Split like a shell, but never fail on an unbalanced quote."""
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def usage(cmd: str, problem: str | None = None) -> Reply:
    c = COMMANDS.get(cmd)
    line = f"Usage: {c.usage}" if c else f"Unknown command {cmd!r}."
    lines = (problem, line) if problem else (line,)
    return Reply(title=f"!{cmd}", lines=tuple(lines), kind="usage")


async def dispatch(request: Request, services: Services) -> Reply:
    """Run one command. Usage errors answer the user; anything else is logged, and the user
    gets a short apology (never a traceback)."""
    # Control characters have no meaning in a command and PostgreSQL refuses NUL in text.
    request = dataclasses.replace(request, args=_CONTROL.sub("", request.args))
    name = request.command.lower().lstrip("!/")
    cmd = COMMANDS.get(name)
    if cmd is None:
        return Reply(
            title="Unknown command",
            lines=(f"I don't know !{name[:40]}. Try !help.",),
            kind="usage",
        )
    try:
        if cmd.admin and not request.is_admin:
            raise PermissionDenied(f"!{name} is for admins only.")
        reply = await cmd.func(request, services)
    except PermissionDenied as exc:
        reply = Reply(title="Not allowed", lines=(str(exc),), kind="error")
    except UserError as exc:
        reply = Reply(title=f"!{name}", lines=(str(exc), f"Usage: {cmd.usage}"), kind="usage")
    except Exception:
        log.exception("command !%s failed", name)
        reply = Reply(
            title="Sorry",
            lines=(f"Something went wrong while running !{name}. It has been logged.",),
            kind="error",
        )
    if cmd.admin:
        await services.ledger.record_audit(
            who=request.who,
            command=name,
            args=request.args[:500],
            result=reply.kind if reply.kind != "info" else "ok",
        )
    return reply
