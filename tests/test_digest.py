"""Digests: one message per period per digest subscription, whatever the number of callers."""

from __future__ import annotations

import asyncio
import datetime as dt

from feeds import Story, rss, unrelated
from feedserver import FeedServer

from bot.app import App
from bot.digest import period, queue_digests
from bot.models import Alert, Request, utcnow
from bot.platforms import discord_render, slack_render
from bot.platforms.console import render_alert
from handlers import dispatch


class Recorder:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.sent: list[tuple[str, Alert]] = []

    async def publish(self, channel: str, alert: Alert, key: str) -> str:
        self.sent.append((channel, alert))
        return key


def test_periods_are_aligned() -> None:
    now = dt.datetime(2024, 11, 5, 10, 17, tzinfo=dt.UTC)
    assert period(now, 60) == (now.replace(hour=9, minute=0), now.replace(minute=0))
    assert period(now, 15)[1] == now.replace(minute=15)


def story(n: int) -> Story:
    """Distinct relevant stories (not syndicated copies of each other)."""
    words = ["artillery", "drones", "rations", "uniforms", "trains", "hospitals", "radios"]
    text = (
        f"South Korea's National Intelligence Service said North Korean troops in Russia "
        f"numbered about {10 + n},000. Report {n} also covered {words[n % 7]} and "
        f"{words[(n + 3) % 7]} sent to Kursk, with {n * 37} tonnes moved by rail in week {n}."
    )
    return Story(guid=f"d-{n}", title=f"Digest item {n}", text=text, link=f"https://d.example/{n}")


async def test_digest_subscription_gets_one_message_for_an_hours_items(
    app: App, feed_server: FeedServer
) -> None:
    slack = Recorder("slack")
    app.add_publisher(slack)
    await dispatch(
        Request("subscribe", "digest", platform="slack", channel="D1", is_admin=True),
        app.services,
    )
    await app.ledger.subscribe("slack", "I1", app.pack.id, "instant", "t")
    route = feed_server.serve("/f", rss([unrelated(0)]))
    await app.add_source(feed_server.url("/f"), "Wire", "t")
    stories = [story(n) for n in range(1, 13)]
    route.body = rss([*stories[:6], unrelated(1)])
    await app.poll(force=True)
    route.body = rss([*stories, unrelated(1), unrelated(2)])
    await app.poll(force=True)

    # An hour later, three schedulers (as many processes) ask at once, then again.
    later = utcnow() + dt.timedelta(minutes=60)
    counts = await asyncio.gather(*(queue_digests(app.ledger, app.pack, later) for _ in range(3)))
    assert sum(counts) == 1
    assert await queue_digests(app.ledger, app.pack, later + dt.timedelta(minutes=1)) == 0
    await app.delivery.deliver_once()

    digests = [a for c, a in slack.sent if c == "D1"]
    instant = [a for c, a in slack.sent if c == "I1"]
    assert len(instant) == 12 and all(a.kind == "item" for a in instant)
    [digest] = digests
    assert digest.kind == "digest" and "12 new items" in digest.title
    text = "\n".join(digest.claims)
    assert all(s.title in text for s in stories[:10])  # items listed (the rest as "more")
    assert "Council" not in text  # nothing irrelevant
    assert any(line.startswith("Troop") or ":" in line for line in digest.claims[:2])

    # The next period has nothing new: no message.
    assert await queue_digests(app.ledger, app.pack, later + dt.timedelta(minutes=60)) == 0

    # Every platform shows it within its limits.
    assert "[DIGEST]" in render_alert(digest)
    embed = discord_render.render_alert(digest)
    assert discord_render.embed_size(embed) <= discord_render.EMBED_TOTAL_MAX
    _, blocks = slack_render.render_alert(digest)
    assert len(blocks) <= slack_render.MAX_BLOCKS


async def test_a_big_digest_fits_every_platform() -> None:
    alert = Alert(
        title="Digest 2024-11-05 09:00–10:00 UTC: 400 new items, 900 claims",
        url=None,
        source_name="digest",
        claims=tuple(
            f"Question {i}: " + "NIS asserts about 12,000 (Yonhap); " * 30 for i in range(80)
        ),
        kind="digest",
    )
    embed = discord_render.render_alert(alert)
    assert discord_render.embed_size(embed) <= discord_render.EMBED_TOTAL_MAX
    text, blocks = slack_render.render_alert(alert)
    assert len(blocks) <= slack_render.MAX_BLOCKS and len(text) <= 4000
    assert render_alert(alert).startswith("[DIGEST]")
