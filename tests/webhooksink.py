"""A webhook receiver on loopback for tests: takes claimwatch's alert POSTs and counts them
per Idempotency-Key, as a well-behaved receiver would (a repeated key is answered 200 and not
taken again)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from aiohttp import web


class WebhookSink:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.port = 0
        self.posts: Counter[str] = Counter()  # every POST, per key
        self.alerts: dict[str, dict[str, Any]] = {}  # the first body per key
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        body = await request.json()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.posts[key] += 1
        self.alerts.setdefault(key, body)
        return web.json_response({"ok": True, "duplicate": self.posts[key] > 1})

    async def __aenter__(self) -> WebhookSink:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
