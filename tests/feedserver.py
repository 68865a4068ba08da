"""A small feed server on loopback for tests: serves given bodies at paths, counts requests.

Supports ETag / Last-Modified and 304s, a settable status, delay and extra headers, and
redirects. It is test code: it never listens beyond loopback.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from loopback import LoopbackServer


@dataclass
class Route:
    """What one path answers. Mutable on purpose: a test may change it between polls."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    etag: str | None = None
    last_modified: str | None = None
    delay_s: float = 0.0
    drip_s: float = 0.0  # when set, the body is sent a byte at a time, this long apart
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer(LoopbackServer):
    """An aiohttp.web server on ``host`` (127.0.0.1 by default), on a free port.

    ``hits[path]`` counts requests per path; ``seen_headers[path]`` holds the last request's
    headers.
    """

    handler_cancellation = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.seen_headers: dict[str, dict[str, str]] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes = b"", **options: object) -> Route:
        """Serve ``body`` at ``path`` (with Route options: status, etag, delay_s ...)."""
        route = Route(body=body, **options)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def redirect(self, path: str, location: str, status: int = 302) -> Route:
        return self.serve(path, status=status, headers={"Location": location})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.path_qs in self.routes else request.path
        self.hits[path] += 1
        self.seen_headers[path] = dict(request.headers)
        route = self.routes.get(path)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.delay_s:
            await asyncio.sleep(route.delay_s)
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.status == 200 and self._not_modified(request, route):
            return web.Response(status=304, headers=headers)
        headers.setdefault("Content-Type", route.content_type)
        if route.drip_s:
            return await self._drip(request, route, headers)
        return web.Response(status=route.status, body=route.body, headers=headers)

    @staticmethod
    async def _drip(
        request: web.Request, route: Route, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=route.status, headers=headers)
        await response.prepare(request)
        for i in range(len(route.body)):
            await response.write(route.body[i : i + 1])
            await asyncio.sleep(route.drip_s)
        await response.write_eof()
        return response

    @staticmethod
    def _not_modified(request: web.Request, route: Route) -> bool:
        inm = request.headers.get("If-None-Match")
        if inm is not None and route.etag is not None:
            return route.etag in [tag.strip() for tag in inm.split(",")]
        ims = request.headers.get("If-Modified-Since")
        return ims is not None and route.last_modified is not None and ims == route.last_modified


class StaticResolver(AbstractResolver):
    """A DNS table for tests: names map to fixed addresses, others fail like NXDOMAIN.

    Lets a test show what the guard does with the address a name resolves to (DNS rebinding)
    without any DNS traffic.
    """

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass
