"""Discord: the bot in Discord servers. Commands from the handler table, alerts via REST.

The only module that imports discord.py. Every handler becomes a hybrid command, so ``!status``
and ``/status`` run the same handler through ``handlers.dispatch``; replies and alerts are
rendered by ``discord_render`` within Discord's limits. Nothing the bot sends can ping anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.errors import ConfigError, DeliveryError
from bot.models import Alert, Reply, Request
from bot.platforms.discord_render import nonce_for, render_alert, render_reply
from bot.services import Services
from handlers import COMMANDS, Command, dispatch

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

PLATFORM = "discord"
#: An interaction must be answered within 3 s; a slower command is deferred first.
DEFER_AFTER_S = 2.0
#: A publish that takes longer (discord.py retries 5xx itself, for up to ~25 s) is given up
#: and left to the delivery worker's backoff; the nonce makes a late duplicate harmless.
PUBLISH_TIMEOUT_S = 15.0
#: Rate limits longer than this raise instead of sleeping inside discord.py.
MAX_RATELIMIT_S = 30.0

Ctx = commands.Context["ClaimwatchBot"]


class ClaimwatchBot(commands.Bot):
    """The Discord client. ``services`` is what commands run against; without it the bot can
    only register and sync its slash commands (see :func:`sync_commands`)."""

    def __init__(self, settings: Settings, services: Services | None, **options: object) -> None:
        intents = discord.Intents.default()
        # Message Content is privileged: without it, prefix commands only work in DMs and when
        # the bot is mentioned; slash commands work either way.
        intents.message_content = settings.discord_message_content
        super().__init__(
            command_prefix=commands.when_mentioned_or(settings.discord_prefix),
            intents=intents,
            help_command=None,  # !help is one of our handlers
            case_insensitive=True,  # "!Status" from a phone keyboard
            strip_after_prefix=True,  # "! status"
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_S,
            **options,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.services = services
        self.defer_after_s = DEFER_AFTER_S

    async def setup_hook(self) -> None:
        for cmd in COMMANDS.values():
            self.add_command(hybrid_command(cmd))

    async def on_ready(self) -> None:
        user = self.user
        guilds = len(self.guilds)
        prefix = self.settings.discord_prefix
        if self.intents.message_content:
            how = f"prefix commands ({prefix}status) and slash commands (/status)"
        else:
            how = (
                f"slash commands (/status) and {prefix}commands only when mentioned or in DMs "
                "(DISCORD_MESSAGE_CONTENT is off)"
            )
        log.info(
            "Discord: connected as %s to %d server(s); %s. Slash commands appear once "
            "`claimwatch discord-sync` has been run.",
            user,
            guilds,
            how,
        )

    # ---- commands ----------------------------------------------------------------------

    def is_admin(self, author: discord.abc.User) -> bool:
        """Manage Server permission, or the role named (or numbered) in DISCORD_ADMIN_ROLE."""
        if not isinstance(author, discord.Member):
            return False  # a DM: no server, no admin
        if author.guild_permissions.manage_guild:
            return True
        role = self.settings.discord_admin_role
        return bool(role) and any(r.name == role or str(r.id) == role for r in author.roles)

    async def run_command(self, ctx: Ctx, name: str, args: str) -> None:
        if self.services is None:
            await ctx.send("This instance only syncs commands.")
            return
        channel_id = ctx.channel.id if ctx.channel is not None else 0
        request = Request(
            command=name,
            args=args,
            platform=PLATFORM,
            channel=str(channel_id),
            user_id=str(ctx.author.id),
            user_name=ctx.author.display_name,
            is_admin=self.is_admin(ctx.author),
        )
        task = asyncio.ensure_future(dispatch(request, self.services))
        if ctx.interaction is not None:
            done, _ = await asyncio.wait({task}, timeout=self.defer_after_s)
            if not done:
                await ctx.defer()
        await send_reply(ctx, await task)

    async def on_command_error(  # type: ignore[override]
        self, ctx: Ctx, error: commands.CommandError
    ) -> None:
        """discord.py's own errors (parsing, checks, failures in sending). ``dispatch`` has
        already answered usage and permission errors of our handlers."""
        if isinstance(error, commands.CommandNotFound):
            return  # another bot may share the prefix: stay quiet
        if isinstance(error, commands.UserInputError):
            text = f"I could not read that. Try {self.settings.discord_prefix}help."
        elif isinstance(error, (commands.CheckFailure, commands.MissingPermissions)):
            text = "You are not allowed to do that."
        else:
            original: BaseException = error
            while isinstance(getattr(original, "original", None), BaseException):
                original = original.original  # type: ignore[attr-defined]
            if isinstance(original, discord.Forbidden):  # no Send Messages / Embed Links here
                log.warning(
                    "Discord: may not answer !%s in channel %s: %s",
                    ctx.command,
                    getattr(ctx.channel, "id", "?"),
                    original.text[:200],
                )
                return
            log.error("Discord command !%s failed", ctx.command, exc_info=original)
            text = "Something went wrong. It has been logged."
        with contextlib.suppress(discord.HTTPException):
            await ctx.send(text)


def hybrid_command(cmd: Command) -> commands.HybridCommand[Any, ..., Any]:
    """One handler as ``!name [args]`` and ``/name [args]``; both call ``run_command``."""

    async def callback(ctx: Ctx, *, args: str = "") -> None:
        await ctx.bot.run_command(ctx, cmd.name, args)

    hybrid = commands.hybrid_command(
        name=cmd.name, description=cmd.summary[:100] or cmd.name, help=cmd.help
    )
    described = app_commands.describe(args=cmd.usage[:100])(callback)
    return hybrid(described)


async def send_reply(ctx: Ctx, reply: Reply) -> None:
    for embeds in render_reply(reply):
        await ctx.send(embeds=[discord.Embed.from_dict(e) for e in embeds])


# ---- alerts ----------------------------------------------------------------------------


class DiscordPublisher:
    """Posts alerts to channels by id over REST, with a nonce so Discord dedupes a resend."""

    platform = PLATFORM

    def __init__(self, bot: ClaimwatchBot, timeout_s: float = PUBLISH_TIMEOUT_S) -> None:
        self.bot = bot
        self.timeout_s = timeout_s

    async def publish(self, channel: str, alert: Alert, key: str) -> str | None:
        try:
            channel_id = int(channel)
        except ValueError:
            raise DeliveryError(
                f"not a Discord channel id: {channel[:40]}", permanent=True
            ) from None
        if self.bot.user is None or self.bot.is_closed():
            raise DeliveryError("the Discord client is not logged in yet")
        target = self.bot.get_partial_messageable(channel_id)
        embed = discord.Embed.from_dict(render_alert(alert))
        try:
            message = await asyncio.wait_for(
                # discord.py adds enforce_nonce=True to a message with a nonce: Discord then
                # returns the first message for a repeated nonce instead of posting again.
                target.send(
                    embed=embed,
                    nonce=nonce_for(key),
                    allowed_mentions=discord.AllowedMentions.none(),
                ),
                self.timeout_s,
            )
        except discord.RateLimited as exc:
            raise DeliveryError("rate limited", retry_after=exc.retry_after) from exc
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DeliveryError(f"{exc.status}: {exc.text[:200]}", permanent=True) from exc
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise DeliveryError("rate limited", retry_after=_retry_after(exc)) from exc
            # 5xx: try again later; any other 4xx is our payload, which a retry cannot fix
            raise DeliveryError(
                f"{exc.status}: {exc.text[:200]}", permanent=exc.status < 500
            ) from exc
        except TimeoutError as exc:
            # discord.py was still retrying (5xx) or waiting: leave it to our backoff.
            raise DeliveryError(f"no answer from Discord within {self.timeout_s:g} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"network: {type(exc).__name__}") from exc
        return str(message.id)

    async def close(self) -> None:
        """Log out (only for a REST-only publisher from :func:`publisher`; a chat's client is
        closed by its runner)."""
        await self.bot.close()


def _retry_after(exc: discord.HTTPException) -> float | None:
    value = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


# ---- lifecycle -------------------------------------------------------------------------


def _token(settings: Settings) -> str:
    if settings.discord_token is None:
        raise ConfigError("DISCORD_TOKEN is not set")
    return settings.discord_token.get_secret_value()


class DiscordRunner:
    def __init__(self, bot: ClaimwatchBot, task: asyncio.Task[None]) -> None:
        self.bot = bot
        self.task = task

    async def close(self) -> None:
        await self.bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 10)


async def _run(bot: ClaimwatchBot, token: str, stop: asyncio.Event) -> None:
    """Connect and stay connected (discord.py reconnects by itself). A refused token or a
    missing privileged intent stops claimwatch with a message an operator can act on."""
    try:
        await bot.start(token)
    except discord.LoginFailure:
        log.error("Discord refused DISCORD_TOKEN; check it in the Developer Portal (Bot tab).")
        stop.set()
    except discord.PrivilegedIntentsRequired:
        log.error(
            "Discord: the Message Content intent is not enabled for this bot. Enable it "
            "in the Developer Portal (Bot tab), or set DISCORD_MESSAGE_CONTENT=0."
        )
        stop.set()
    except Exception:
        if not bot.is_closed():
            log.exception("Discord client stopped")
            stop.set()


async def start(app: App, stop: asyncio.Event, **options: object) -> DiscordRunner:
    """Register the publisher and connect in the background; ``close()`` disconnects.
    ``options`` go to discord.py's client (tests pass a short ``guild_ready_timeout``)."""
    token = _token(app.settings)
    bot = ClaimwatchBot(app.settings, app.services, **options)
    app.add_publisher(DiscordPublisher(bot))
    task = asyncio.create_task(_run(bot, token, stop), name="discord")
    return DiscordRunner(bot, task)


async def publisher(settings: Settings, **options: object) -> DiscordPublisher:
    """A REST-only publisher for `claimwatch worker`: logs in over REST (no gateway, so it
    takes none of the one-per-shard gateway sessions) and posts alerts; ``close()`` logs out."""
    bot = ClaimwatchBot(settings, None, **options)
    try:
        await bot.login(_token(settings))
    except discord.LoginFailure:
        await bot.close()
        raise ConfigError("Discord refused DISCORD_TOKEN") from None
    log.info("Discord: REST publisher signed in as %s (no gateway)", bot.user)
    return DiscordPublisher(bot)


async def sync_commands(settings: Settings, guild_id: str | None = None) -> int:
    """Register the slash commands with Discord: globally (can take a while to show), or in
    one server (at once). Logs in over REST only, syncs, closes; returns how many were synced."""
    token = _token(settings)
    guild = None
    if guild_id is not None:
        if not guild_id.strip().isdigit():
            raise ConfigError(f"--guild must be a server id (a number), not {guild_id[:40]!r}")
        guild = discord.Object(id=int(guild_id))
    bot = ClaimwatchBot(settings, None)
    async with bot:
        try:
            await bot.login(token)
        except discord.LoginFailure:
            raise ConfigError("Discord refused DISCORD_TOKEN") from None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    log.info(
        "Discord: synced %d slash commands %s",
        len(synced),
        f"to server {guild_id}" if guild else "globally",
    )
    return len(synced)
