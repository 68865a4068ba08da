"""Fetcher against real aiohttp servers on loopback: conditional GET, failures, caps, guard."""

from __future__ import annotations

import asyncio
import gzip
import random
import socket
import time
from collections.abc import AsyncIterator

import pytest
from feedserver import FeedServer, StaticResolver

from bot.errors import FetchError, UnsafeURLError
from bot.sources.backoff import backoff_delay
from bot.sources.guard import UrlGuard
from bot.sources.http import Fetcher

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
LOOPBACK = UrlGuard("127.0.0.1/32")


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(LOOPBACK, timeout_s=2.0, max_bytes=100_000) as f:
        yield f


async def test_200_then_304(feed_server: FeedServer, fetcher: Fetcher) -> None:
    lm = "Wed, 30 Oct 2024 05:05:00 GMT"
    feed_server.serve("/feed", FEED, etag='"v1"', last_modified=lm)
    first = await fetcher.fetch(feed_server.url("/feed"))
    assert (first.status, first.body, first.etag, first.last_modified) == (200, FEED, '"v1"', lm)
    assert first.content_type == "application/rss+xml" and not first.not_modified
    assert feed_server.seen_headers["/feed"]["User-Agent"].startswith("claimwatch/")
    assert "If-None-Match" not in feed_server.seen_headers["/feed"]

    again = await fetcher.fetch(first.url, etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.body is None
    assert (again.etag, again.last_modified) == ('"v1"', lm)
    sent = feed_server.seen_headers["/feed"]
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', lm)

    # Last-Modified alone also gives a 304.
    feed_server.serve("/lm", FEED, last_modified=lm)
    assert (await fetcher.fetch(feed_server.url("/lm"), last_modified=lm)).status == 304
    assert feed_server.hits == {"/feed": 2, "/lm": 1}


async def test_timeout(feed_server: FeedServer) -> None:
    feed_server.serve("/slow", FEED, delay_s=3.0)
    async with Fetcher(LOOPBACK, timeout_s=0.3) as fetcher:
        started = time.perf_counter()
        with pytest.raises(FetchError, match=r"^timed out after 0.3 s$"):
            await fetcher.fetch(feed_server.url("/slow"))
    assert time.perf_counter() - started < 1.5


async def test_deadline_covers_a_dripping_body(feed_server: FeedServer) -> None:
    # Headers come at once, then a byte every 50 ms: no single read times out, the fetch does.
    feed_server.serve("/drip", FEED, drip_s=0.05)
    async with Fetcher(LOOPBACK, timeout_s=0.4) as fetcher:
        started = time.perf_counter()
        with pytest.raises(FetchError, match=r"^timed out after 0.4 s$"):
            await fetcher.fetch(feed_server.url("/drip"))
    assert time.perf_counter() - started < 1.5


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "HTTP 500 Internal Server Error"),
        (404, "HTTP 404 Not Found"),
        (403, "HTTP 403 Forbidden"),
    ],
)
async def test_error_status(
    feed_server: FeedServer, fetcher: Fetcher, status: int, message: str
) -> None:
    feed_server.serve("/x", b"oops", status=status)
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/x"))
    assert str(info.value) == message and not isinstance(info.value, UnsafeURLError)


async def test_oversized_body(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.serve("/big", b"x" * 100_001)
    feed_server.serve("/fits", b"x" * 100_000)
    with pytest.raises(FetchError, match=r"^response larger than 100 kB$"):
        await fetcher.fetch(feed_server.url("/big"))
    assert len((await fetcher.fetch(feed_server.url("/fits"))).body or b"") == 100_000


async def test_gzip_is_decoded_and_a_gzip_bomb_is_stopped(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.serve("/gz", gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    assert (await fetcher.fetch(feed_server.url("/gz"))).body == FEED

    # 1 GiB of zeros in about 1 MB of gzip (1024 members of 1 MiB each, RFC 1952 section 2.2):
    # the cap must apply to what it inflates to.
    bomb = gzip.compress(bytes(1 << 20), compresslevel=9) * 1024
    assert len(bomb) < 1_100_000
    feed_server.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    started = time.perf_counter()
    with pytest.raises(FetchError, match=r"^response larger than 100 kB$"):
        await fetcher.fetch(feed_server.url("/bomb"))
    assert time.perf_counter() - started < 2.0


async def test_redirects(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.serve("/new", FEED)
    feed_server.redirect("/old", "/new", status=301)
    result = await fetcher.fetch(feed_server.url("/old"))
    assert result.url == feed_server.url("/new") and result.body == FEED

    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", feed_server.url("/a"))
    with pytest.raises(FetchError, match=r"^redirect loop"):
        await fetcher.fetch(feed_server.url("/a"))

    for i in range(7):
        feed_server.redirect(f"/hop{i}", f"/hop{i + 1}", status=307)
    feed_server.serve("/hop7", FEED)
    with pytest.raises(FetchError, match=r"^too many redirects \(5\)$"):
        await fetcher.fetch(feed_server.url("/hop0"))
    assert feed_server.hits["/hop5"] == 1 and feed_server.hits["/hop6"] == 0
    assert (await fetcher.fetch(feed_server.url("/hop2"))).body == FEED


async def test_redirect_to_another_private_address_is_refused(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    async with FeedServer("127.0.0.2") as other:
        other.serve("/feed", FEED)
        feed_server.redirect("/go", other.url("/feed"))
        with pytest.raises(UnsafeURLError, match=r"^refused: 127.0.0.2 is a loopback address$"):
            await fetcher.fetch(feed_server.url("/go"))
        with pytest.raises(UnsafeURLError):
            await fetcher.fetch(other.url("/feed"))
        assert other.hits["/feed"] == 0
        # The same server is reachable when the setting allows it.
        async with Fetcher(UrlGuard("127.0.0.1,127.0.0.2")) as wider:
            assert (await wider.fetch(feed_server.url("/go"))).body == FEED


async def test_private_address_refused_by_default(feed_server: FeedServer) -> None:
    feed_server.serve("/feed", FEED)
    async with Fetcher(UrlGuard()) as fetcher:
        with pytest.raises(UnsafeURLError, match=r"^refused: 127.0.0.1 is a loopback address$"):
            await fetcher.fetch(feed_server.url("/feed"))
    assert feed_server.hits["/feed"] == 0


async def test_guard_checks_the_resolved_address(feed_server: FeedServer) -> None:
    # A name resolving to an allowed address works; one resolving (or rebinding) to a refused
    # address is stopped at connect time, although its URL passes the syntax check.
    async with FeedServer("127.0.0.2") as other:
        feed_server.serve("/feed", FEED)
        other.serve("/feed", FEED)
        table = {"feeds.test": ["127.0.0.1"], "rebind.test": ["127.0.0.2"]}
        async with Fetcher(LOOPBACK, resolver=StaticResolver(table), timeout_s=2) as fetcher:
            ok = await fetcher.fetch(f"http://feeds.test:{feed_server.port}/feed")
            assert ok.body == FEED
            assert feed_server.seen_headers["/feed"]["Host"] == f"feeds.test:{feed_server.port}"
            with pytest.raises(
                UnsafeURLError, match=r"^refused: rebind.test resolves to 127.0.0.2, a loopback"
            ):
                await fetcher.fetch(f"http://rebind.test:{other.port}/feed")
            with pytest.raises(FetchError, match=r"^cannot resolve host example.invalid$"):
                await fetcher.fetch("http://example.invalid/feed")
        assert other.hits["/feed"] == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://127.0.0.1/feed.xml", "only http and https"),
        ("http://user:secret@127.0.0.1/feed", "credentials"),
        ("http://10.0.0.1/feed", "10.0.0.1 is a private address"),
        ("http://[::ffff:127.0.0.2]/feed", "::ffff:127.0.0.2 is a loopback address"),
    ],
)
async def test_refused_urls(fetcher: Fetcher, url: str, message: str) -> None:
    with pytest.raises(UnsafeURLError, match=r"^refused: ") as info:
        await fetcher.fetch(url)
    assert message in str(info.value)


async def test_connection_refused(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match=rf"^cannot connect to 127.0.0.1:{port}"):
        await fetcher.fetch(f"http://127.0.0.1:{port}/feed")


async def test_limit_per_host(feed_server: FeedServer) -> None:
    feed_server.serve("/slow", FEED, delay_s=0.2)
    async with Fetcher(LOOPBACK, limit_per_host=2) as fetcher:
        started = time.perf_counter()
        await asyncio.gather(*(fetcher.fetch(feed_server.url("/slow")) for _ in range(4)))
    assert time.perf_counter() - started >= 0.38  # two rounds of two


def test_backoff_delay() -> None:
    rng = random.Random(7)
    assert backoff_delay(0, 60, 3600, rng) == 0.0
    for failures in range(1, 30):
        delay = backoff_delay(failures, 60, 3600, rng)
        assert 0 <= delay <= min(3600, 60 * 2 ** (failures - 1))
    assert backoff_delay(10_000, 60, 3600, rng) <= 3600
    samples = [backoff_delay(6, 60, 10**9, rng) for _ in range(500)]
    assert max(samples) > 1000 > min(samples)  # spread over [0, 1920]: full jitter
    assert backoff_delay(3, 60, 3600, random.Random(1)) == backoff_delay(
        3, 60, 3600, random.Random(1)
    )
