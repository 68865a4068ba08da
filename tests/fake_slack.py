"""A fake Slack on loopback for tests: the Web API methods claimwatch calls, a Socket Mode
websocket, and response_url endpoints. The real slack_sdk / slack_bolt clients talk to it.

Records every call; answers like Slack does (``{"ok": false, "error": ...}``, 429 with
Retry-After on demand) and refuses blocks over Block Kit's limits with ``invalid_blocks``.
Test code: it never listens beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from loopback import LoopbackServer

BOT_TOKEN = "xoxb-fake"
APP_TOKEN = "xapp-fake"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0FAKE"
APP_ID = "A0FAKE"


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    error: str | None = None


@dataclass
class Failure:
    status: int = 200
    error: str = "internal_error"
    retry_after: int | None = None
    times: int = 1


@dataclass
class Socket:
    ws: web.WebSocketResponse
    closed: asyncio.Event = field(default_factory=asyncio.Event)


def block_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """What Slack would refuse in these blocks (the limits claimwatch must keep)."""
    problems = []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks (max 50)")
    for i, block in enumerate(blocks):
        kind = block.get("type")
        text = block.get("text") or {}
        if kind == "header":
            if text.get("type") != "plain_text" or len(text.get("text", "")) > 150:
                problems.append(f"block {i}: header must be plain_text <= 150")
        elif kind == "section":
            if len(text.get("text", "")) > 3000:
                problems.append(f"block {i}: section text over 3000")
            fields = block.get("fields") or []
            if len(fields) > 10 or any(len(f.get("text", "")) > 2000 for f in fields):
                problems.append(f"block {i}: more than 10 fields or a field over 2000")
            if not text and not fields:
                problems.append(f"block {i}: empty section")
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > 10:
                problems.append(f"block {i}: context needs 1 to 10 elements")
        else:
            problems.append(f"block {i}: unexpected type {kind!r}")
    return problems


class FakeSlack(LoopbackServer):
    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.calls: list[Call] = []
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, newest first
        self.responses: dict[str, list[dict[str, Any]]] = {}  # response_url name -> bodies
        self.acks: dict[str, dict[str, Any]] = {}  # envelope_id -> ack message
        self.failures: dict[str, list[Failure]] = {}
        self.sockets: list[Socket] = []
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()

    # ---- lifecycle ---------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/link", self._socket)

    async def close(self) -> None:
        for sock in self.sockets:
            await sock.ws.close()
        await super().close()

    @property
    def api_url(self) -> str:
        return self.base + "/api/"  # AsyncWebClient wants the trailing slash

    def response_url(self, name: str) -> str:
        return f"{self.base}/respond/{name}"

    # ---- what a test sets up and reads -------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` fail (429 with Retry-After: status=429)."""
        self.failures.setdefault(method, []).append(Failure(status, error, retry_after, times))

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages chat.postMessage accepted, oldest first."""
        return [
            c.args
            for c in self.calls_to("chat.postMessage")
            if c.error is None and (channel is None or c.args.get("channel") == channel)
        ]

    def add_message(self, channel: str, message: dict[str, Any]) -> str:
        ts = message.setdefault("ts", self._next_ts())
        self.history.setdefault(channel, []).insert(0, message)
        return ts

    async def wait_for(self, check: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``check()`` is truthy: re-checked whenever the fake records something,
        and every 50 ms (for conditions outside the fake, such as log lines)."""

        async def waiting() -> Any:
            async with self._changed:
                while not (result := check()):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)
                return result

        return await asyncio.wait_for(waiting(), timeout)

    async def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send a Socket Mode envelope (``events_api``, ``slash_commands``) to the connected app;
        returns its envelope_id (see ``acks``)."""
        sock = await self.wait_for(
            lambda: next((s for s in reversed(self.sockets) if not s.ws.closed), None)
        )
        envelope_id = str(uuid.uuid4())
        await sock.ws.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return await self.wait_for(lambda: self.acks.get(envelope_id), timeout)

    # ---- payload builders (shapes as Slack sends them) ---------------------------------

    @staticmethod
    def event(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "token": "verification-token",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "event": {"event_ts": event.get("ts", "1.0"), **event},
            "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                    "enterprise_id": None,
                }
            ],
        }

    def message(
        self, text: str, *, user: str = "U1", channel: str = "C1", **extra: Any
    ) -> dict[str, Any]:
        ts = self._next_ts()
        return self.event(
            {
                "type": "message",
                "channel": channel,
                "user": user,
                "text": text,
                "ts": ts,
                "channel_type": "channel",
                **extra,
            }
        )

    def mention(self, text: str, *, user: str = "U1", channel: str = "C1") -> dict[str, Any]:
        return self.event(
            {
                "type": "app_mention",
                "channel": channel,
                "user": user,
                "text": f"<@{BOT_USER}> {text}",
                "ts": self._next_ts(),
            }
        )

    def slash(
        self, text: str, *, user: str = "U1", channel: str = "C1", response: str = "r1"
    ) -> dict[str, str]:
        return {
            "token": "verification-token",
            "team_id": TEAM,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "news",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/claimwatch",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.response_url(response),
            "trigger_id": "1.2.abc",
        }

    # ---- the server --------------------------------------------------------------------

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(await request.post())
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or args.get("token")
        call = Call(method, args, token)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        headers: dict[str, str] = {}
        body: dict[str, Any]
        queue = self.failures.get(method) or []
        if token != expected:
            body = {"ok": False, "error": "invalid_auth"}
        elif queue:
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
            call.status = failure.status
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            body = {"ok": False, "error": failure.error}
        else:
            body = self._answer(method, args)
        call.error = None if body.get("ok") else str(body.get("error"))
        await self._record(call)
        return web.json_response(body, status=call.status, headers=headers)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "claimwatch",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://{self.host}:{self.port}/link?ticket=fake"}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            blocks = args.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            if problems := block_problems(blocks):
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
            if not args.get("text") and not blocks:
                return {"ok": False, "error": "no_text"}
            channel = str(args.get("channel"))
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": self._next_ts()}
            message = {
                "type": "message",
                "user": BOT_USER,
                "bot_id": BOT_ID,
                "text": args.get("text", ""),
                "blocks": blocks,
            }
            if args.get("metadata"):
                message["metadata"] = args["metadata"]
            ts = self.add_message(channel, message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "conversations.history":
            limit = int(args.get("limit") or 100)
            found = self.history.get(str(args.get("channel")), [])[:limit]
            if str(args.get("include_all_metadata")).lower() not in ("1", "true"):
                found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
            return {"ok": True, "messages": found, "has_more": False}
        return {"ok": False, "error": "unknown_method"}

    async def _respond(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.responses.setdefault(name, []).append(await request.json())
        async with self._changed:
            self._changed.notify_all()
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sock = Socket(ws)
        self.sockets.append(sock)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                "connection_info": {"app_id": APP_ID},
            }
        )
        async with self._changed:
            self._changed.notify_all()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "envelope_id" in data:
                self.acks[data["envelope_id"]] = data
                async with self._changed:
                    self._changed.notify_all()
        sock.closed.set()
        return ws
