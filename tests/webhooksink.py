"""A webhook receiver on loopback for tests: takes claimwatch's alert POSTs and counts them
per Idempotency-Key, as a well-behaved receiver would (a repeated key is answered 200 and not
taken again)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from aiohttp import web
from loopback import LoopbackServer


class WebhookSink(LoopbackServer):
    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.posts: Counter[str] = Counter()  # every POST, per key
        self.alerts: dict[str, dict[str, Any]] = {}  # the first body per key

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/hook", self._handle)

    @property
    def url(self) -> str:
        return self.base + "/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        body = await request.json()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.posts[key] += 1
        self.alerts.setdefault(key, body)
        return web.json_response({"ok": True, "duplicate": self.posts[key] > 1})
