"""poll_once: due sources -> fetch -> parse -> dedupe -> relevance -> claims -> one transaction.

Only sequences I/O around pure steps (parse, relevance, extraction, summary, alert). One failing
source never stops the others: its error is stored on it and it backs off.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import socket
from collections.abc import Callable, Iterable

from bot.alerts import build_alert, health_alert
from bot.claims.extract import Extractor
from bot.claims.pack import StoryPack
from bot.config import Settings
from bot.dedupe import Signature, signature
from bot.errors import LedgerError, SourceError
from bot.ledger import Ledger
from bot.ledger.items import RECENT, outbox_key
from bot.models import (
    Alert,
    Claim,
    ClaimRecord,
    Entry,
    FetchResult,
    ParsedFeed,
    PollReport,
    PreparedItem,
    Source,
    utcnow,
)
from bot.sources.backoff import backoff_delay
from bot.sources.http import Fetcher
from bot.sources.parse import parse_feed
from bot.summarize import summarize

log = logging.getLogger(__name__)

Progress = Callable[[PollReport], object]

#: The ledger warns admins after this many failures in a row (ledger.record_failure).
WARN_AFTER = 3
#: Old LSH bands are pruned once every this many poll rounds.
PRUNE_EVERY = 500


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        pack: StoryPack,
        ledger: Ledger,
        fetcher: Fetcher,
        extractor: Extractor,
        owner: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.pack = pack
        self.ledger = ledger
        self.fetcher = fetcher
        self.extractor = extractor
        self.owner = owner or default_owner()
        self.rng = rng or random.Random()
        self.rounds = 0
        #: The newest claim of each (question, actor) pair (None: it has none), for the alert
        #: flags: read once per lease batch instead of the whole pack's pairs once per source.
        #: A store of this process that wrote claims drops their pairs, so they are read
        #: again; claims other processes store show from the next batch on (before this
        #: cache, from the next source). None outside poll_once.
        self._heads: dict[tuple[str, str], ClaimRecord | None] | None = None
        self._claims_stored = 0  # stores of this process that wrote claims (see _claim_heads)
        #: Sources of the lease batch that answered 304, recorded together at its end
        #: (Ledger.record_unchanged): (id, when, next check). None outside poll_once.
        self._unchanged: list[tuple[int, dt.datetime, dt.datetime]] | None = None
        #: Turns at the CPU-heavy part of prepare() during poll_once (see there).
        self._cpu: asyncio.Semaphore | None = None

    # ---- polling -----------------------------------------------------------------------

    async def poll_once(
        self, *, force: bool = False, fresh_s: float = 0, progress: Progress | None = None
    ) -> list[PollReport]:
        """Poll every due source, in leased batches.

        ``force`` polls every enabled source, due or not, except those attempted since this
        call began or in the ``fresh_s`` seconds before: so several forced polls started
        together (``claimwatch poll --all`` in three shells) fetch each source once in all."""
        cutoff = utcnow() - dt.timedelta(seconds=fresh_s) if force else None
        concurrency = self.settings.poll_concurrency
        reports: list[PollReport] = []
        polled: set[int] = set()
        sem = asyncio.Semaphore(concurrency)
        self._cpu = asyncio.Semaphore(1)

        async def one(source: Source) -> PollReport:
            async with sem:
                report = await self.poll_source(source)
            if progress:
                progress(report)
            return report

        while True:
            batch = await self.ledger.lease_due_sources(
                self.pack.id,
                self.owner,
                limit=concurrency * 4,
                lease_s=self.settings.lease_s,
                attempted_before=cutoff,
            )
            again = [s for s in batch if s.id in polled]
            for s in again:  # came due again within this round (fast backoff): next round
                await self.ledger.release_source(s.id, self.owner)
            batch = [s for s in batch if s.id not in polled]
            if not batch:
                break
            polled.update(s.id for s in batch)
            self._heads, self._unchanged = {}, []

            try:
                reports.extend(await asyncio.gather(*(one(s) for s in batch)))
            finally:
                unchanged, self._heads, self._unchanged = self._unchanged, None, None
                await self._record_unchanged(unchanged or [])
            if again:
                break
        self._cpu = None
        self.rounds += 1
        if self.rounds % PRUNE_EVERY == 1:
            await self.ledger.prune_signatures(utcnow() - RECENT)
        return reports

    async def poll_source(self, source: Source) -> PollReport:
        """Fetch, parse and store one leased source. Never raises for the source's faults."""
        try:
            fetched = await self.fetcher.fetch(source.url, source.etag, source.last_modified)
            feed = (
                None
                if fetched.not_modified
                else parse_feed(fetched.body or b"", fetched.url, fetched.content_type)
            )
            return await self.store_fetched(source, fetched, feed)
        except SourceError as exc:
            return await self._failed(source, str(exc))
        except LedgerError:
            log.exception("ledger error while storing %s; its lease will expire", source.url)
            return PollReport(source.id, source.name, ok=False, error="ledger error")
        except Exception as exc:  # a bug of ours must not stop the other sources
            log.exception("unexpected error polling %s", source.url)
            return await self._failed(source, f"internal error: {type(exc).__name__}")

    async def _record_unchanged(self, polled: list[tuple[int, dt.datetime, dt.datetime]]) -> None:
        try:
            await self.ledger.record_unchanged(self.owner, polled)
        except LedgerError:
            # Nothing is lost: the leases expire and those sources are polled again.
            log.exception("ledger error while recording %d unchanged sources", len(polled))

    async def _failed(self, source: Source, error: str) -> PollReport:
        failures = source.consecutive_failures + 1
        delay = max(
            self.settings.backoff_base_s / 2,
            backoff_delay(
                failures, self.settings.backoff_base_s, self.settings.backoff_max_s, self.rng
            ),
        )
        _, warn = await self.ledger.record_failure(
            source.id, self.owner, error, utcnow() + dt.timedelta(seconds=delay)
        )
        log.info("source %s failed (%d in a row): %s", source.name, failures, error)
        admin = self._admin_channel()
        if warn and admin is not None:
            alert = health_alert(source, failing=True, error=error, failures=failures)
            # One warning per failure streak: a streak is named by the last success before it.
            key = outbox_key("health", source.id, "down", source.last_ok_at)
            await self.ledger.enqueue(self.pack.id, *admin, alert, key)
        return PollReport(source.id, source.name, ok=False, error=error)

    def _admin_channel(self) -> tuple[str, str] | None:
        if not self.settings.admin_channel:
            return None
        platform, _, channel = self.settings.admin_channel.partition(":")
        return platform, channel

    def _next_check(self, source: Source) -> dt.datetime:
        jitter = self.rng.uniform(-0.1, 0.1) * source.interval_s  # spread polls of many feeds
        return utcnow() + dt.timedelta(seconds=source.interval_s + jitter)

    async def store_fetched(
        self, source: Source, fetched: FetchResult, feed: ParsedFeed | None
    ) -> PollReport:
        baseline = not source.baseline_done
        admin = self._admin_channel()
        if (
            fetched.not_modified
            and self._unchanged is not None
            and not baseline
            and (admin is None or source.consecutive_failures < WARN_AFTER)
        ):
            # Nothing new and no recovery notice to queue: recorded with the batch's other
            # 304s in one UPDATE (poll_once) instead of a transaction of its own.
            self._unchanged.append((source.id, utcnow(), self._next_check(source)))
            return PollReport(source.id, source.name, ok=True, not_modified=True)
        entries = _unique(feed.entries) if feed else []
        known = await self.ledger.known_keys(source.id, [e.key for e in entries])
        fresh = [e for e in entries if e.key not in known]
        prepared = await self.prepare(fresh, source.name, alerts=not baseline)
        recovery = None
        if admin is not None and source.consecutive_failures >= WARN_AFTER:
            recovery = (*admin, health_alert(source, failing=False))
        stored = await self.ledger.store_poll(
            source,
            self.owner,
            fetched,
            prepared,
            baseline=baseline,
            next_check_at=self._next_check(source),
            recovery=recovery,
        )
        if stored.claims:
            self._claims_stored += 1
            if self._heads is not None:
                for p in prepared:
                    for c in p.claims:
                        self._heads.pop((c.question, c.actor), None)
        return PollReport(
            source.id,
            source.name,
            ok=True,
            not_modified=fetched.not_modified,
            new_items=stored.new_items,
            relevant_items=stored.relevant_items,
            alerts=stored.alerts,
            claims=stored.claims,
            baseline=baseline,
        )

    async def prepare(
        self,
        entries: Iterable[Entry],
        source_name: str,
        *,
        alerts: bool,
        force_relevant: bool = False,
    ) -> list[PreparedItem]:
        """The pure steps for each new entry; reads the latest claims once for the alerts.

        Only relevant items get a summary (nothing shows another's) and a signature.

        In a poll round the CPU-heavy part takes turns (one source at a time) and yields to
        the event loop after each relevant item: every statement of a ledger transaction
        needs the loop for a moment, and with 32 sources' extraction queued before it, each
        waited for all of them (the main thread then sat idle waiting on the ledger for 40%
        of a pass, bench/NOTES.md)."""
        staged: list[tuple[Entry, bool, tuple[Claim, ...], str, Signature | None]] = []
        async with self._cpu or contextlib.nullcontext():
            for e in entries:
                relevant = force_relevant or self.pack.is_relevant(e.title, e.text)
                if not relevant:
                    staged.append((e, False, (), "", None))
                    continue
                claims = tuple(self.extractor.extract(e.title, e.text, e.published, source_name))
                summary = summarize(e.title, e.text, claims)
                staged.append((e, True, claims, summary, signature(e.title, e.text)))
                await asyncio.sleep(0)
        earlier: list[ClaimRecord] = []
        questions = {c.question for _, rel, cs, _, _ in staged if rel and alerts for c in cs}
        if questions:
            pairs = [(q, a.id) for q in sorted(questions) for a in self.pack.actors]
            earlier = await self._claim_heads(pairs)
        out = []
        for e, relevant, claims, summary, sig in staged:
            alert: Alert | None = None
            if relevant and alerts:
                alert = build_alert(self.pack, e, source_name, summary, claims, earlier)
            out.append(
                PreparedItem(
                    entry=e,
                    relevant=relevant,
                    summary=summary,
                    claims=claims,
                    alert=alert,
                    fingerprint=sig.fingerprint if sig else None,
                    minhash=sig.values if sig else None,
                    bands=sig.bands if sig else (),
                )
            )
        return out

    async def _claim_heads(self, pairs: list[tuple[str, str]]) -> list[ClaimRecord]:
        """The newest claim of each pair, newest first (Ledger.claim_heads with per_pair=1),
        from the batch's cache when there is one."""
        cache = self._heads
        if cache is None:
            return await self.ledger.claim_heads(self.pack.id, pairs, per_pair=1)
        missing = [p for p in pairs if p not in cache]
        fresh: dict[tuple[str, str], ClaimRecord | None] = {}
        if missing:
            stores = self._claims_stored
            # Padded to a power of two (repeating the last pair): each count of pairs is a
            # statement of its own to compile and keep (Ledger.claim_heads), so a few sizes.
            padded = missing + missing[-1:] * (
                (1 << (len(missing) - 1).bit_length()) - len(missing)
            )
            found = await self.ledger.claim_heads(self.pack.id, padded, per_pair=1)
            fresh = dict.fromkeys(missing)
            for record in found:
                fresh[(record.claim.question, record.claim.actor)] = record
            # A claim this process stored while the read ran may be missing from it: then
            # use the read this once, and cache it not.
            if stores == self._claims_stored:
                cache.update(fresh)
        records = [r for p in pairs if (r := fresh.get(p) or cache.get(p))]
        records.sort(key=lambda r: (r.said_at, r.id), reverse=True)
        return records


def _unique(entries: Iterable[Entry]) -> list[Entry]:
    seen: set[str] = set()
    out = []
    for e in entries:
        if e.key not in seen:
            seen.add(e.key)
            out.append(e)
    return out
