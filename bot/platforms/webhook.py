"""Webhook: alerts POSTed as JSON to one URL (WEBHOOK_URL), for systems that are not a chat.

Outbound only (no commands). Each alert carries its idempotency key in the ``Idempotency-Key``
header and the body, so a receiver can drop the resend that follows a crash between its answer
and our delivered mark. 2xx is delivered; 429 and 5xx are retried later (Retry-After
honoured); any other status is permanent.
"""

from __future__ import annotations

import contextlib
import logging

import aiohttp

from bot.config import Settings
from bot.errors import ConfigError, DeliveryError
from bot.models import Alert

log = logging.getLogger(__name__)

PLATFORM = "webhook"
#: The one channel a webhook has; `claimwatch worker` and `run` subscribe it at start.
CHANNEL = "default"
TIMEOUT_S = 15.0


class WebhookPublisher:
    platform = PLATFORM

    def __init__(self, url: str, story: str, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url
        self.story = story
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def publish(self, channel: str, alert: Alert, key: str) -> str | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        body = {"story": self.story, "channel": channel, "key": key, "alert": alert.to_json()}
        try:
            async with self._session.post(
                self.url, json=body, headers={"Idempotency-Key": key}, allow_redirects=False
            ) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return key
                wait = _retry_after(resp.headers.get("Retry-After"))
                if resp.status == 429 or resp.status >= 500:
                    raise DeliveryError(f"webhook: HTTP {resp.status}", retry_after=wait)
                raise DeliveryError(f"webhook: HTTP {resp.status}", permanent=True)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from None

    async def close(self) -> None:
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session.close()
            self._session = None


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def publisher(settings: Settings) -> WebhookPublisher:
    """The publisher for WEBHOOK_URL (no connection is made until the first alert)."""
    if settings.webhook_url is None:
        raise ConfigError("WEBHOOK_URL is not set")
    return WebhookPublisher(settings.webhook_url.get_secret_value(), settings.story)
