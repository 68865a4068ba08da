"""Admins hear once when a source starts failing and once when it recovers; !deadletters
shows what could not be delivered; !why explains a posted and an irrelevant item."""

from __future__ import annotations

from pathlib import Path

from conftest import make_settings
from feeds import relevant, rss, unrelated
from feedserver import FeedServer

from bot.app import App
from bot.errors import DeliveryError
from bot.models import Alert, Request
from handlers import dispatch


class Flaky:
    platform = "ops"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Alert]] = []
        self.fail_channel = "broken"

    async def publish(self, channel: str, alert: Alert, key: str) -> str:
        if channel == self.fail_channel:
            raise DeliveryError("channel not found", permanent=True)
        self.sent.append((channel, alert))
        return key


async def test_health_warning_once_recovery_once_and_dead_letters(
    tmp_path: Path, ledger_url: str, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path, ledger_url, admin_channel="ops:admins", backoff_base_s=1)
    async with App(settings) as app:
        ops = Flaky()
        app.add_publisher(ops)
        route = feed_server.serve("/f", rss([unrelated(1)]))
        await app.add_source(feed_server.url("/f"), "Wire", "t")
        route.status = 500
        for _ in range(5):
            await app.poll(force=True)
        route.status = 200
        route.body = rss([relevant(2), unrelated(1)])
        await app.ledger.subscribe("ops", "news", app.pack.id, "instant", "t")
        await app.ledger.subscribe("ops", "broken", app.pack.id, "instant", "t")
        await app.poll(force=True)
        await app.poll(force=True)
        await app.delivery.deliver_once()

        health = [a for c, a in ops.sent if c == "admins"]
        assert [a.kind for a in health] == ["health", "health"]
        assert health[0].title == "Source failing: Wire" and "HTTP 500" in health[0].summary
        assert health[1].title == "Source recovered: Wire"
        assert [a.title for c, a in ops.sent if c == "news"] == [relevant(2).title]

        reply = await dispatch(Request("deadletters", is_admin=True), app.services)
        assert "0 pending, 1 dead letters" in reply.text
        assert "ops:broken" in reply.text and "channel not found" in reply.text
        refused = await dispatch(Request("deadletters", is_admin=False), app.services)
        assert refused.title == "Not allowed"

        posted = await dispatch(Request("why", relevant(2).link or ""), app.services)
        assert "Posted to ops:news" in posted.text
        assert "Failed delivery to ops:broken after 1 attempts: channel not found" in posted.text
        ignored = await dispatch(Request("why", unrelated(1).link or ""), app.services)
        assert "not relevant" in ignored.text
