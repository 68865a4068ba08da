"""Reading the claim ledger: latest claims per (question, actor), lists and timelines.

`claim_heads` stays fast on millions of claims: one small index range per (question, actor)
pair of the story pack (ix_claims_pair), instead of a window over the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select, union_all

from bot.ledger.base import LedgerBase, aware
from bot.ledger.schema import claims, items, sources
from bot.models import Claim, ClaimRecord


def _claims_query() -> Select[Any]:
    return (
        select(
            claims,
            items.c.url,
            items.c.title,
            func.coalesce(items.c.outlet, sources.c.name).label("source_name"),
        )
        .join(items, items.c.id == claims.c.item_id)
        .join(sources, sources.c.id == items.c.source_id)
    )


def to_claim_record(row: Any) -> ClaimRecord:
    m = row._mapping
    said_at = aware(m["said_at"])
    assert said_at is not None
    return ClaimRecord(
        id=m["id"],
        item_id=m["item_id"],
        claim=Claim(
            question=m["question"],
            actor=m["actor"],
            stance=m["stance"],
            value=m["value"],
            value_high=m["value_high"],
            qualifier=m["qualifier"],
            speaker=m["speaker"],
            quote=m["quote"],
            confidence=m["confidence"],
            said_at=said_at,
        ),
        said_at=said_at,
        url=m["url"],
        title=m["title"],
        source_name=m["source_name"],
    )


class ClaimsMixin(LedgerBase):
    async def claim_heads(
        self, story: str, pairs: Iterable[tuple[str, str]], per_pair: int = 6
    ) -> list[ClaimRecord]:
        """The newest ``per_pair`` claims of each (question, actor) pair, newest first."""
        parts = [
            _claims_query()
            .where(claims.c.story == story, claims.c.question == q, claims.c.actor == a)
            .order_by(claims.c.said_at.desc(), claims.c.id.desc())
            .limit(per_pair)
            .subquery()
            .select()
            for q, a in pairs
        ]
        if not parts:
            return []
        async with self.read() as conn:
            rows = (await conn.execute(union_all(*parts))).all()
        records = [to_claim_record(r) for r in rows]
        records.sort(key=lambda r: (r.said_at, r.id), reverse=True)
        return records

    async def list_claims(
        self, story: str, question: str | None = None, actor: str | None = None, limit: int = 15
    ) -> list[ClaimRecord]:
        """Claims newest first, optionally of one question and/or one actor."""
        query = _claims_query().where(claims.c.story == story)
        if question:
            query = query.where(claims.c.question == question)
        if actor:
            query = query.where(claims.c.actor == actor)
        query = query.order_by(claims.c.said_at.desc(), claims.c.id.desc()).limit(limit)
        async with self.read() as conn:
            return [to_claim_record(r) for r in (await conn.execute(query)).all()]

    async def timeline(
        self, story: str, question: str | None = None, limit: int = 80
    ) -> list[ClaimRecord]:
        """The newest ``limit`` claims, oldest first."""
        newest = await self.list_claims(story, question=question, limit=limit)
        return newest[::-1]

    async def claims_of_item(self, item_id: int) -> list[ClaimRecord]:
        query = _claims_query().where(claims.c.item_id == item_id).order_by(claims.c.id)
        async with self.read() as conn:
            return [to_claim_record(r) for r in (await conn.execute(query)).all()]
