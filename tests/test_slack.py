"""Slack end to end: the production app and the real slack_bolt / slack_sdk clients against a
fake Slack Web API and Socket Mode websocket on loopback (tests/fake_slack.py)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape as xml_escape

import aiohttp
import pytest
from conftest import make_settings
from fake_slack import APP_TOKEN, BOT_ID, BOT_TOKEN, FakeSlack, block_problems
from feedserver import FeedServer
from slack_sdk.signature import SignatureVerifier

from bot.app import App
from bot.errors import DeliveryError
from bot.models import Alert, Field, Link, Reply
from bot.platforms import slack
from bot.platforms.slack_render import render_alert, render_reply

ADMIN = "UADMIN"
CHANNEL = "C1"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """(guid, title, text) items as an RSS document."""
    body = "".join(
        f"<item><guid>{xml_escape(g)}</guid><title>{xml_escape(t)}</title>"
        f"<link>https://news.example/{xml_escape(g)}</link>"
        f"<description>{xml_escape(d)}</description>"
        "<pubDate>Fri, 18 Oct 2024 09:00:00 GMT</pubDate></item>"
        for g, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://news.example/</link><description>d</description>{body}</channel></rss>"
    ).encode()


NK = "North Korean troops have been sent to Russia, South Korea's spy agency NIS said."


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def socket_app(tmp_path: Path, ledger_url: str, fake: FakeSlack) -> AsyncIterator[App]:
    """The app with Slack in Socket Mode, connected to the fake."""
    settings = make_settings(
        tmp_path,
        ledger_url,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_admin_users=f"{ADMIN}, UOTHER",
    )
    async with App(settings) as app:
        runner = await slack.start(app, asyncio.Event(), api_url=fake.api_url)
        try:
            yield app
        finally:
            await runner.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def http_app(tmp_path: Path, ledger_url: str, fake: FakeSlack) -> AsyncIterator[str]:
    """The app with Slack in HTTP mode; yields the events URL Bolt serves."""
    port = free_port()
    settings = make_settings(
        tmp_path,
        ledger_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_port=port,
        slack_admin_users=ADMIN,
    )
    async with App(settings) as app:
        runner = await slack.start(app, asyncio.Event(), host="127.0.0.1", api_url=fake.api_url)
        try:
            yield f"http://127.0.0.1:{port}{slack.EVENTS_PATH}"
        finally:
            await runner.close()


def payload_text(call_args: dict[str, object]) -> str:
    return json.dumps(call_args, ensure_ascii=False)


# ---- 1. !status in a channel --------------------------------------------------------------


async def test_status_message_gets_blocks_and_fallback(socket_app: App, fake: FakeSlack) -> None:
    envelope = await fake.push("events_api", fake.message("!status"))
    await fake.wait_ack(envelope)
    (post,) = await fake.wait_for(lambda: fake.posts(CHANNEL))
    assert post["blocks"] and not block_problems(post["blocks"])
    assert post["blocks"][0]["type"] == "header"
    assert isinstance(post["text"], str) and post["text"].strip()
    assert post["unfurl_links"] is False
    assert fake.calls_to("auth.test")  # Bolt and start() know who the bot is


async def test_only_anchored_commands_from_people_are_answered(
    socket_app: App, fake: FakeSlack
) -> None:
    ignored = [
        fake.message("what does !status say?"),  # not at the start
        fake.message("!status", bot_id="BOTHER"),  # another bot
        fake.message("!status", user="UBOT", bot_id=BOT_ID),  # ourselves
        fake.message("!status", subtype="message_changed"),  # an edit
        fake.event(
            {
                "type": "app_mention",
                "channel": CHANNEL,
                "user": "U1",
                "ts": "9.1",
                "text": "thanks <@UBOT>!",
            }
        ),  # mentioned in passing
    ]
    for payload in ignored:
        await fake.wait_ack(await fake.push("events_api", payload))
    mention = await fake.push("events_api", fake.mention("help"))
    await fake.wait_ack(mention)
    (post,) = await fake.wait_for(lambda: fake.posts(CHANNEL))
    assert "!status" in post["text"]  # the help list answered the mention, nothing else
    await asyncio.sleep(0.2)
    assert len(fake.posts()) == 1


async def test_a_failing_reply_is_logged_and_the_bot_carries_on(
    socket_app: App, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # The reply and the error handler's short apology are both refused.
    fake.fail("chat.postMessage", error="not_in_channel", times=2)
    await fake.wait_ack(await fake.push("events_api", fake.message("!help")))
    await fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) == 2)
    await fake.wait_for(lambda: "could not tell the user" in caplog.text)
    assert "Slack request failed: SlackApiError" in caplog.text
    await fake.wait_ack(await fake.push("events_api", fake.message("!help")))
    (post,) = await fake.wait_for(lambda: fake.posts(CHANNEL))
    assert "Traceback" not in post["text"]


# ---- 2. /claimwatch, Socket Mode and HTTP mode --------------------------------------------


async def test_slash_sources_answers_through_response_url(socket_app: App, fake: FakeSlack) -> None:
    envelope = await fake.push("slash_commands", fake.slash("sources", response="s1"))
    await fake.wait_ack(envelope)
    (answer,) = await fake.wait_for(lambda: fake.responses.get("s1"))
    assert answer["response_type"] == "in_channel"
    assert "No sources yet" in answer["text"]
    assert not block_problems(answer["blocks"])


async def test_http_mode_verifies_signatures(http_app: str, fake: FakeSlack) -> None:
    body = urlencode(fake.slash("sources", response="h1"))
    now = str(int(time.time()))
    good = SignatureVerifier(SECRET).generate_signature(timestamp=now, body=body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": now,
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(
            http_app, data=body, headers={**headers, "X-Slack-Signature": "v0=" + "0" * 64}
        ) as bad:
            assert bad.status == 401
        async with http.post(
            http_app, data=body, headers={**headers, "X-Slack-Signature": good}
        ) as ok:
            assert ok.status == 200
    (answer,) = await fake.wait_for(lambda: fake.responses.get("h1"))
    assert "No sources yet" in answer["text"]
    assert list(fake.responses) == ["h1"]  # the forged request ran nothing


# ---- 3. admin commands --------------------------------------------------------------------


async def test_addsource_from_a_non_admin_is_refused(
    socket_app: App, fake: FakeSlack, feed_server: FeedServer
) -> None:
    feed_server.serve("/feed.xml", rss([("a", "Council vote", "Budget.")]))
    url = feed_server.url("/feed.xml")
    await fake.push("slash_commands", fake.slash(f"addsource {url}", user="U2", response="n"))
    (answer,) = await fake.wait_for(lambda: fake.responses.get("n"))
    assert answer["response_type"] == "ephemeral"
    assert "admins only" in answer["text"]
    assert await socket_app.ledger.list_sources(socket_app.pack.id) == []
    assert feed_server.hits["/feed.xml"] == 0

    await fake.push("slash_commands", fake.slash(f"addsource {url}", user=ADMIN, response="a"))
    (added,) = await fake.wait_for(lambda: fake.responses.get("a"), timeout=10)
    assert added["text"].startswith("Added #"), added["text"]

    # In a message, Slack sends a typed URL as <url|label>, with & as &amp;.
    feed_server.serve("/f.xml?a=1&b=2", rss([("b", "Council vote", "Budget.")]))
    typed = feed_server.url("/f.xml?a=1&b=2")
    slack_text = f"!addsource <{typed.replace('&', '&amp;')}|{typed[7:].replace('&', '&amp;')}>"
    await fake.push("events_api", fake.message(slack_text, user=ADMIN))
    (post,) = await fake.wait_for(lambda: fake.posts(CHANNEL), timeout=10)
    assert post["text"].startswith("Added #"), post["text"]
    urls = [s.url for s in await socket_app.ledger.list_sources(socket_app.pack.id)]
    assert typed in urls


# ---- 4. alerts: feed text reaches Slack escaped -------------------------------------------


async def test_feed_title_cannot_ping_the_channel(
    socket_app: App, fake: FakeSlack, feed_server: FeedServer
) -> None:
    await fake.wait_ack(await fake.push("events_api", fake.message("!subscribe", user=ADMIN)))
    await fake.wait_for(lambda: fake.posts(CHANNEL))
    assert await socket_app.ledger.subscriptions(socket_app.pack.id)

    feed_server.serve("/wire.xml", rss([("old", "Council vote", "Budget.")]))
    await socket_app.add_source(feed_server.url("/wire.xml"), "Wire <!here>", ADMIN)
    # The parser turns HTML in titles into text: "<!channel>" goes as a tag, but "<@U999>" and
    # "&" are text and reach the renderer as they are. The source name keeps "<!here>".
    hostile = "<!channel> North Korean troops in Kursk & <@U999> <https://evil.example|click>"
    feed_server.serve(
        "/wire.xml",
        rss([("old", "Council vote", "Budget."), ("new", hostile, NK + " <!everyone> <#C2>")]),
    )
    reports = await socket_app.poll(force=True)
    assert sum(r.alerts for r in reports) == 1, reports

    assert await socket_app.delivery.deliver_once() == 1
    post = fake.posts(CHANNEL)[-1]
    raw = payload_text(post)
    for markup in ("<!channel>", "<!here>", "<!everyone>", "<@U999>", "<#C2>", "<https://evil"):
        assert markup not in raw
    assert "North Korean troops in Kursk &amp; &lt;@U999&gt;" in raw
    assert "Wire &lt;!here&gt;" in post["text"]
    assert raw.count("<https://") == 1  # the one link is ours
    assert "<https://news.example/new|" in raw
    assert post["metadata"]["event_payload"]["key"]
    assert post["unfurl_links"] is False
    assert not block_problems(post["blocks"])


# ---- 5. rate limits and retries -----------------------------------------------------------


async def _queue_alert(app: App, fake: FakeSlack, feed_server: FeedServer) -> None:
    await app.ledger.subscribe("slack", CHANNEL, app.pack.id, "instant", ADMIN)
    feed_server.serve("/w.xml", rss([]))
    await app.add_source(feed_server.url("/w.xml"), "Wire", ADMIN)
    feed_server.serve("/w.xml", rss([("n1", "North Korean troops reach Kursk", NK)]))
    reports = await app.poll(force=True)
    assert sum(r.alerts for r in reports) == 1, reports


async def test_429_is_waited_out_and_posted_once(
    socket_app: App, fake: FakeSlack, feed_server: FeedServer
) -> None:
    await _queue_alert(socket_app, fake, feed_server)
    fake.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    started = time.monotonic()
    assert await socket_app.delivery.deliver_once() == 1
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    assert len(fake.posts(CHANNEL)) == 1
    assert await socket_app.delivery.deliver_once() == 0
    assert len(fake.posts(CHANNEL)) == 1


async def test_publisher_errors_and_no_double_post(fake: FakeSlack) -> None:
    publisher = slack.SlackPublisher(slack.make_client(BOT_TOKEN, fake.api_url))
    alert = Alert(title="T", url="https://news.example/t", source_name="Wire")

    # Still limited after the SDK's one retry: the worker is told when to come back.
    fake.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1, times=2)
    with pytest.raises(DeliveryError) as limited:
        await publisher.publish(CHANNEL, alert, "k1")
    assert limited.value.retry_after == 1 and not limited.value.permanent
    assert fake.posts() == []

    # A long wait is not slept through in place: the worker gets it at once.
    fake.fail("chat.postMessage", status=429, error="ratelimited", retry_after=120)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as long_wait:
        await publisher.publish(CHANNEL, alert, "k1")
    assert long_wait.value.retry_after == 120 and time.monotonic() - started < 1

    for code in ("channel_not_found", "not_in_channel", "is_archived"):
        fake.fail("chat.postMessage", error=code)
        with pytest.raises(DeliveryError) as gone:
            await publisher.publish("C404", alert, "k2")
        assert gone.value.permanent
    fake.fail("chat.postMessage", error="internal_error")
    with pytest.raises(DeliveryError) as other:
        await publisher.publish(CHANNEL, alert, "k3")
    assert not other.value.permanent

    ts = await publisher.publish(CHANNEL, alert, "k1")
    # A retry (e.g. after a crash before "delivered" was written) finds it and posts nothing.
    assert await publisher.publish(CHANNEL, alert, "k1") == ts
    assert len(fake.posts()) == 1
    history = fake.calls_to("conversations.history")[-1].args
    assert str(history["include_all_metadata"]).lower() in ("1", "true")


async def test_invalid_bot_token_stops_start_with_a_clear_message(
    tmp_path: Path, ledger_url: str, fake: FakeSlack
) -> None:
    from bot.errors import ConfigError

    settings = make_settings(
        tmp_path, ledger_url, slack_bot_token="xoxb-wrong", slack_app_token=APP_TOKEN
    )
    async with App(settings) as app:
        with pytest.raises(ConfigError, match="invalid_auth"):
            await slack.start(app, asyncio.Event(), api_url=fake.api_url)


# ---- rendering limits (pure) --------------------------------------------------------------


def test_render_keeps_block_kit_limits() -> None:
    huge = Reply(
        title="T" * 500 + " <!channel>",
        lines=tuple(f"line {i} " + "x&<" * 2000 for i in range(120)),
        fields=tuple(Field(f"f{i}", "v" * 5000) for i in range(25)),
        links=tuple(Link(f"l{i} <!here>", f"https://e.example/{i}?a=1&b=<x>") for i in range(30)),
        footer="f" * 9000,
    )
    text, blocks = render_reply(huge)
    assert not block_problems(blocks)
    assert len(text) <= 3000 and "<" not in text
    assert "<!" not in json.dumps(blocks)
    assert blocks[-1]["type"] == "context"  # "… N more blocks not shown"

    _, alert_blocks = render_alert(
        Alert(
            title="<!channel>",
            url="javascript:alert(1)",
            source_name="S" * 5000,
            summary="s" * 9000,
            claims=tuple("c" * 4000 for _ in range(80)),
        )
    )
    assert not block_problems(alert_blocks)
    assert "javascript:" not in json.dumps(alert_blocks)
    assert "&lt;!channel&gt;" in alert_blocks[0]["text"]["text"]

    _, dated = render_alert(
        Alert(title="t", url=None, source_name="S", published="2024-10-18T09:00:00+00:00")
    )
    assert "<!date^1729242000^{date_short_pretty} {time}|2024-10-18 09:00 UTC>" in json.dumps(dated)


def test_manifest_matches_the_adapter() -> None:
    manifest = (Path(__file__).parent.parent / "slack-manifest.yml").read_text()
    assert f"command: {slack.SLASH_COMMAND}" in manifest
    assert "socket_mode_enabled: true" in manifest
    for needed in (
        "chat:write",
        "commands",
        "app_mentions:read",
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:history",
        "channels:read",
        "- app_mention",
        "- message.channels",
        "- message.groups",
        "- message.im",
    ):
        assert needed in manifest, needed
