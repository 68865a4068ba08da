"""claimwatch processes for tests/test_crash.py: the real App (polling, delivery, scheduler)
with a publisher that posts to the test's fake platform over HTTP. Settings come from the
environment; FAKE_PLATFORM_URL names the fake.

Run as ``python tests/crashbot.py``: it imports and warms everything once, then forks one bot
process per line read from stdin (a fork starts in milliseconds, a fresh interpreter in about
two seconds; 50 restarts must fit the test's budget). Each bot prints "ready <pid>" once its
App is open; the test kills it with SIGKILL at a random moment and asks for the next one.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bot.app import App
from bot.claims.extract import Extractor
from bot.claims.pack import load_pack
from bot.config import load_settings
from bot.dedupe import signature
from bot.errors import DeliveryError
from bot.models import Alert

PLATFORM = "fake"


class FakePublisher:
    """Posts with the idempotency key in a header, as Discord's nonce (enforce_nonce) does:
    the fake answers a repeated key with its first message instead of posting again."""

    platform = PLATFORM

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = url

    async def publish(self, channel: str, alert: Alert, key: str) -> str | None:
        body = {"channel": channel, "title": alert.title, "url": alert.url, "kind": alert.kind}
        try:
            async with self.http.post(
                self.url, json=body, headers={"Idempotency-Key": key}
            ) as response:
                if response.status >= 300:
                    raise DeliveryError(f"fake platform answered {response.status}")
                data = await response.json()
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"fake platform unreachable: {exc}") from exc
        return str(data["id"])


async def bot() -> None:
    settings = load_settings()
    async with App(settings, role="run") as app, aiohttp.ClientSession() as http:
        app.add_publisher(FakePublisher(http, os.environ["FAKE_PLATFORM_URL"]))
        app.start_scheduler()
        print(f"ready {os.getpid()}", flush=True)
        await asyncio.Event().wait()


def warm() -> None:
    """Everything a bot compiles on start, once, before forking (regexes, MinHash tables)."""
    settings = load_settings()
    Extractor(load_pack(settings.story))
    signature("warm up", "the minhash permutations " * 5)


def main() -> None:
    warm()
    print("warm", flush=True)
    for _line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                asyncio.run(bot())
            finally:
                os._exit(0)
        os.waitpid(pid, 0)  # the test kills it (or stops it) before asking for the next
        print(f"exited {pid}", flush=True)


if __name__ == "__main__":
    main()
