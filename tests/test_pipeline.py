"""Polling end to end: loopback feeds -> pipeline -> ledger -> outbox, on both engines."""

from __future__ import annotations

import gzip

import pytest
from conftest import make_settings
from feeds import relevant, rss, unrelated
from feedserver import FeedServer

from bot.app import App
from bot.config import Settings
from bot.models import utcnow


async def _delivered(app: App) -> list[str]:
    """Deliver the outbox to a recording publisher; return the alert titles."""
    seen: list[str] = []

    class Recorder:
        platform = "test"

        async def publish(self, channel: str, alert: object, key: str) -> str:
            seen.append(alert.title)  # type: ignore[attr-defined]
            return key

    app.add_publisher(Recorder())
    await app.delivery.deliver_once()
    return seen


async def test_new_source_sets_a_baseline_then_posts_exactly_new_items(
    app: App, feed_server: FeedServer
) -> None:
    await app.ledger.subscribe("test", "c1", app.pack.id, "instant", "t")
    route = feed_server.serve("/feed", rss([relevant(1), unrelated(1)]), etag='"v1"')
    source, baseline = await app.add_source(feed_server.url("/feed"), None, "t")
    assert (source.name, baseline) == ("Test Wire", 2)
    assert await _delivered(app) == []

    route.body = rss([relevant(2), unrelated(2), relevant(1), unrelated(1)])
    route.etag = '"v2"'
    [report] = await app.poll(force=True)
    assert (report.new_items, report.relevant_items, report.alerts) == (2, 1, 1)
    assert report.claims >= 1
    assert await _delivered(app) == [relevant(2).title]

    # unchanged feed: a conditional GET answered 304, nothing new
    [leased] = await app.ledger.lease_due_sources(
        app.pack.id, "t", limit=1, lease_s=60, attempted_before=utcnow()
    )
    again = await app.pipeline.poll_source(leased)
    assert again.not_modified and again.new_items == 0
    assert feed_server.seen_headers["/feed"].get("If-None-Match") == '"v2"'
    assert await _delivered(app) == []


async def test_restart_posts_nothing_again(settings: Settings, feed_server: FeedServer) -> None:
    feed_server.serve("/feed", rss([relevant(1)]))
    async with App(settings) as first:
        await first.ledger.subscribe("test", "c1", first.pack.id, "instant", "t")
        await first.add_source(feed_server.url("/feed"), "W", "t")
        feed_server.routes["/feed"].body = rss([relevant(2), relevant(1)])
        await first.poll(force=True)
        assert await _delivered(first) == [relevant(2).title]
    async with App(settings) as second:
        reports = await second.pipeline.poll_once(force=True)
        assert [r.new_items for r in reports] in ([], [0])
        assert await _delivered(second) == []


BAD = {
    "/slow": dict(body=rss([relevant(9)]), delay_s=5),
    "/500": dict(status=500),
    "/garbage": dict(body=b"\x00\xff\x13 not a feed at all", content_type="text/plain"),
    "/huge": dict(body=b"<rss>" + b" " * 300_000 + b"</rss>"),
    "/bomb": dict(body=gzip.compress(b" " * 5_000_000), headers={"Content-Encoding": "gzip"}),
    "/html": dict(body=b"<!doctype html><html><body>hello</body></html>", content_type="text/html"),
}


async def test_each_failure_is_stored_and_others_still_polled(
    tmp_path, ledger_url: str, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, ledger_url, fetch_timeout_s=1.0, fetch_max_bytes=100_000)
    async with App(settings) as app:
        feed_server.serve("/good", rss([relevant(1)]))
        good, _ = await app.add_source(feed_server.url("/good"), "good", "t")
        ids = {}
        for path, options in BAD.items():
            feed_server.serve(path, **options)
            ids[path] = (
                await app.ledger.add_source(app.pack.id, feed_server.url(path), path, "t", 900)
            ).id
        feed_server.redirect("/loop", "/loop")
        ids["/loop"] = (
            await app.ledger.add_source(app.pack.id, feed_server.url("/loop"), "/loop", "t", 900)
        ).id
        private = "http://10.255.255.1/feed"
        ids["/private"] = (
            await app.ledger.add_source(app.pack.id, private, "private", "t", 900)
        ).id
        feed_server.routes["/good"].body = rss([relevant(2), relevant(1)])

        reports = {r.source_id: r for r in await app.poll(force=True)}
        assert reports[good.id].ok and reports[good.id].new_items == 1
        errors = {path: reports[i].error for path, i in ids.items()}
        assert all(not reports[i].ok for i in ids.values())
        assert "timed out" in errors["/slow"]
        assert "500" in errors["/500"]
        assert "not a feed" in errors["/garbage"] or "feed" in errors["/garbage"]
        assert "larger than" in errors["/huge"]
        assert "larger than" in errors["/bomb"]
        assert "not a feed" in errors["/html"]
        assert "redirect" in errors["/loop"]
        assert "private" in errors["/private"]
        stored = {s.id: s for s in await app.ledger.list_sources(app.pack.id)}
        for path, i in ids.items():
            assert stored[i].consecutive_failures == 1, path
            assert stored[i].last_error == errors[path]
            assert stored[i].next_check_at is not None


async def test_addsource_refuses_what_is_not_a_feed(app: App, feed_server: FeedServer) -> None:
    from bot.errors import ParseError, UnsafeURLError

    feed_server.serve("/page", b"<html><body>no feed</body></html>", content_type="text/html")
    with pytest.raises(ParseError, match="not a feed"):
        await app.add_source(feed_server.url("/page"), None, "t")
    with pytest.raises(UnsafeURLError):
        await app.add_source("file:///etc/passwd", None, "t")
    assert await app.ledger.list_sources(app.pack.id) == []
