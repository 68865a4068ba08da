"""The Discord adapter, end to end: the production bot (real discord.py) against a fake Discord
on loopback (tests/fake_discord.py), with a real App and ledger. Plus the pure limit code."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
import yarl
from conftest import make_settings
from fake_discord import FakeDiscord, Posted, over_limit
from feedserver import FeedServer

from bot.app import App
from bot.config import Settings
from bot.models import Alert, Field, Link, Reply
from bot.platforms import discord_render as render
from bot.platforms.discord import ClaimwatchBot, DiscordPublisher, start, sync_commands
from handlers import COMMANDS

DATA = Path(__file__).parent / "data"
ADMIN_ROLE = "Claimwatch Admin"


@dataclass
class Running:
    app: App
    fake: FakeDiscord
    bot: ClaimwatchBot
    publisher: DiscordPublisher

    @property
    def channel(self) -> str:
        return str(self.fake.channel_id)

    async def reply_to(self, send: asyncio.Future[None] | None = None, count: int = 1) -> Posted:
        """Wait until ``count`` more messages have been posted; return the first of them."""
        before = len(self.fake.posted)
        if send is not None:
            await send
        await self.fake.wait_for(lambda: len(self.fake.posted) >= before + count)
        return self.fake.posted[before]


def text_of(posted: Posted | list[Posted]) -> str:
    """All the embed text of one or more posted messages."""
    out = []
    for p in posted if isinstance(posted, list) else [posted]:
        for e in p.payload.get("embeds", []):
            out += [e.get("title", ""), e.get("description", "")]
            out += [f"{f['name']} {f['value']}" for f in e.get("fields", [])]
            out.append(e.get("footer", {}).get("text", ""))
    return "\n".join(out)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    # monkeypatch restores both after the test.
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url)
    )
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def run_bot(settings: Settings, fake: FakeDiscord) -> AsyncIterator[Running]:
    """The production start-up: an App, then the Discord platform's ``start``."""
    async with App(settings) as app:
        stop = asyncio.Event()
        runner = await start(app, stop, guild_ready_timeout=0.05)
        publisher = app.publishers["discord"]
        assert isinstance(publisher, DiscordPublisher)
        await asyncio.wait_for(publisher.bot.wait_until_ready(), 10)
        try:
            yield Running(app, fake, publisher.bot, publisher)
        finally:
            await runner.close()
        assert not stop.is_set()


@pytest.fixture
async def running(tmp_path: Path, ledger_url: str, fake: FakeDiscord) -> AsyncIterator[Running]:
    settings = make_settings(
        tmp_path, ledger_url, discord_token="fake.token.x", discord_admin_role=ADMIN_ROLE
    )
    async with run_bot(settings, fake) as running:
        yield running


# ---- commands ---------------------------------------------------------------------------


async def test_prefix_and_slash_give_the_same_answer(running: Running) -> None:
    fake = running.fake
    prefixed = await running.reply_to(fake.say(fake.plain, "!status"))
    slashed = await running.reply_to(fake.slash(fake.plain, "status"))
    assert (prefixed.via, slashed.via) == ("channel", "callback")
    assert prefixed.payload["embeds"] and prefixed.payload["embeds"] == slashed.payload["embeds"]
    for p in (prefixed, slashed):  # the Bot's default: no reply can ping anyone either
        assert p.payload["allowed_mentions"]["parse"] == []
    assert fake.rejected == []


async def test_unknown_command_is_ignored_quietly(running: Running) -> None:
    fake = running.fake
    await fake.say(fake.plain, "!nosuchcommand")
    helped = await running.reply_to(fake.say(fake.plain, "!Help"))
    assert "!status" in text_of(helped)
    assert len(fake.posted) == 1  # nothing for the unknown command


async def test_addsource_needs_manage_server_or_the_admin_role(
    running: Running, feed_server: FeedServer
) -> None:
    fake = running.fake
    feed_server.serve("/a.xml", (DATA / "rss2.xml").read_bytes())
    feed_server.serve("/b.xml", (DATA / "rss2.xml").read_bytes())
    url_a, url_b = feed_server.url("/a.xml"), feed_server.url("/b.xml")

    refused = await running.reply_to(fake.say(fake.plain, f"!addsource {url_a}"))
    assert "Not allowed" in text_of(refused)
    refused = await running.reply_to(fake.slash(fake.plain, "addsource", url_a))
    assert "Not allowed" in text_of(refused)
    assert feed_server.hits["/a.xml"] == 0

    by_role = await running.reply_to(fake.say(fake.role_admin, f"!addsource {url_a} Wire A"))
    assert "Added #" in text_of(by_role)
    by_permission = await running.reply_to(fake.slash(fake.manager, "addsource", url_b))
    assert "Added #" in text_of(by_permission)
    sources = await running.app.ledger.list_sources(running.app.pack.id)
    assert sorted(s.url for s in sources) == [url_a, url_b]


async def test_long_reply_is_split_within_discords_limits(running: Running) -> None:
    app, fake = running.app, running.fake
    for i in range(70):
        name = f"Source number {i:02d} " + "with a very long name " * 4
        await app.ledger.add_source(app.pack.id, f"http://127.0.0.1/feed{i}.xml", name, "test", 900)
    first = await running.reply_to(fake.say(fake.plain, "!sources"))
    await asyncio.sleep(0.3)  # let every part arrive
    parts = fake.posted[fake.posted.index(first) :]
    assert len(parts) >= 2 and fake.rejected == []
    text = text_of(parts)
    assert all(f"Source number {i:02d}" in text for i in range(70))

    before = len(fake.posted)
    await fake.slash(fake.plain, "sources")  # the callback, then followups
    await fake.wait_for(lambda: len(fake.posted) >= before + len(parts))
    slashed = fake.posted[before:]
    assert [p.via for p in slashed] == ["callback"] + ["followup"] * (len(parts) - 1)
    assert text_of(slashed) == text and fake.rejected == []


async def test_slow_slash_command_is_deferred_then_answered(
    running: Running, feed_server: FeedServer
) -> None:
    fake = running.fake
    running.bot.defer_after_s = 0.1  # instead of 2 s, to keep the test short
    feed_server.serve("/slow.xml", (DATA / "rss2.xml").read_bytes(), delay_s=0.5)
    answer = await running.reply_to(
        fake.slash(fake.manager, "addsource", feed_server.url("/slow.xml"))
    )
    assert answer.via == "followup" and "Added #" in text_of(answer)
    assert fake.deferred == 1


async def test_without_message_content_the_bot_starts_and_says_what_works(
    tmp_path: Path, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'l.db'}"
    settings = make_settings(
        tmp_path, url, discord_token="fake.token.x", discord_message_content=False
    )
    caplog.set_level(logging.INFO, logger="bot.platforms.discord")
    async with run_bot(settings, fake) as running:
        assert not fake.identify["intents"] & discord.Intents(message_content=True).value
        answer = await running.reply_to(fake.slash(fake.plain, "help"))
        assert "!status" in text_of(answer)
    assert "DISCORD_MESSAGE_CONTENT is off" in caplog.text


async def test_a_refused_token_stops_claimwatch_with_a_message(
    tmp_path: Path, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'l.db'}"
    settings = make_settings(tmp_path, url, discord_token="bad.token.x")
    async with App(settings) as app:
        stop = asyncio.Event()
        runner = await start(app, stop)
        await asyncio.wait_for(stop.wait(), 5)
        await runner.close()
    assert "refused DISCORD_TOKEN" in caplog.text and "bad.token" not in caplog.text


# ---- alerts -----------------------------------------------------------------------------


async def subscribe(running: Running) -> None:
    fake = running.fake
    done = await running.reply_to(fake.say(fake.role_admin, "!subscribe"))
    assert "Subscribed" in text_of(done)
    subs = await running.app.ledger.subscriptions(running.app.pack.id)
    assert [(s.platform, s.channel) for s in subs] == [("discord", running.channel)]


async def test_alert_pings_nobody_and_a_resend_is_deduped(running: Running) -> None:
    app, fake = running.app, running.fake
    await subscribe(running)
    alert = Alert(
        title="@everyone North Korean troops @here <@&123> seen in Kursk",
        url="https://example.com/a",
        source_name="Wire",
        summary="@everyone look",
    )
    assert await app.ledger.enqueue(app.pack.id, "discord", running.channel, alert, "item:1")
    assert await app.delivery.deliver_once() == 1
    posted = fake.posted[-1]
    assert posted.via == "channel" and "@everyone" in posted.payload["embeds"][0]["title"]
    assert posted.payload["allowed_mentions"]["parse"] == []
    assert not posted.payload["allowed_mentions"].get("roles")
    assert not posted.payload["allowed_mentions"].get("users")
    assert posted.payload["enforce_nonce"] is True
    assert posted.payload["nonce"] == render.nonce_for("item:1")

    # A resend after a crash (same key) returns the first message; nothing new is posted.
    count = len(fake.posted)
    again = await running.publisher.publish(running.channel, alert, "item:1")
    assert again == posted.message_id and len(fake.posted) == count


async def test_a_500_keeps_the_alert_until_discord_recovers(running: Running) -> None:
    app, fake = running.app, running.fake
    await subscribe(running)
    running.publisher.timeout_s = 0.5  # discord.py itself retries a 500 after 1 s, 3 s ...
    app.delivery.base_s = 0.0  # retry at once instead of after a backoff
    fake.fail_status = 500
    alert = Alert(title="NIS: about 12,000 troops", url=None, source_name="Wire")
    await app.ledger.enqueue(app.pack.id, "discord", running.channel, alert, "item:2")
    count = len(fake.posted)
    assert await app.delivery.deliver_once() == 0
    assert fake.failures >= 1 and len(fake.posted) == count
    assert (await app.ledger.outbox_counts())["pending"] == 1

    fake.fail_status = None
    assert await app.delivery.deliver_once() == 1
    assert await app.delivery.deliver_once() == 0
    alerts = [p for p in fake.posted if p.payload.get("nonce") == render.nonce_for("item:2")]
    assert len(alerts) == 1 and alerts[0].payload["embeds"][0]["title"].startswith("NIS")
    assert (await app.ledger.outbox_counts()) == {"pending": 0, "dead": 0, "delivered": 1}


async def test_forbidden_channel_is_a_permanent_failure(running: Running) -> None:
    from bot.errors import DeliveryError

    running.fake.fail_status = 403
    with pytest.raises(DeliveryError) as caught:
        await running.publisher.publish(running.channel, Alert("t", None, "s"), "k")
    assert caught.value.permanent
    running.fake.fail_status = 429
    with pytest.raises(DeliveryError) as caught:
        await running.publisher.publish(running.channel, Alert("t", None, "s"), "k")
    assert not caught.value.permanent and caught.value.retry_after == 42.0


# ---- slash command sync -----------------------------------------------------------------


async def test_sync_commands_globally_and_to_one_guild(tmp_path: Path, fake: FakeDiscord) -> None:
    settings = make_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", discord_token="fake.token.x"
    )
    assert await sync_commands(settings, None) == len(COMMANDS)
    names = sorted(c["name"] for c in fake.synced["global"])
    assert names == sorted(COMMANDS)
    status = next(c for c in fake.synced["global"] if c["name"] == "status")
    assert [o["name"] for o in status["options"]] == ["args"]
    assert not status["options"][0].get("required")
    assert await sync_commands(settings, str(fake.guild_id)) == len(COMMANDS)
    assert len(fake.synced[str(fake.guild_id)]) == len(COMMANDS)


# ---- the pure limit code ----------------------------------------------------------------


def test_truncate_and_split() -> None:
    assert render.truncate("abc", 3) == "abc"
    assert render.truncate("abcdef", 4) == "abc…" and len(render.truncate("x" * 9000, 256)) == 256
    assert render.truncate("ab\\*cd", 4) == "ab…"  # never a dangling escape before the marker
    chunks = render.split_text("line\n" * 1000 + "y" * 4500)
    assert all(len(c) <= 2000 for c in chunks) and "".join(chunks).count("y") == 4500


def test_escape_keeps_urls_and_neutralises_markdown() -> None:
    text = render.escape("*bold* __u__ https://x.test/a_b_c ||spoiler|| [x](y)")
    assert "\\*bold\\*" in text and "https://x.test/a_b_c" in text and "\\|\\|" in text
    assert render.escape("> quote") == "\\> quote"


def test_every_rendered_message_is_within_discords_limits() -> None:
    rng = random.Random(7)
    for _ in range(60):

        def words(n: int) -> str:
            return " ".join("w" * rng.randint(1, 30) for _ in range(n))

        reply = Reply(
            title=words(rng.randint(0, 80)),
            lines=tuple(words(rng.randint(0, 400)) for _ in range(rng.randint(0, 60))),
            fields=tuple(
                Field(words(rng.randint(1, 60)), words(rng.randint(0, 300)))
                for _ in range(rng.randint(0, 60))
            ),
            links=tuple(
                Link(words(5), "https://example.com/" + "p" * rng.randint(0, 3000))
                for _ in range(rng.randint(0, 5))
            ),
            footer=words(rng.randint(0, 500)) or None,
            kind=rng.choice(["info", "error"]),
        )
        messages = render.render_reply(reply)
        assert messages and len(messages) <= render.MAX_MESSAGES
        for embeds in messages:
            assert over_limit({"embeds": embeds}) is None

    huge = Alert(
        title="t" * 999,
        url="https://e.com/" + "u" * 5000,
        source_name="s" * 999,
        summary="x" * 9000,
        claims=("c" * 999,) * 40,
        flags=("f" * 999,) * 40,
        also_reported_by=("o" * 99,) * 99,
        published="2024-10-30",
    )
    embed = render.render_alert(huge)
    assert over_limit({"embeds": [embed]}) is None and "url" not in embed
    assert embed["description"].endswith("…")
