"""The ledger's tables (SQLAlchemy Core). One schema for SQLite and PostgreSQL.

Migrations in ``migrations/versions`` are generated from this metadata; change both together.
Lease columns (``lease_owner``, ``lease_expires_at``) let several workers share a PostgreSQL
ledger: a row is worked on by whoever holds an unexpired lease.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

# Stable constraint names, so migrations can refer to them on both engines.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = DateTime(timezone=True)
ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only

sources = Table(
    "sources",
    metadata,
    Column("id", ID, primary_key=True),
    Column("story", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False, server_default="feed"),
    Column("perspective", Text, nullable=False, server_default=""),
    Column("tier", Integer, nullable=False, server_default="2"),
    Column("added_by", Text, nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("removed_at", TS),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_check_at", TS),
    Column("interval_s", Integer, nullable=False, server_default="900"),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("last_ok_at", TS),
    Column("last_attempt_at", TS),
    Column("baseline_done", Boolean, nullable=False, server_default="0"),
    Column("health_warned", Boolean, nullable=False, server_default="0"),
    Column("created_at", TS, nullable=False),
    Column("lease_owner", Text),
    Column("lease_expires_at", TS),
    UniqueConstraint("story", "url", name="uq_sources_story_url"),
    Index("ix_sources_due", "story", "enabled", "next_check_at"),
)

items = Table(
    "items",
    metadata,
    Column("id", ID, primary_key=True),
    Column("source_id", ID, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("story", String(64), nullable=False),
    Column("key", Text, nullable=False),
    Column("url", Text),
    Column("canonical_url", Text),
    Column("title", Text, nullable=False, server_default=""),
    Column("outlet", Text),  # who published it, when not the source itself (archive, wires)
    Column("summary", Text, nullable=False, server_default=""),
    Column("published_at", TS),
    Column("date_only", Boolean, nullable=False, server_default="0"),
    Column("fetched_at", TS, nullable=False),
    Column("fingerprint", BigInteger),
    Column("cluster_id", ID),
    Column("relevant", Boolean, nullable=False),
    Column("baseline", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("source_id", "key", name="uq_items_source_key"),
    Index("ix_items_story_relevant", "story", "relevant", "fetched_at"),
    Index("ix_items_canonical_url", "canonical_url"),
    Index("ix_items_url", "url"),
    Index("ix_items_cluster_id", "cluster_id"),
)


def outlet_name() -> ColumnElement[str]:
    """Who published an item: its own outlet (archive, wire copy), else its source's name."""
    return func.coalesce(items.c.outlet, sources.c.name)


claims = Table(
    "claims",
    metadata,
    Column("id", ID, primary_key=True),
    Column("item_id", ID, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("story", String(64), nullable=False),
    Column("question", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("speaker", Text),
    Column("stance", String(16), nullable=False),
    Column("value", Float),
    Column("value_high", Float),
    Column("qualifier", String(32)),
    Column("quote", Text, nullable=False, server_default=""),
    Column("said_at", TS, nullable=False),
    Column("extractor", String(32), nullable=False, server_default="rules"),
    Column("confidence", Float, nullable=False, server_default="0.5"),
    # id last: "newest first" orders by (said_at, id), and PostgreSQL can then read the newest
    # rows of a pair straight off the index (SQLite appends the rowid to every index anyway).
    Index("ix_claims_pair", "story", "question", "actor", "said_at", "id"),
    Index("ix_claims_story_said", "story", "said_at", "id"),
    Index("ix_claims_item", "item_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", ID, primary_key=True),
    Column("story", String(64), nullable=False),
    Column("item_id", ID, ForeignKey("items.id", ondelete="SET NULL")),
    Column("platform", String(16), nullable=False),
    Column("channel", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("idempotency_key", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", TS, nullable=False),
    Column("delivered_at", TS),
    Column("message_id", Text),
    Column("last_error", Text),
    Column("dead", Boolean, nullable=False, server_default="0"),
    Column("lease_owner", Text),
    Column("lease_expires_at", TS),
    UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    Index("ix_outbox_pending", "delivered_at", "dead", "next_attempt_at"),
    Index("ix_outbox_item", "item_id"),
)

# Syndicated copies (bot/dedupe.py): each recent relevant item's MinHash values, and its LSH band
# keys indexed for the lookup. Rows older than a week are pruned: copies come within days.
item_signatures = Table(
    "item_signatures",
    metadata,
    Column("item_id", ID, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("minhash", LargeBinary, nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_item_signatures_created_at", "created_at"),
)

item_bands = Table(
    "item_bands",
    metadata,
    Column("band_hash", BigInteger, primary_key=True),
    Column("item_id", ID, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", TS, nullable=False),
    Index("ix_item_bands_created_at", "created_at"),
    Index("ix_item_bands_item_id", "item_id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("channel", Text, nullable=False),
    Column("story", String(64), nullable=False),
    Column("mode", String(16), nullable=False, server_default="instant"),
    Column("created_by", Text, nullable=False, server_default=""),
    Column("created_at", TS, nullable=False),
    Column("last_digest_at", TS),
    UniqueConstraint("platform", "channel", "story", name="uq_subscriptions_channel_story"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", ID, primary_key=True),
    Column("at", TS, nullable=False),
    Column("who", Text, nullable=False),
    Column("command", String(32), nullable=False),
    Column("args", Text, nullable=False, server_default=""),
    Column("result", Text, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("host", Text, nullable=False, server_default=""),
    Column("pid", Integer, nullable=False, server_default="0"),
    Column("started_at", TS, nullable=False),
    Column("heartbeat_at", TS, nullable=False),
    Column("rounds", Integer, nullable=False, server_default="0"),
)
