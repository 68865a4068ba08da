"""The `claimwatch` command: run | worker | workers | chat | poll | extract | discord-sync.

This is the only place that reads settings at start-up, sets up logging and decides which
parts run (chat platforms, polling, delivery). Roles: `run` is all of them in one process;
`worker` polls and delivers over REST without a chat connection; `run --no-worker` only chats.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol

from bot.config import Settings, load_settings
from bot.errors import ClaimwatchError, ConfigError
from bot.runtime import freeze_startup_heap, tune_process
from bot.worker import WorkerLock

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("claimwatch")

#: `poll --all` leaves out sources fetched this recently, so that several started together
#: (by hand or by cron on several hosts) fetch each source once in all.
FRESH_S = 30


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claimwatch",
        description="Follow a contested news story and keep a ledger of who claimed what.",
    )
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND")
    p = sub.add_parser(
        "run",
        help="the bot: chat platforms (the terminal chat when none is configured), polling "
        "and delivery",
    )
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="chat only: answer commands, leave polling and delivery to `claimwatch worker`s",
    )
    sub.add_parser(
        "worker",
        help="poll and deliver alerts (over REST) without connecting to any chat; "
        "several may share a PostgreSQL ledger",
    )
    sub.add_parser("workers", help="list the processes sharing this ledger, with their leases")
    sub.add_parser("chat", help="the terminal chat only (no scheduled polling)")
    p = sub.add_parser("poll", help="poll the due sources once and print a summary")
    p.add_argument("--all", action="store_true", help="every enabled source, due or not")
    p = sub.add_parser("discord-sync", help="register the slash commands with Discord")
    p.add_argument("--guild", default=None, help="one server's id (shows at once); default: all")
    p = sub.add_parser("extract", help="print the claims found in items given as JSON lines")
    p.add_argument("file", nargs="?", default="-", help="a JSONL file of items, or - for stdin")
    p.add_argument("--story", default=None, help="story pack id or path (default: settings)")
    return parser


def setup_logging(settings: Settings, *, quiet_console: bool) -> None:
    """Log to stderr; when the terminal chat owns the screen, to a file under DATA_DIR and
    only warnings to stderr."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter(fmt))
    if quiet_console:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        file = logging.FileHandler(settings.data_dir / "claimwatch.log", encoding="utf-8")
        file.setFormatter(logging.Formatter(fmt))
        root.addHandler(file)
        stderr.setLevel(logging.WARNING)
    root.addHandler(stderr)
    for noisy in ("alembic", "apscheduler", "aiosqlite", "discord", "slack_bolt", "slack_sdk"):
        logging.getLogger(noisy).setLevel(max(settings.log_level_no, logging.WARNING))


def _install_stop(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not available off the main thread or on Windows: Ctrl-C then ends the loop instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


class _Closable(Protocol):
    async def close(self) -> None: ...


@contextlib.asynccontextmanager
async def _serving(settings: Settings, role: str) -> AsyncIterator[tuple[App, asyncio.Event]]:
    """The App of a command that runs until stopped, and the event SIGINT or SIGTERM sets."""
    from bot.app import App

    stop = asyncio.Event()
    _install_stop(stop)
    async with App(settings, role=role) as app:
        freeze_startup_heap()
        yield app, stop


@contextlib.asynccontextmanager
async def rest_publishers(app: App, *, chat: bool) -> AsyncIterator[None]:
    """Publishers that need no chat connection: the webhook, and for a worker (``chat`` is
    False) Discord and Slack over REST only. The console is never one: only a running
    terminal chat can print. What they opened is closed at the end."""
    s = app.settings
    opened: list[_Closable] = []
    if not chat and s.discord_token is not None:
        from bot.platforms import discord

        opened.append(pub := await discord.publisher(s))
        app.add_publisher(pub)
    if not chat and s.slack_bot_token is not None:
        from bot.platforms import slack

        app.add_publisher(await slack.publisher(s))
    if s.webhook_url is not None:
        from bot.platforms import webhook

        opened.append(hook := webhook.publisher(s))
        app.add_publisher(hook)
        await app.ledger.ensure_subscription(
            webhook.PLATFORM, webhook.CHANNEL, app.pack.id, "instant", "WEBHOOK_URL"
        )
    try:
        yield
    finally:
        for closable in opened:
            await closable.close()


async def cmd_run(settings: Settings, *, worker: bool = True) -> int:
    from bot.platforms.console import ConsolePublisher, run_console

    async with (
        _serving(settings, "run" if worker else "chat") as (app, stop),
        rest_publishers(app, chat=True) if worker else contextlib.nullcontext(),
    ):
        platforms = settings.platforms
        if not platforms:
            app.add_publisher(ConsolePublisher(sys.stdout))
            await app.start_jobs(poll=worker, deliver=worker)
            log.info("no chat platform configured: terminal chat")
            await run_console(app.services, app.delivery.deliver_once, stop)
            return 0
        from bot.platforms import start_platforms

        runners = await start_platforms(app, platforms, stop)
        await app.start_jobs(poll=worker, deliver=worker)
        if not worker:
            log.info("chat only (--no-worker): polling and delivery are left to workers")
        await stop.wait()
        for runner in runners:
            await runner.close()
    return 0


async def cmd_worker(settings: Settings) -> int:
    async with (
        _serving(settings, "worker") as (app, stop),
        rest_publishers(app, chat=False),
    ):
        if not app.publishers:
            log.warning(
                "no publisher configured (DISCORD_TOKEN, SLACK_BOT_TOKEN or WEBHOOK_URL): "
                "this worker polls only; alerts wait for a process that can deliver them"
            )
        await app.start_jobs()
        log.info(
            "worker %s: polling and delivering to %s",
            app.owner,
            ", ".join(sorted(app.publishers)) or "nothing",
        )
        await stop.wait()
    return 0


async def cmd_workers(settings: Settings) -> int:
    from bot.ledger import Ledger
    from bot.platforms.console import render_reply
    from handlers.workers import workers_reply

    ledger = await Ledger.open(settings.ledger_url)
    try:
        print(render_reply(workers_reply(await ledger.workers())))
    finally:
        await ledger.close()
    return 0


async def cmd_chat(settings: Settings) -> int:
    from bot.platforms.console import ConsolePublisher, run_console

    async with _serving(settings, "chat") as (app, stop):
        app.add_publisher(ConsolePublisher(sys.stdout))
        await run_console(app.services, app.delivery.deliver_once, stop)
    return 0


async def cmd_poll(settings: Settings, force: bool) -> int:
    from bot.app import App
    from bot.platforms.console import render_reply
    from handlers.sources import poll_summary

    async with App(settings, role="poll") as app:
        from tqdm import tqdm

        # A progress bar on a terminal only; tqdm writes nothing when disabled.
        with tqdm(
            desc="polling", unit="source", file=sys.stderr, disable=not sys.stderr.isatty()
        ) as bar:
            reports = await app.pipeline.poll_once(
                force=force, fresh_s=FRESH_S, progress=lambda _report: bar.update(1)
            )
        print(render_reply(poll_summary(reports)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    tune_process()
    args = build_parser().parse_args(argv)
    cmd = args.cmd or "run"
    if cmd == "extract":
        from bot.claims.cli import run_extract

        return run_extract(args.file, story=args.story or "nk-troops", out=sys.stdout)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"claimwatch: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings, quiet_console=cmd in ("run", "chat") and not settings.platforms)
    try:
        if cmd == "run" and args.no_worker:
            return asyncio.run(cmd_run(settings, worker=False))
        if cmd in ("run", "worker"):
            # One polling process per SQLite file; a no-op on PostgreSQL.
            with WorkerLock(settings.ledger_url):
                if cmd == "worker":
                    return asyncio.run(cmd_worker(settings))
                return asyncio.run(cmd_run(settings))
        if cmd == "workers":
            return asyncio.run(cmd_workers(settings))
        if cmd == "chat":
            return asyncio.run(cmd_chat(settings))
        if cmd == "poll":
            return asyncio.run(cmd_poll(settings, force=args.all))
        if cmd == "discord-sync":
            from bot.platforms.discord import sync_commands

            count = asyncio.run(sync_commands(settings, args.guild))
            where = f"server {args.guild}" if args.guild else "all servers (may take a while)"
            print(f"synced {count} slash commands to {where}")
            return 0
    except ClaimwatchError as exc:
        print(f"claimwatch: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
