"""First start: the story pack's curated sources and its archive of past items.

The archive goes through the same extraction as live items (Pipeline.prepare), so a fresh
offline install already knows the story. Both steps run once per ledger (a meta flag each).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
from pathlib import Path

from bot.models import Entry, utcnow
from bot.pipeline import Pipeline

log = logging.getLogger(__name__)


async def bootstrap(pipeline: Pipeline) -> None:
    """On first start: the pack's curated sources, and the archive of past items."""
    story = pipeline.pack.id
    if pipeline.settings.seed_sources and await pipeline.ledger.get_meta(f"seeded:{story}") is None:
        added = await pipeline.ledger.seed_sources(
            story, pipeline.pack.sources, pipeline.settings.poll_interval_s
        )
        await pipeline.ledger.set_meta(f"seeded:{story}", utcnow().isoformat())
        log.info("added %d curated sources from the story pack", added)
    if (
        pipeline.settings.load_archive
        and pipeline.pack.archive_path
        and await pipeline.ledger.get_meta(f"archive:{story}") is None
    ):
        n = await load_archive(pipeline, pipeline.pack.archive_path)
        await pipeline.ledger.set_meta(f"archive:{story}", utcnow().isoformat())
        log.info("loaded %d archive items into the ledger", n)


async def load_archive(pipeline: Pipeline, path: Path) -> int:
    """Store the archive's items through the same extraction as live items.

    Idempotent: items are unique per source and key, so a second run stores nothing."""
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    entries = [archive_entry(json.loads(line)) for line in text.splitlines() if line.strip()]
    source = await pipeline.ledger.archive_source(pipeline.pack.id, "story archive")
    prepared = []
    for e in entries:
        outlet = e.author or "archive"
        [item] = await pipeline.prepare([e], outlet, alerts=False, force_relevant=True)
        prepared.append(dataclasses.replace(item, outlet=outlet))
    stored = await pipeline.ledger.store_poll(
        source, pipeline.owner, None, prepared, baseline=True, next_check_at=utcnow()
    )
    return stored.new_items


def archive_entry(data: dict[str, object]) -> Entry:
    """An archive line (the `claimwatch extract` item format) as an Entry; the outlet that
    reported it is kept as the author."""
    published = str(data.get("published") or "")
    when = dt.datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None
    url = str(data.get("url") or "") or None
    return Entry(
        key=str(data["id"]),
        title=str(data.get("title", "")),
        url=url,
        canonical_url=url,
        text=str(data.get("text", "")),
        published=when,
        author=str(data.get("outlet") or "") or None,
    )
