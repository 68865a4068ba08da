"""Digests: one message per period per digest subscription, the period's new claims grouped by
question and its relevant items listed.

Formatting is pure; :func:`queue_digests` only reads the ledger and enqueues. Each digest is
sent once whatever the number of processes: its outbox idempotency key names (subscription,
period start), and the outbox keeps one row per key.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from bot.alerts import describe_value
from bot.claims.pack import StoryPack
from bot.ledger import Ledger
from bot.ledger.items import outbox_key
from bot.models import Alert, ClaimRecord, ItemRecord, utcnow

log = logging.getLogger(__name__)

#: A digest catches up on at most this much after downtime (older items were news then).
MAX_CATCH_UP = dt.timedelta(hours=24)
MAX_ITEMS = 15
MAX_PER_QUESTION = 6
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def period(now: dt.datetime, interval_min: int) -> tuple[dt.datetime, dt.datetime]:
    """The last completed period before ``now``: periods are aligned to the epoch (so every
    process computes the same ones)."""
    step = dt.timedelta(minutes=interval_min)
    end = _EPOCH + ((now - _EPOCH) // step) * step
    return end - step, end


def _claim_text(pack: StoryPack, r: ClaimRecord) -> str:
    value = describe_value(r.claim)
    return f"{pack.actor_name(r.claim.actor)} {r.claim.stance}" + (f" {value}" if value else "")


def format_digest(
    pack: StoryPack,
    found: Sequence[ItemRecord],
    claims: Sequence[ClaimRecord],
    start: dt.datetime,
    end: dt.datetime,
) -> Alert:
    """One digest message: a line per question (its claims, newest figures as given, with
    who reported them), then the items."""
    by_question: dict[str, list[ClaimRecord]] = {}
    for r in claims:
        by_question.setdefault(r.claim.question, []).append(r)
    order = [q.id for q in pack.questions]
    questions = sorted(by_question, key=lambda q: (order.index(q) if q in order else 99, q))
    lines: list[str] = []
    for q in questions:
        question = pack.question(q)
        label = question.label if question else q
        records = by_question[q]
        parts = [f"{_claim_text(pack, r)} ({r.source_name})" for r in records[:MAX_PER_QUESTION]]
        more = len(records) - MAX_PER_QUESTION
        lines.append(f"{label}: " + "; ".join(parts) + (f"; and {more} more" if more > 0 else ""))
    for item in found[:MAX_ITEMS]:
        lines.append(f"↗ {item.title} — {item.source_name}" + (f" {item.url}" if item.url else ""))
    if len(found) > MAX_ITEMS:
        lines.append(f"… and {len(found) - MAX_ITEMS} more items (!latest)")
    span = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC"
    n_claims = len(claims)
    return Alert(
        title=f"Digest {span}: {len(found)} new items, {n_claims} claims",
        url=None,
        source_name=f"{pack.title} digest",
        summary=(
            f"{len(by_question)} questions with new claims." if by_question else "No new claims."
        ),
        published=end.isoformat(),
        claims=tuple(lines),
        kind="digest",
    )


async def queue_digests(
    ledger: Ledger, pack: StoryPack, now: dt.datetime | None = None, *, interval_min: int = 60
) -> int:
    """Enqueue the digest of the last completed period for every digest subscription that
    has not had it; returns how many were queued. A period with nothing new sends nothing."""
    start, end = period(now or utcnow(), interval_min)
    queued = 0
    for sub in await ledger.digest_subscriptions(pack.id):
        since = max(sub["since"] or start, end - MAX_CATCH_UP)
        if since >= end:
            continue  # subscribed after this period: its first digest is the next one
        found, claims = await ledger.period_items(pack.id, since, end)
        if found:
            alert = format_digest(pack, found, claims, since, end)
            key = outbox_key("digest", sub["id"], start.isoformat())
            if await ledger.enqueue(pack.id, sub["platform"], sub["channel"], alert, key):
                queued += 1
        await ledger.digest_sent(sub["id"], end)
    if queued:
        log.info("queued %d digests for the period ending %s", queued, end.isoformat())
    return queued
