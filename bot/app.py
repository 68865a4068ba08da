"""The running application: builds the object graph once and owns its lifecycle.

``async with App(settings) as app`` opens the ledger (migrating it), the fetcher, the pipeline
and the delivery worker, and adds the story pack's sources and archive on first start.
Platforms and the scheduler are attached by the CLI, which decides what runs (the roles:
``run`` chat + polling + delivery, ``worker`` polling + delivery, ``chat`` commands only).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
from functools import partial
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.bootstrap import bootstrap
from bot.claims.extract import Extractor
from bot.claims.pack import StoryPack, load_pack
from bot.config import Settings
from bot.delivery import DeliveryWorker, Publisher
from bot.digest import queue_digests
from bot.errors import LedgerError
from bot.ledger import Ledger
from bot.ledger.notify import OutboxListener
from bot.ledger.store import HEARTBEAT_S
from bot.models import PollReport, Source, utcnow
from bot.pipeline import Pipeline
from bot.services import Services
from bot.sources.guard import UrlGuard
from bot.sources.http import Fetcher
from bot.sources.parse import parse_feed

log = logging.getLogger(__name__)


class App:
    def __init__(
        self, settings: Settings, *, role: str = "run", pack: StoryPack | None = None
    ) -> None:
        self.settings = settings
        self.role = role
        self.pack = pack or load_pack(settings.story)
        self.owner = settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.publishers: dict[str, Publisher] = {}
        self.scheduler: AsyncIOScheduler | None = None
        self._ledger: Ledger | None = None
        self._fetcher: Fetcher | None = None
        self._pipeline: Pipeline | None = None
        self._delivery: DeliveryWorker | None = None
        self._listener: OutboxListener | None = None
        self._kicked = False
        self._delivering = False

    # ---- lifecycle ---------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        s = self.settings
        self._ledger = await Ledger.open(s.ledger_url)
        guard = UrlGuard(s.allow_private_sources)
        self._fetcher = Fetcher(
            guard,
            user_agent=s.user_agent,
            timeout_s=s.fetch_timeout_s,
            max_bytes=s.fetch_max_bytes,
            max_redirects=s.fetch_max_redirects,
            limit_per_host=s.fetch_per_host,
        )
        await self._fetcher.start()
        self._pipeline = Pipeline(
            s, self.pack, self._ledger, self._fetcher, Extractor(self.pack), owner=self.owner
        )
        self._delivery = DeliveryWorker(
            self._ledger,
            self.publishers,
            self.owner,
            max_attempts=s.delivery_max_attempts,
            lease_s=s.lease_s,
        )
        await bootstrap(self._pipeline)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            if self._ledger is not None:  # a clean stop: leave !workers at once
                with contextlib.suppress(LedgerError):
                    await self._ledger.forget_worker(self.owner)
        if self._listener is not None:
            await self._listener.close()
        if self._fetcher is not None:
            await self._fetcher.close()
        if self._ledger is not None:
            await self._ledger.close()

    @property
    def ledger(self) -> Ledger:
        assert self._ledger is not None, "App is not open"
        return self._ledger

    @property
    def pipeline(self) -> Pipeline:
        assert self._pipeline is not None, "App is not open"
        return self._pipeline

    @property
    def delivery(self) -> DeliveryWorker:
        assert self._delivery is not None, "App is not open"
        return self._delivery

    def add_publisher(self, publisher: Publisher) -> None:
        self.publishers[publisher.platform] = publisher
        self.delivery.publishers[publisher.platform] = publisher

    # ---- what handlers call ------------------------------------------------------------

    @property
    def services(self) -> Services:
        return Services(
            settings=self.settings,
            pack=self.pack,
            ledger=self.ledger,
            poll=self.poll,
            add_source=self.add_source,
            kick_delivery=self.kick_delivery,
        )

    async def poll(self, force: bool = False) -> list[PollReport]:
        return await self.pipeline.poll_once(force=force)

    async def add_source(self, url: str, name: str | None, added_by: str) -> tuple[Source, int]:
        """Fetch and parse once (a page that is not a feed fails here, before anything is
        stored), add the source, and record its current items as the baseline."""
        assert self._fetcher is not None
        url = self._fetcher.guard.check_url(url)
        fetched = await self._fetcher.fetch(url)
        feed = parse_feed(fetched.body or b"", fetched.url, fetched.content_type)
        name = name or feed.title.strip()[:120] or urlsplit(url).hostname or url
        source = await self.ledger.add_source(
            self.pack.id, url, name, added_by, self.settings.poll_interval_s
        )
        report = await self.pipeline.store_fetched(source, fetched, feed)
        return source, report.new_items

    def kick_delivery(self) -> None:
        """Run the delivery job now rather than at its next interval (after a poll, or on a
        PostgreSQL notification of new outbox rows). A kick during a round runs one more."""
        self._kicked = True
        if self._delivering:
            return  # the running round goes once more
        if self.scheduler is not None and self.scheduler.running:
            job = self.scheduler.get_job("delivery")
            if job is not None:
                job.modify(next_run_time=utcnow())

    # ---- scheduled jobs ----------------------------------------------------------------

    async def start_jobs(self, *, poll: bool = True, deliver: bool = True) -> None:
        """The scheduler, and on PostgreSQL a LISTEN for new outbox rows when delivering, so
        a worker wakes at once instead of at its next delivery interval."""
        self.start_scheduler(poll=poll, deliver=deliver)
        if deliver and self.ledger.is_postgres:
            self._listener = OutboxListener(self.settings.ledger_url, self.kick_delivery)
            await self._listener.start()

    async def _poll_round(self) -> None:
        reports = await self.pipeline.poll_once()
        if any(r.alerts for r in reports):
            self.kick_delivery()

    async def _delivery_round(self) -> None:
        self._delivering = True
        try:
            while True:
                self._kicked = False
                await self.delivery.deliver_once()
                if not self._kicked:  # nothing new was announced during the round
                    break
        finally:
            self._delivering = False
        await self._wake_for_outbox()

    async def _wake_for_outbox(self) -> None:
        """Bring the next delivery round forward to when a pending alert becomes takeable
        (another worker's lease expires, a retry comes due): nothing notifies about those, and
        the interval is only the slow fallback."""
        job = self.scheduler.get_job("delivery") if self.scheduler is not None else None
        if job is None:
            return
        try:
            when = await self.ledger.next_outbox_change(sorted(self.publishers))
        except LedgerError as exc:
            log.warning("could not read the outbox: %s", exc)
            return
        if when is not None and (job.next_run_time is None or when < job.next_run_time):
            job.modify(next_run_time=when + dt.timedelta(seconds=0.1))

    def start_scheduler(self, *, poll: bool = True, deliver: bool = True) -> AsyncIOScheduler:
        """APScheduler jobs: poll tick, delivery, heartbeat. Call inside the running loop."""
        s = self.settings
        sched = AsyncIOScheduler(timezone="UTC")
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        if poll:
            sched.add_job(
                self._poll_round,
                "interval",
                seconds=s.poll_tick_s,
                id="poll",
                next_run_time=utcnow(),
                **common,
            )
        if deliver:
            sched.add_job(
                self._delivery_round,
                "interval",
                seconds=s.delivery_interval_s,
                id="delivery",
                next_run_time=utcnow(),
                **common,
            )
        sched.add_job(
            self.heartbeat,
            "interval",
            seconds=HEARTBEAT_S,
            id="heartbeat",
            next_run_time=utcnow(),
            **common,
        )
        if poll:  # each digest is queued once per period (its outbox key), by any poller
            digests = partial(queue_digests, self.ledger, self.pack, None)
            sched.add_job(
                digests,
                "interval",
                seconds=60,
                id="digests",
                kwargs=dict(interval_min=s.digest_interval_min),
                **common,
            )
        sched.start()
        self.scheduler = sched
        return sched

    async def heartbeat(self) -> None:
        try:
            await self.ledger.heartbeat(
                self.owner, self.role, socket.gethostname(), os.getpid(), self.pipeline.rounds
            )
        except LedgerError as exc:  # the database is away: polling will say so too
            log.warning("heartbeat not recorded: %s", exc)
