"""Crash at any moment: no alert lost, none posted twice.

A real claimwatch process (tests/crashbot.py) polls loopback feeds that gain items over time
and delivers to a fake platform; the test kills it with SIGKILL after a random (seeded) delay,
50 times, restarting it each time, then lets the last run finish. The fake counts what arrived:
it dedupes nothing by content, and answers a repeated idempotency key with its first message
(as Discord does for a repeated nonce), so a second alert for one story would show as a second
message.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from conftest import make_settings, process_env
from feeds import Story, rss, unrelated
from feedserver import FeedServer
from loopback import LoopbackServer

from bot.app import App

ROOT = Path(__file__).resolve().parent.parent
KILLS = 50
FEEDS = 3
CHANNELS = ("chan-a", "chan-b")


class FakePlatform(LoopbackServer):
    """Records every accepted message. A repeated idempotency key gets the first message's id
    back (and is counted as a resend); some first attempts fail with 503 (seeded)."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng
        self.messages: list[dict[str, str]] = []
        self.by_key: dict[str, int] = {}
        self.resends = 0
        self.failures = 0

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/post", self._post)

    async def _post(self, request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        body = await request.json()
        if key in self.by_key:
            self.resends += 1
            return web.json_response({"id": self.by_key[key]})
        if self.rng.random() < 0.05:
            self.failures += 1
            return web.json_response({"error": "busy"}, status=503)
        self.messages.append({**body, "key": key})
        self.by_key[key] = len(self.messages)
        return web.json_response({"id": len(self.messages)})


def story(n: int, rng: random.Random) -> Story:
    """A relevant story with its own words (not a syndicated copy of another); its tag [S<n>]
    names it in the alert's title."""
    words = " ".join(f"w{rng.randrange(10_000)}" for _ in range(24))
    text = (
        f"North Korean troops in Russia: South Korea's National Intelligence Service said "
        f"about {n},000 soldiers were near Kursk. Field notes {n}: {words}."
    )
    return Story(
        guid=f"s{n}", title=f"[S{n}] NK troops report", text=text, link=f"https://x.example/{n}"
    )


def syndicated(original: Story, n: int) -> Story:
    """Another outlet's copy of ``original``: same tag, own guid and link."""
    return Story(
        guid=f"copy{n}",
        title=original.title + " (wire)",
        text="From the wires. " + original.text,
        link=f"https://y.example/{n}",
    )


@pytest.mark.parametrize("ledger_url", ["sqlite", "postgres"], indirect=True)
async def test_sigkill_at_random_moments_loses_nothing_and_posts_nothing_twice(
    tmp_path: Path, ledger_url: str, feed_server: FeedServer
) -> None:
    rng = random.Random(20241105)
    fake = FakePlatform(random.Random(7))
    await fake.start()
    feeds: list[list[Story]] = [[unrelated(100 + i)] for i in range(FEEDS)]
    routes = [feed_server.serve(f"/f{i}", rss(feeds[i], title=f"Feed {i}")) for i in range(FEEDS)]

    # The ledger: three sources polled every second, their first items as the baseline, and
    # two subscribed channels of the fake platform.
    settings = make_settings(tmp_path, ledger_url)
    async with App(settings) as app:
        for i in range(FEEDS):
            await app.ledger.add_source(app.pack.id, feed_server.url(f"/f{i}"), f"Feed {i}", "t", 1)
        await app.pipeline.poll_once(force=True)
        for channel in CHANNELS:
            await app.ledger.subscribe("fake", channel, app.pack.id, "instant", "t")

    env = process_env(
        tmp_path,
        ledger_url,
        POLL_TICK_S="1",
        DELIVERY_INTERVAL_S="0.2",
        LEASE_S="5",
        FETCH_TIMEOUT_S="2",
        LOG_LEVEL="WARNING",
        FAKE_PLATFORM_URL=fake.base + "/post",
    )

    zygote = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests" / "crashbot.py"),
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=(tmp_path / "crashbot.log").open("ab"),
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    assert await asyncio.wait_for(zygote.stdout.readline(), 60) == b"warm\n"

    async def start() -> int:
        """A fresh bot process; returns its pid once its App is open."""
        assert zygote.stdin is not None and zygote.stdout is not None
        zygote.stdin.write(b"go\n")
        await zygote.stdin.drain()
        line = await asyncio.wait_for(zygote.stdout.readline(), 30)
        assert line.startswith(b"ready "), (line, (tmp_path / "crashbot.log").read_text())
        return int(line.split()[1])

    async def reaped(pid: int) -> None:
        assert zygote.stdout is not None
        line = await asyncio.wait_for(zygote.stdout.readline(), 30)
        assert line == f"exited {pid}\n".encode(), line

    expected: set[int] = set()
    originals: list[Story] = []
    began = time.monotonic()
    try:
        for run in range(KILLS):
            # The feeds gain items: a new story, sometimes an unrelated item or a wire copy.
            n = run + 1
            s = story(n, rng)
            originals.append(s)
            expected.add(n)
            feeds[run % FEEDS].insert(0, s)
            if run % 4 == 1:
                feeds[(run + 1) % FEEDS].insert(0, unrelated(n))
            if run % 5 == 2 and len(originals) > 2:
                feeds[(run + 2) % FEEDS].insert(0, syndicated(originals[-3], n))
            for i, route in enumerate(routes):
                route.body = rss(feeds[i][:40], title=f"Feed {i}")

            pid = await start()
            await asyncio.sleep(rng.uniform(0.0, 1.2))
            os.kill(pid, signal.SIGKILL)
            await reaped(pid)

        # The last run finishes: every story arrives in both channels.
        pid = await start()
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                got = {(m["channel"], m["title"]) for m in fake.messages}
                if all(
                    (c, originals[n - 1].title) in got or _copy_in(got, c, n)
                    for c in CHANNELS
                    for n in expected
                ):
                    await asyncio.sleep(1.5)  # anything more would be a duplicate: let it show
                    break
                await asyncio.sleep(0.2)
        finally:
            os.kill(pid, signal.SIGKILL)
            await reaped(pid)
    finally:
        zygote.stdin.close()
        await asyncio.wait_for(zygote.wait(), 10)
        await fake.close()
    elapsed = time.monotonic() - began

    per_story: Counter[tuple[str, int]] = Counter()
    for m in fake.messages:
        assert m["kind"] == "item" and m["title"].startswith("[S"), m  # nothing irrelevant
        n = int(m["title"][2:].split("]", 1)[0])
        per_story[(m["channel"], n)] += 1
    missing = [(c, n) for c in CHANNELS for n in expected if per_story[(c, n)] == 0]
    twice = {k: v for k, v in per_story.items() if v > 1}
    assert not missing, f"lost alerts: {missing}"
    assert not twice, f"posted twice: {twice}"
    assert len(fake.messages) == len(CHANNELS) * len(expected)
    assert len(fake.by_key) == len(fake.messages)  # no key accepted twice
    print(
        f"\n{KILLS} kills in {elapsed:.1f}s: {len(fake.messages)} messages, "
        f"{fake.resends} resends answered by key, {fake.failures} 503s"
    )


def _copy_in(got: set[tuple[str, str]], channel: str, n: int) -> bool:
    return any(c == channel and t.startswith(f"[S{n}]") for c, t in got)
