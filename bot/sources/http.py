"""HTTP fetching of feeds: one aiohttp session, conditional GET, deadlines, size cap, redirects.

Every URL and every redirect hop goes through the UrlGuard; every network failure becomes a
FetchError with a short message. It does not parse bodies and does not touch the ledger.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from types import TracebackType
from typing import Self
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from bot.errors import FetchError, UnsafeURLError
from bot.models import FetchResult
from bot.sources.guard import UrlGuard

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "claimwatch/0.1 (+https://github.com/claimwatch/claimwatch)"
DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_LIMIT_PER_HOST = 2
DEFAULT_LIMIT = 100
_CHUNK = 64 * 1024
_CHECKED_MAX = 10_000  # URLs whose guard check is remembered (see Fetcher._check)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Feed types first, then the generic XML/JSON ones some servers use for feeds.
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/feed+json, application/json;q=0.8, application/xml;q=0.7, text/xml;q=0.7, "
    "*/*;q=0.1"
)


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"


def _status_message(status: int, reason: str | None) -> str:
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return f"HTTP {status} {reason}".rstrip()


class Fetcher:
    """Fetches URLs for the pipeline. Owns one ClientSession; use ``async with`` or start/close.

    ``timeout_s`` is a deadline for the whole fetch (every redirect hop and the body), so a
    server that drips a byte a second cannot stall a poll. ``max_bytes`` caps the body after
    decompression, counted while reading, so a gzip bomb stops at the cap.
    """

    def __init__(
        self,
        guard: UrlGuard,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        limit_per_host: int = DEFAULT_LIMIT_PER_HOST,
        limit: int = DEFAULT_LIMIT,
        resolver: AbstractResolver | None = None,
    ) -> None:
        """``resolver`` replaces the system one under the guard (tests use a static table)."""
        self.guard = guard
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.limit_per_host = limit_per_host
        self.limit = limit
        self._inner_resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        self._checked: dict[str, str] = {}
        self._checked_by: UrlGuard | None = None

    async def start(self) -> None:
        if self._session is not None:
            return
        connector = aiohttp.TCPConnector(
            limit=self.limit,
            limit_per_host=self.limit_per_host,
            resolver=self.guard.resolver(self._inner_resolver),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.user_agent, "Accept": _ACCEPT},
            # A backstop: fetch() enforces the real deadline across hops.
            timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            # No proxies from the environment: the guard must see the address we connect to.
            trust_env=False,
            # No cookies carried from one source to another.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` (conditionally, when ``etag`` or ``last_modified`` are given).

        Returns the final URL's result; a 304 has body None and keeps the validators sent when
        the server repeats none. Raises FetchError (UnsafeURLError for refused URLs) only.
        """
        await self.start()
        trail = [url]  # the URLs requested, so an error can name the hop that failed
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._follow(trail, etag, last_modified)
        except TimeoutError:
            raise FetchError(f"timed out after {self.timeout_s:g} s") from None
        except FetchError:
            raise
        except aiohttp.ClientConnectorDNSError:
            raise FetchError(f"cannot resolve host {urlsplit(trail[-1]).hostname}") from None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise FetchError(f"TLS certificate error: {exc.certificate_error}") from None
        except aiohttp.ClientSSLError:
            raise FetchError("TLS error") from None
        except aiohttp.ClientConnectorError as exc:
            reason = exc.strerror or "connection failed"
            raise FetchError(f"cannot connect to {exc.host}:{exc.port}: {reason}") from None
        except aiohttp.ServerDisconnectedError:
            raise FetchError("the server closed the connection") from None
        except aiohttp.ClientPayloadError:
            raise FetchError("the response body was cut or badly encoded") from None
        except aiohttp.InvalidURL:
            raise UnsafeURLError("refused: not a valid URL") from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            log.info("fetch %s failed: %r", url, exc)
            raise FetchError(f"network error: {type(exc).__name__}") from None

    async def _follow(
        self, trail: list[str], etag: str | None, last_modified: str | None
    ) -> FetchResult:
        assert self._session is not None
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen: set[str] = set()
        current = self._check(trail[0])
        for _hop in range(self.max_redirects + 1):
            seen.add(current)
            trail.append(current)
            async with self._session.get(current, headers=headers, allow_redirects=False) as resp:
                status = resp.status
                if status in _REDIRECTS and "Location" in resp.headers:
                    try:
                        target = urljoin(current, resp.headers["Location"])
                    except ValueError:
                        raise FetchError(f"bad redirect ({status} to an invalid URL)") from None
                    if target in seen:
                        raise FetchError(f"redirect loop ({status} back to {target})")
                    current = self._check(target)
                    continue
                if status == 304:
                    return FetchResult(
                        url=current,
                        status=304,
                        body=None,
                        etag=resp.headers.get("ETag") or etag,
                        last_modified=resp.headers.get("Last-Modified") or last_modified,
                        content_type=resp.headers.get("Content-Type"),
                    )
                if status >= 300:
                    raise FetchError(_status_message(status, resp.reason))
                body = await self._read(resp)
                return FetchResult(
                    url=current,
                    status=status,
                    body=body,
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                    content_type=resp.headers.get("Content-Type"),
                )
        raise FetchError(f"too many redirects ({self.max_redirects})")

    def _check(self, url: str) -> str:
        """``guard.check_url``, remembered per URL string: a UrlGuard is immutable, so its
        answer for a URL never changes (a refusal raises each time, and is not remembered).
        Checking the syntax was an eighth of an unchanged poll's CPU time (bench/NOTES.md).
        The connected address is still checked on every connection, by the resolver."""
        if self._checked_by is not self.guard:
            self._checked, self._checked_by = {}, self.guard
        checked = self._checked.get(url)
        if checked is None:
            checked = self.guard.check_url(url)
            if len(self._checked) >= _CHECKED_MAX:
                self._checked.clear()
            self._checked[url] = checked
        return checked

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        """The decompressed body, refused as soon as it passes ``max_bytes``."""
        too_big = FetchError(f"response larger than {_size(self.max_bytes)}")
        encoded = resp.headers.get("Content-Encoding", "identity").lower() != "identity"
        if not encoded and (resp.content_length or 0) > self.max_bytes:
            raise too_big
        chunks: list[bytes] = []
        total = 0
        # aiohttp inflates gzip/deflate/br in bounded steps as we read
        # (https://docs.aiohttp.org/en/stable/client_quickstart.html#streaming-response-content),
        # so counting here stops a compression bomb after about max_bytes of output.
        async for chunk in resp.content.iter_chunked(_CHUNK):
            total += len(chunk)
            if total > self.max_bytes:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)
