"""The base of the tests' fake servers: an aiohttp.web app on loopback, on a free port.

Test code: it never listens beyond loopback.
"""

from __future__ import annotations

from typing import Self

from aiohttp import web


class LoopbackServer:
    """``async with Server() as server`` or ``await server.start()`` ... ``await
    server.close()``; the port is known once started. A subclass adds its routes in
    ``add_routes``."""

    #: Cancel a request's handler when its client goes away (aiohttp's default is not to).
    handler_cancellation = False

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._runner: web.AppRunner | None = None

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=self.handler_cancellation
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"
