"""The outbox worker: lease pending alerts, publish them, mark them delivered or retry later.

One worker serves every platform through the Publisher protocol. Order is kept per channel
(a failure stops that channel's batch); retries back off exponentially with jitter, honour a
platform's Retry-After, and end as dead letters after a bounded number of attempts. The
delivered mark is written only once the platform has confirmed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Mapping
from typing import Protocol

from bot.errors import DeliveryError
from bot.ledger import Ledger
from bot.models import Alert, OutboxRow, utcnow
from bot.sources.backoff import backoff_delay

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """A platform that can post an alert to one of its channels."""

    platform: str

    async def publish(self, channel: str, alert: Alert, key: str) -> str | None:
        """Post once; return the platform's message id. ``key`` is the idempotency key: a
        publisher that can, uses it so that a retry after a crash does not post twice.
        Raise DeliveryError when the platform did not take it."""
        ...


class DeliveryWorker:
    def __init__(
        self,
        ledger: Ledger,
        publishers: Mapping[str, Publisher],
        owner: str,
        *,
        max_attempts: int = 8,
        lease_s: int = 120,
        batch: int = 50,
        base_s: float = 5.0,
        cap_s: float = 3600.0,
        rng: random.Random | None = None,
    ) -> None:
        self.ledger = ledger
        self.publishers = dict(publishers)
        self.owner = owner
        self.max_attempts = max_attempts
        self.lease_s = lease_s
        self.batch = batch
        self.base_s = base_s
        self.cap_s = cap_s
        self.rng = rng or random.Random()
        self._lock = asyncio.Lock()

    async def deliver_once(self) -> int:
        """One round over everything due; returns how many alerts were delivered."""
        if not self.publishers:
            return 0
        async with self._lock:  # one round at a time per process
            delivered = 0
            while True:
                rows = await self.ledger.lease_outbox(
                    self.owner, sorted(self.publishers), limit=self.batch, lease_s=self.lease_s
                )
                if not rows:
                    return delivered
                by_channel: dict[tuple[str, str], list[OutboxRow]] = {}
                for row in rows:
                    by_channel.setdefault((row.platform, row.channel), []).append(row)
                results = await asyncio.gather(
                    *(self._deliver_channel(group) for group in by_channel.values())
                )
                delivered += sum(results)
                # A channel's next row is leasable once the one before it is delivered (order
                # per channel): lease again while rows go out, not one row per channel a round.
                if len(rows) < self.batch and not sum(results):
                    return delivered

    async def _deliver_channel(self, rows: list[OutboxRow]) -> int:
        done = 0
        for i, row in enumerate(rows):
            if not await self._deliver(row):
                for later in rows[i + 1 :]:  # keep the channel's order: retry them after it
                    await self._release(later)
                break
            done += 1
        return done

    async def _deliver(self, row: OutboxRow) -> bool:
        publisher = self.publishers[row.platform]
        try:
            message_id = await publisher.publish(row.channel, row.alert, row.idempotency_key)
        except DeliveryError as exc:
            await self._retry_later(row, str(exc), exc.retry_after, exc.permanent)
            return False
        except Exception as exc:  # a publisher bug: keep the row, log, retry later
            log.exception("publishing outbox row %d to %s failed", row.id, row.platform)
            await self._retry_later(row, f"internal error: {type(exc).__name__}", None, False)
            return False
        await self.ledger.mark_delivered(row.id, self.owner, message_id)
        return True

    async def _retry_later(
        self, row: OutboxRow, error: str, retry_after: float | None, permanent: bool
    ) -> None:
        attempts = row.attempts + 1
        dead = permanent or attempts >= self.max_attempts
        delay = backoff_delay(attempts, self.base_s, self.cap_s, self.rng)
        if retry_after is not None:
            delay = max(delay, retry_after)
        when = utcnow() + dt.timedelta(seconds=delay)
        log.warning(
            "delivery to %s:%s failed (attempt %d%s): %s",
            row.platform,
            row.channel,
            attempts,
            ", giving up" if dead else "",
            error,
        )
        await self.ledger.mark_failed(row.id, self.owner, error, when, dead)

    async def _release(self, row: OutboxRow) -> None:
        await self.ledger.release_outbox(row.id, self.owner)
