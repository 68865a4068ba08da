"""The running application: builds the object graph once and owns its lifecycle.

``async with App(settings) as app`` opens the ledger (migrating it), the fetcher, the pipeline
and the delivery worker, and adds the story pack's sources and archive on first start.
Platforms and the scheduler are attached by the CLI, which decides what runs.
"""

from __future__ import annotations

import logging
import os
import socket
from functools import partial
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.claims.extract import Extractor
from bot.claims.pack import StoryPack, load_pack
from bot.config import Settings
from bot.delivery import DeliveryWorker, Publisher
from bot.digest import queue_digests
from bot.ledger import Ledger
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
        await self._pipeline.bootstrap()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
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
        """Run the delivery job now rather than at its next interval."""
        if self.scheduler is not None and self.scheduler.running:
            job = self.scheduler.get_job("delivery")
            if job is not None:
                job.modify(next_run_time=utcnow())

    # ---- scheduled jobs ----------------------------------------------------------------

    def start_scheduler(self, *, poll: bool = True, deliver: bool = True) -> AsyncIOScheduler:
        """APScheduler jobs: poll tick, delivery, heartbeat. Call inside the running loop."""
        s = self.settings
        sched = AsyncIOScheduler(timezone="UTC")
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        if poll:
            sched.add_job(
                self.pipeline.poll_once,
                "interval",
                seconds=s.poll_tick_s,
                id="poll",
                next_run_time=utcnow(),
                **common,
            )
        if deliver:
            sched.add_job(
                self.delivery.deliver_once,
                "interval",
                seconds=s.delivery_interval_s,
                id="delivery",
                next_run_time=utcnow(),
                **common,
            )
        sched.add_job(
            self.heartbeat, "interval", seconds=30, id="heartbeat", next_run_time=utcnow(), **common
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
        await self.ledger.heartbeat(
            self.owner, self.role, socket.gethostname(), os.getpid(), self.pipeline.rounds
        )
