"""Plain, immutable records passed between layers.

Who makes each record and who reads it is said in its docstring. Only the standard library here:
no SDK, no SQL, no I/O. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Stance = Literal["asserts", "confirms", "denies", "doubts", "deflects"]
Published = dt.datetime | dt.date | None

#: Stances grouped by what they say about the claim (as the evaluation scores them).
POLARITY: dict[str, str] = {
    "asserts": "support",
    "confirms": "support",
    "denies": "deny",
    "doubts": "doubt",
    "deflects": "doubt",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Source:
    """A feed in the ledger. Made by the ledger; read by the pipeline and the handlers."""

    id: int
    story: str
    url: str
    name: str
    kind: str = "feed"
    perspective: str = ""
    tier: int = 2
    added_by: str = ""
    enabled: bool = True
    etag: str | None = None
    last_modified: str | None = None
    next_check_at: dt.datetime | None = None
    interval_s: int = 900
    consecutive_failures: int = 0
    last_error: str | None = None
    last_ok_at: dt.datetime | None = None
    last_attempt_at: dt.datetime | None = None
    baseline_done: bool = False
    items_count: int = 0


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP exchange. Made by sources.http; read by the pipeline."""

    url: str
    status: int
    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Entry:
    """One item as parsed from a feed. Made by sources.parse; read by the pipeline.

    ``key`` is stable across polls: the guid, else the canonical link, else a hash of title and
    date. ``published`` is a UTC datetime, or a date when the feed gave no time.
    """

    key: str
    title: str
    url: str | None = None
    canonical_url: str | None = None
    text: str = ""
    published: Published = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed body. Made by sources.parse."""

    title: str
    kind: str  # rss | rdf | atom | json
    entries: tuple[Entry, ...]
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """Who claimed what, extracted from one item. Made by claims.extract; stored by the ledger."""

    question: str
    actor: str
    stance: str
    value: float | None = None
    value_high: float | None = None
    qualifier: str | None = None
    speaker: str | None = None
    quote: str = ""
    confidence: float = 0.5
    said_at: Published = None


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A claim as the ledger returns it, with where it appeared. Read by claims.status."""

    id: int
    item_id: int
    claim: Claim
    said_at: dt.datetime
    url: str | None
    title: str
    source_name: str


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """A stored item. Made by the ledger; read by handlers (`!latest`, `!why`)."""

    id: int
    source_id: int
    source_name: str
    key: str
    title: str
    url: str | None
    summary: str
    published_at: dt.datetime | None
    fetched_at: dt.datetime
    relevant: bool
    cluster_id: int | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """What the outbox carries to a channel. Made by the pipeline; rendered by each platform.

    Every text field may come from a feed: platforms must escape it and allow no mentions.
    """

    title: str
    url: str | None
    source_name: str
    summary: str = ""
    published: str | None = None
    claims: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    also_reported_by: tuple[str, ...] = ()
    kind: str = "item"  # item | digest | health

    def to_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "url": self.url,
            "source_name": self.source_name,
            "summary": self.summary,
            "published": self.published,
            "claims": list(self.claims),
            "flags": list(self.flags),
            "also_reported_by": list(self.also_reported_by),
            "kind": self.kind,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Alert:
        def strs(name: str) -> tuple[str, ...]:
            value = data.get(name) or []
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        url = data.get("url")
        published = data.get("published")
        return cls(
            title=str(data.get("title", "")),
            url=str(url) if url else None,
            source_name=str(data.get("source_name", "")),
            summary=str(data.get("summary", "")),
            published=str(published) if published else None,
            claims=strs("claims"),
            flags=strs("flags"),
            also_reported_by=strs("also_reported_by"),
            kind=str(data.get("kind", "item")),
        )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One (alert, channel) to deliver. Made by the ledger; read by the delivery worker."""

    id: int
    platform: str
    channel: str
    alert: Alert
    idempotency_key: str
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Subscription:
    platform: str
    channel: str
    story: str
    mode: str = "instant"  # instant | digest


@dataclass(frozen=True, slots=True)
class PollReport:
    """The outcome of polling one source. Made by the pipeline; read by `!poll` and the CLI."""

    source_id: int
    source_name: str
    ok: bool
    not_modified: bool = False
    new_items: int = 0
    relevant_items: int = 0
    alerts: int = 0
    claims: int = 0
    baseline: bool = False
    error: str | None = None


# ---- chat ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A command as typed, made platform-neutral by an adapter. Read by handlers.dispatch.

    ``is_admin`` is decided by the adapter (a Discord permission, a Slack user list, the local
    user in the console); handlers only check it.
    """

    command: str
    args: str = ""
    platform: str = "console"
    channel: str = "local"
    user_id: str = "local"
    user_name: str = "local"
    is_admin: bool = False

    @property
    def who(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers. Adapters render it (embed, Block Kit, plain text).

    ``kind`` is "info", "usage" (bad arguments) or "error". ``lines`` are plain text lines;
    adapters escape them for their markup and cut them to the platform's limits.
    """

    title: str
    lines: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    links: tuple[Link, ...] = ()
    kind: str = "info"
    footer: str | None = None
    timestamp: dt.datetime | None = None
    colour: str | None = None  # a stance name, or None

    @property
    def text(self) -> str:
        """The reply as plain text: the fallback every platform can show."""
        parts = [self.title, *self.lines]
        for f in self.fields:
            parts.append(f"{f.name}: {f.value}")
        for link in self.links:
            parts.append(f"{link.label}: {link.url}")
        if self.footer:
            parts.append(self.footer)
        return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class PreparedItem:
    """A new entry with everything decided about it. Made by the pipeline (pure steps);
    written by the ledger in the source's transaction."""

    entry: Entry
    relevant: bool
    summary: str = ""
    claims: tuple[Claim, ...] = ()
    alert: Alert | None = None
    fingerprint: int | None = None
    #: Who published it, when that is not the source itself (archive items, syndicated wires).
    outlet: str | None = None
    #: MinHash values and LSH band keys (bot/dedupe.py), to find syndicated copies; relevant
    #: items only.
    minhash: bytes | None = None
    bands: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredPoll:
    """What one source's transaction wrote. Made by the ledger."""

    new_items: int
    relevant_items: int
    claims: int
    alerts: int
    #: New items found to be copies of an item another source brought first.
    copies: int = 0
