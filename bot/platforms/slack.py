"""Slack: commands in (``!cmd`` messages, ``/claimwatch cmd``, "@claimwatch cmd"), replies and
alerts out as Block Kit. The only module that imports slack_bolt and slack_sdk.

Socket Mode when an app token is set (the default), else HTTP mode on ``SLACK_PORT`` with Bolt
verifying Slack's signature. Handlers decide everything; this file only translates.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.errors import ConfigError, DeliveryError
from bot.models import Alert, Reply, Request
from bot.platforms.slack_render import (
    COMMAND_RE,
    parse_mention,
    render_alert,
    render_reply,
    retry_after,
    split_command,
    unslack,
)
from bot.services import Services
from handlers import dispatch

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

PLATFORM = "slack"
SLASH_COMMAND = "/claimwatch"
EVENTS_PATH = "/slack/events"
ALERT_EVENT = "claimwatch_alert"
#: How far back a retry looks for an alert that was posted but not marked delivered.
HISTORY_WINDOW = 30
CONNECT_TIMEOUT_S = 30.0

#: Errors after which retrying cannot help: https://docs.slack.dev/reference/methods/chat.postMessage
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
    "token_revoked", "no_permission", "missing_scope", "restricted_action", "not_authed",
})  # fmt: skip
#: A 429 asking for at most this long is waited out in place; a longer one goes back to the
#: delivery worker as DeliveryError(retry_after=...), so no outbox lease is held while sleeping.
MAX_INLINE_WAIT_S = 10.0


class ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """The SDK's 429 handler (sleeps Retry-After, then retries), for short waits only."""

    async def _can_retry_async(
        self, *, state: Any, request: Any, response: Any = None, error: Exception | None = None
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        return wait is None or wait <= MAX_INLINE_WAIT_S


def make_client(token: str, base_url: str | None = None) -> AsyncWebClient:
    """The Web API client: a short 429 is waited out and retried once by the SDK."""
    client = AsyncWebClient(token=token, base_url=base_url or AsyncWebClient.BASE_URL)
    client.retry_handlers.append(ShortRateLimitRetry(max_retry_count=1))
    return client


# ---- commands in ------------------------------------------------------------------------


class Commands:
    """Turns Slack payloads into Requests, runs them, and answers in Block Kit."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.admins = services.settings.slack_admins

    async def run(self, command: str, args: str, channel: str, user: str) -> Reply:
        request = Request(
            command=command,
            args=unslack(args).strip(),
            platform=PLATFORM,
            channel=channel,
            user_id=user,
            user_name=user,
            is_admin=user in self.admins,
        )
        return await dispatch(request, self.services)

    async def on_message(self, message: dict[str, Any], context: dict[str, Any], say: Any) -> None:
        name, args = context["matches"][0].lower(), context["matches"][1] or ""
        reply = await self.run(name, args, message["channel"], message.get("user", ""))
        await _say(say, reply, message.get("thread_ts"))

    async def on_mention(self, event: dict[str, Any], say: Any) -> None:
        parsed = parse_mention(event.get("text", ""))
        if parsed is None:  # mentioned in passing, or "!cmd ... @claimwatch" (the message
            return  # listener answers that one)
        reply = await self.run(*parsed, event["channel"], event.get("user", ""))
        await _say(say, reply, event.get("thread_ts"))

    async def on_slash(self, ack: Any, command: dict[str, Any], respond: Any, say: Any) -> None:
        await ack()  # within Slack's 3 s; the answer follows through response_url
        name, args = split_command(command.get("text", ""))
        reply = await self.run(name, args, command["channel_id"], command["user_id"])
        if not command.get("response_url"):
            return await _say(say, reply, None)
        text, blocks = render_reply(reply)
        # Answers are for the channel; usage and errors only for the one who typed.
        visible = "in_channel" if reply.kind == "info" else "ephemeral"
        await respond(text=text, blocks=blocks, response_type=visible, unfurl_links=False,
                      unfurl_media=False)  # fmt: skip


async def _say(say: Any, reply: Reply, thread_ts: str | None) -> None:
    text, blocks = render_reply(reply)
    await say(text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False)


async def ignore_bots(body: dict[str, Any], ack: Any, next: Any) -> Any:
    """Messages from other bots (and our own, which Bolt already drops) are acked, not run."""
    event = body.get("event") or {}
    if event.get("bot_id") or event.get("subtype") == "bot_message":
        return await ack()
    return await next()


async def on_error(error: Exception, body: dict[str, Any], respond: Any, say: Any) -> None:
    """Bolt's own failures (a Slack call that failed, a payload we did not expect): logged,
    and the user gets one short line, never a traceback."""
    log.error("Slack request failed: %s: %s", type(error).__name__, error, exc_info=error)
    answer = "Sorry, something went wrong. It has been logged."
    try:
        if body.get("response_url"):  # a slash command
            await respond(text=answer, response_type="ephemeral")
        elif (body.get("event") or {}).get("channel"):
            await say(text=answer)
    except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
        log.warning("could not tell the user about the error: %s", exc)


async def ignore(ack: Any) -> None:
    """Other messages in the channel (chatter, edits, joins): nothing to do."""


def build_bolt_app(
    services: Services, client: AsyncWebClient, signing_secret: str = ""
) -> AsyncApp:
    """The Bolt app: one middleware, three listeners and the error handler."""
    bolt = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        name="claimwatch",
        logger=logging.getLogger("bot.platforms.slack.bolt"),
    )
    commands = Commands(services)
    bolt.middleware(ignore_bots)
    bolt.message(COMMAND_RE)(commands.on_message)
    bolt.event("app_mention")(commands.on_mention)
    bolt.command(SLASH_COMMAND)(commands.on_slash)
    bolt.event("message")(ignore)
    bolt.error(on_error)
    return bolt


# ---- alerts out -------------------------------------------------------------------------


def delivery_error(exc: SlackApiError) -> DeliveryError:
    """A Web API failure as the delivery worker understands it."""
    response = exc.response
    code = str(response.get("error") or f"HTTP {response.status_code}")
    wait = None
    if response.status_code == 429 or code == "ratelimited":
        wait = retry_after(response.headers) or 30.0
    return DeliveryError(f"Slack: {code}", retry_after=wait, permanent=code in PERMANENT_ERRORS)


class SlackPublisher:
    """Posts alerts with chat.postMessage; each carries its idempotency key as message metadata,
    so a retry first looks in the channel's recent history and does not post twice."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, window: int = HISTORY_WINDOW) -> None:
        self.client = client
        self.window = window

    async def publish(self, channel: str, alert: Alert, key: str) -> str | None:
        # Looked up every time: after a crash the last attempt may have posted without being
        # marked delivered, and this process cannot know (one cheap call per alert).
        posted = await self.find_posted(channel, key)
        if posted is not None:
            log.info("alert %s is already in %s (ts %s): not posting again", key, channel, posted)
            return posted
        text, blocks = render_alert(alert)
        try:
            response = await self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": ALERT_EVENT, "event_payload": {"key": key}},
            )
        except SlackApiError as exc:
            raise delivery_error(exc) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}") from None
        ts = response.get("ts")
        return str(ts) if ts else None

    async def find_posted(self, channel: str, key: str) -> str | None:
        """The ts of a recent message of ours carrying ``key``, or None. A failed look-up is not
        fatal (the post goes ahead) unless the channel itself is gone."""
        try:
            response = await self.client.conversations_history(
                channel=channel, limit=self.window, include_all_metadata=True
            )
        except SlackApiError as exc:
            error = delivery_error(exc)
            if error.retry_after is not None or (
                error.permanent and exc.response.get("error") != "missing_scope"
            ):
                raise error from None  # rate limited (try later), or the channel is gone
            log.warning("could not read %s's history before posting: %s", channel, error)
            return None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}") from None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == ALERT_EVENT and payload.get("key") == key:
                return str(message.get("ts"))
        return None


async def signed_in(settings: Settings, api_url: str | None) -> tuple[AsyncWebClient, Any]:
    """A Web API client whose bot token Slack has accepted (auth.test), and Slack's answer.
    A missing or refused token stops start-up with a clear message."""
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set")
    client = make_client(settings.slack_bot_token.get_secret_value(), api_url)
    try:
        who = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack: {error}") from None
    return client, who


async def publisher(settings: Settings, *, api_url: str | None = None) -> SlackPublisher:
    """A Web-API-only publisher for `claimwatch worker`: no Socket Mode connection and no HTTP
    server, so Slack sends no events to this process."""
    client, who = await signed_in(settings, api_url)
    log.info("Slack: REST publisher signed in as %s (no Socket Mode)", who.get("user"))
    return SlackPublisher(client)


# ---- lifecycle --------------------------------------------------------------------------


@dataclass
class SlackRunner:
    """What :func:`start` returns: ``close()`` disconnects Socket Mode or stops the server."""

    bolt: AsyncApp
    socket: AsyncSocketModeHandler | None = None
    server: web.AppRunner | None = None

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()
            self.socket = None
        if self.server is not None:
            await self.server.cleanup()
            self.server = None


async def start(
    app: App,
    stop: asyncio.Event,
    *,
    host: str = "0.0.0.0",  # noqa: S104
    api_url: str | None = None,
) -> SlackRunner:
    """Register the publisher and connect: Socket Mode when SLACK_APP_TOKEN is set, else an
    HTTP server on SLACK_PORT for Slack's events and slash command. ``host`` is where that
    server listens (all interfaces: Slack must reach it); ``api_url`` replaces Slack's Web API
    base URL (tests point it at a fake)."""
    settings = app.settings
    client, who = await signed_in(settings, api_url)
    log.info("Slack: signed in as %s in %s", who.get("user"), who.get("team"))
    app.add_publisher(SlackPublisher(client))

    secret = settings.slack_signing_secret
    bolt = build_bolt_app(app.services, client, secret.get_secret_value() if secret else "")
    if settings.slack_app_token is not None:
        if secret is not None:
            log.info("Slack: SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are both set: Socket Mode")
        socket = AsyncSocketModeHandler(
            bolt, settings.slack_app_token.get_secret_value(), logger=log, web_client=client
        )
        try:
            await asyncio.wait_for(socket.connect_async(), CONNECT_TIMEOUT_S)
        except TimeoutError:
            await socket.close_async()
            raise ConfigError(
                "Slack Socket Mode did not connect: check SLACK_APP_TOKEN "
                "(xapp-, with connections:write)"
            ) from None
        log.info("Slack: connected (Socket Mode)")
        return SlackRunner(bolt, socket=socket)

    server = web.AppRunner(
        bolt.web_app(path=EVENTS_PATH, port=settings.slack_port), access_log=None
    )
    await server.setup()
    await web.TCPSite(server, host, settings.slack_port).start()
    log.info("Slack: listening on %s:%d%s (HTTP mode)", host, settings.slack_port, EVENTS_PATH)
    return SlackRunner(bolt, server=server)
