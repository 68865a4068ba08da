"""A fake Discord (REST + gateway) on loopback, for the real discord.py client to talk to.

It serves what claimwatch's bot uses: login (``/users/@me``, ``/oauth2/applications/@me``),
``/gateway``, channel messages (validated against Discord's limits, with nonce dedupe and
injectable 5xx), command sync, interaction callbacks and followups; and a gateway websocket that
says HELLO, takes IDENTIFY, sends READY and a GUILD_CREATE, and lets a test inject
MESSAGE_CREATE and INTERACTION_CREATE. Payload shapes follow Discord's API docs and discord.py's
parsers (discord/state.py, discord/gateway.py). Test code: it never listens beyond loopback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from loopback import LoopbackServer

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count(1)

# Permission bits: https://discord.com/developers/docs/topics/permissions
VIEW_SEND_READ = (1 << 10) | (1 << 11) | (1 << 16)  # view channel, send messages, read history
MANAGE_GUILD = 1 << 5


def snowflake() -> int:
    """A fresh id that encodes the current time (discord.py reads interaction age from it)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def user(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


@dataclass
class Posted:
    """One message the bot sent: where, how (channel | callback | followup), and the JSON."""

    via: str
    channel_id: str
    payload: dict[str, Any]
    message_id: str


@dataclass
class Member:
    id: int
    name: str
    roles: list[int] = field(default_factory=list)


class FakeDiscord(LoopbackServer):
    handler_cancellation = True

    def __init__(self) -> None:
        super().__init__()
        self.app_id = snowflake()
        self.bot_id = self.app_id
        self.guild_id = snowflake()
        self.channel_id = snowflake()
        self.owner_id = snowflake()
        self.admin_role = {
            "id": str(snowflake()),
            "name": "Claimwatch Admin",
            "permissions": str(VIEW_SEND_READ),
        }
        self.manager_role = {
            "id": str(snowflake()),
            "name": "Mods",
            "permissions": str(VIEW_SEND_READ | MANAGE_GUILD),
        }
        self.plain = Member(snowflake(), "reader")
        self.role_admin = Member(snowflake(), "editor", [int(self.admin_role["id"])])
        self.manager = Member(snowflake(), "moderator", [int(self.manager_role["id"])])
        self.posted: list[Posted] = []
        self.rejected: list[tuple[str, str]] = []  # (path, reason) of every 400 answered
        self.fail_status: int | None = None  # answer channel messages with this status
        self.failures = 0
        self.deferred = 0
        self.synced: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> commands
        self.identified = asyncio.Event()
        self.identify: dict[str, Any] = {}
        self._nonces: dict[str, dict[str, Any]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0

    # ---- server ------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{api}/gateway", self._gateway_url)
        app.router.add_get(f"{api}/gateway/bot", self._gateway_url)
        app.router.add_post(f"{api}/channels/{{cid}}/messages", self._channel_message)
        app.router.add_put(f"{api}/applications/{{aid}}/commands", self._sync)
        app.router.add_put(f"{api}/applications/{{aid}}/guilds/{{gid}}/commands", self._sync)
        app.router.add_post(f"{api}/interactions/{{iid}}/{{token}}/callback", self._callback)
        app.router.add_post(f"{api}/webhooks/{{aid}}/{{token}}", self._followup)
        app.router.add_route(
            "*", f"{api}/webhooks/{{aid}}/{{token}}/messages/@original", self._original
        )
        app.router.add_get("/gateway", self._gateway)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await super().close()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # discord.py parses JSON only for exactly "application/json" (no charset).
        return web.Response(
            status=status,
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
        )

    # ---- REST --------------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bot ") or auth.startswith("Bot bad."):
            return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        return self._json(user(self.bot_id, "claimwatch", bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "id": str(self.app_id),
                "name": "claimwatch",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": user(self.owner_id, "owner"),
                "flags": 0,
                "team": None,
            }
        )

    async def _gateway_url(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    def _message(self, channel_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(snowflake()),
            "channel_id": channel_id,
            "guild_id": str(self.guild_id),
            "author": user(self.bot_id, "claimwatch", bot=True),
            "type": 0,
            "content": payload.get("content") or "",
            "embeds": payload.get("embeds") or [],
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
            "nonce": payload.get("nonce"),
        }

    async def _accept(self, request: web.Request, via: str, channel_id: str) -> web.Response:
        payload = await request.json()
        body = payload.get("data", payload) if via == "callback" else payload
        problem = over_limit(body)
        if problem:
            self.rejected.append((request.path, problem))
            return self._json(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"_errors": [{"message": problem}]},
                },
                400,
            )
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and nonce in self._nonces:
            return self._json(self._nonces[nonce])  # Discord dedupes a repeated nonce
        message = self._message(channel_id, body)
        if nonce:
            self._nonces[nonce] = message
        self.posted.append(Posted(via, channel_id, body, message["id"]))
        if via == "callback":
            iid = request.match_info["iid"]
            return self._json(
                {
                    "interaction": {
                        "id": iid,
                        "type": 2,
                        "response_message_id": message["id"],
                        "response_message_loading": False,
                        "response_message_ephemeral": False,
                    },
                    "resource": {"type": payload.get("type", 4), "message": message},
                }
            )
        return self._json(message)

    async def _channel_message(self, request: web.Request) -> web.Response:
        if self.fail_status == 429:  # as Discord's edge sends it (discord.py checks Via)
            self.failures += 1
            response = self._json(
                {"message": "You are being rate limited.", "retry_after": 42.0, "global": False},
                429,
            )
            response.headers.update(
                {"Retry-After": "42", "Via": "1.1 google", "X-RateLimit-Scope": "user"}
            )
            return response
        if self.fail_status is not None:
            self.failures += 1
            return self._json({"message": "Server error", "code": 0}, self.fail_status)
        return await self._accept(request, "channel", request.match_info["cid"])

    async def _callback(self, request: web.Request) -> web.Response:
        payload = await request.json()
        if payload.get("type") == 5:  # deferred: "thinking...", the answer comes as a followup
            self.deferred += 1
            return self._json(
                {
                    "interaction": {
                        "id": request.match_info["iid"],
                        "type": 2,
                        "response_message_loading": True,
                    }
                }
            )
        return await self._accept(request, "callback", str(self.channel_id))

    async def _followup(self, request: web.Request) -> web.Response:
        return await self._accept(request, "followup", str(self.channel_id))

    async def _original(self, request: web.Request) -> web.Response:
        if request.method == "PATCH":
            return await self._accept(request, "followup", str(self.channel_id))
        return self._json(self._message(str(self.channel_id), {}))

    async def _sync(self, request: web.Request) -> web.Response:
        commands = await request.json()
        out = [
            {
                **c,
                "id": str(snowflake()),
                "application_id": str(self.app_id),
                "version": str(snowflake()),
                "default_member_permissions": None,
                "type": c.get("type", 1),
                "nsfw": False,
            }
            for c in commands
        ]
        self.synced[request.match_info.get("gid", "global")] = out
        return self._json(out)

    # ---- gateway -----------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if data["op"] == 1:  # heartbeat
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif data["op"] == 2:  # identify
                self.identify = data["d"]
                self._sockets.append(ws)
                await self._dispatch(ws, "READY", self._ready())
                await self._dispatch(ws, "GUILD_CREATE", self._guild())
                self.identified.set()
        if ws in self._sockets:
            self._sockets.remove(ws)
        return ws

    async def _dispatch(self, ws: web.WebSocketResponse, event: str, data: Any) -> None:
        self._seq += 1
        await ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def inject(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to every identified client."""
        assert self._sockets, "no client is connected"
        for ws in self._sockets:
            await self._dispatch(ws, event, data)

    def _ready(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": user(self.bot_id, "claimwatch", bot=True),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
        }

    def member(self, m: Member) -> dict[str, Any]:
        return {
            "user": user(m.id, m.name),
            "roles": [str(r) for r in m.roles],
            "joined_at": "2024-10-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
        }

    def _guild(self) -> dict[str, Any]:
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "permissions": str(VIEW_SEND_READ),
        }
        roles = [everyone, self.admin_role, self.manager_role]
        for position, role in enumerate(roles):
            role.update(
                position=position, color=0, hoist=False, managed=False, mentionable=False, flags=0
            )
        channel = {
            "id": str(self.channel_id),
            "type": 0,
            "name": "nk-russia",
            "position": 0,
            "guild_id": str(self.guild_id),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
        }
        members = [self.plain, self.role_admin, self.manager]
        return {
            "id": str(self.guild_id),
            "name": "Test server",
            "owner_id": str(self.owner_id),
            "unavailable": False,
            "member_count": len(members) + 1,
            "roles": roles,
            "channels": [channel],
            "members": [self.member(m) for m in members],
            "threads": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "large": False,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "joined_at": "2024-10-01T00:00:00+00:00",
        }

    # ---- events a test injects ---------------------------------------------------------

    async def say(self, who: Member, content: str) -> None:
        """A member types ``content`` in the test channel."""
        await self.inject(
            "MESSAGE_CREATE",
            {
                **self._message(str(self.channel_id), {"content": content}),
                "author": user(who.id, who.name),
                "member": self.member(who),
            },
        )

    async def slash(self, who: Member, name: str, args: str | None = None) -> None:
        """A member runs ``/name args`` in the test channel."""
        options = [] if args is None else [{"name": "args", "type": 3, "value": args}]
        perms = VIEW_SEND_READ | (MANAGE_GUILD if who is self.manager else 0)
        await self.inject(
            "INTERACTION_CREATE",
            {
                "id": str(snowflake()),
                "application_id": str(self.app_id),
                "type": 2,
                "token": f"itoken{snowflake()}",
                "version": 1,
                "guild_id": str(self.guild_id),
                "channel_id": str(self.channel_id),
                "channel": {
                    "id": str(self.channel_id),
                    "type": 0,
                    "guild_id": str(self.guild_id),
                    "name": "nk-russia",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                },
                "member": {**self.member(who), "permissions": str(perms)},
                "data": {"id": str(snowflake()), "name": name, "type": 1, "options": options},
                "app_permissions": str(VIEW_SEND_READ | (1 << 14)),
                "locale": "en-US",
                "guild_locale": "en-US",
                "entitlements": [],
                "authorizing_integration_owners": {},
                "context": 0,
                "attachment_size_limit": 10_485_760,
            },
        )

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the fake Discord did not see what the test waited for")
            await asyncio.sleep(0.02)


def over_limit(body: dict[str, Any]) -> str | None:
    """Why Discord would answer 400 to this message body, or None.

    https://discord.com/developers/docs/resources/message#embed-object-embed-limits
    """
    if len(body.get("content") or "") > 2000:
        return "content: must be 2000 or fewer in length"
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        return "embeds: must be 10 or fewer"
    total = 0
    for e in embeds:
        fields = e.get("fields", [])
        checks = [
            ("title", len(e.get("title", "")), 256),
            ("description", len(e.get("description", "")), 4096),
            ("fields", len(fields), 25),
            ("footer", len(e.get("footer", {}).get("text", "")), 2048),
        ]
        checks += [("field name", len(f["name"]), 256) for f in fields]
        checks += [("field value", len(f["value"]), 1024) for f in fields]
        for what, size, limit in checks:
            if size > limit:
                return f"embed {what}: {size} > {limit}"
        total += len(e.get("title", "")) + len(e.get("description", ""))
        total += len(e.get("footer", {}).get("text", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    if total > 6000:
        return f"embeds: {total} characters in total > 6000"
    return None
