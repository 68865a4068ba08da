"""Reading the claim ledger: latest claims per (question, actor), lists and timelines.

`claim_heads` stays fast on millions of claims: one small index range per (question, actor)
pair of the story pack (ix_claims_pair), instead of a window over the whole table. Its statement
(a UNION ALL of ~100 branches) is built once per shape and reused with new parameters: building
it took most of `!status`'s time (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select, union_all

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


@lru_cache(maxsize=64)
def _heads_query(n_pairs: int, per_pair: int) -> Select[Any]:
    """The newest ``per_pair`` claims of ``n_pairs`` pairs, with bound parameters ``story``,
    ``q0``/``a0`` ... One index range per branch; items and sources joined once, outside."""
    story: BindParameter[str] = bindparam("story")
    branches = [
        select(claims)
        .where(
            claims.c.story == story,
            claims.c.question == bindparam(f"q{i}"),
            claims.c.actor == bindparam(f"a{i}"),
        )
        .order_by(claims.c.said_at.desc(), claims.c.id.desc())
        .limit(per_pair)
        .subquery()
        .select()
        for i in range(n_pairs)
    ]
    heads = union_all(*branches).subquery("heads")
    return (
        select(
            heads,
            items.c.url,
            items.c.title,
            func.coalesce(items.c.outlet, sources.c.name).label("source_name"),
        )
        .join(items, items.c.id == heads.c.item_id)
        .join(sources, sources.c.id == items.c.source_id)
    )


def to_claim_record(row: Any) -> ClaimRecord:
    # Attribute access on the Row: several times cheaper than ``row._mapping[...]``, and
    # !status reads ~600 rows per call.
    said_at = aware(row.said_at)
    assert said_at is not None
    return ClaimRecord(
        id=row.id,
        item_id=row.item_id,
        claim=Claim(
            question=row.question,
            actor=row.actor,
            stance=row.stance,
            value=row.value,
            value_high=row.value_high,
            qualifier=row.qualifier,
            speaker=row.speaker,
            quote=row.quote,
            confidence=row.confidence,
            said_at=said_at,
        ),
        said_at=said_at,
        url=row.url,
        title=row.title,
        source_name=row.source_name,
    )


class ClaimsMixin(LedgerBase):
    async def claim_heads(
        self, story: str, pairs: Iterable[tuple[str, str]], per_pair: int = 6
    ) -> list[ClaimRecord]:
        """The newest ``per_pair`` claims of each (question, actor) pair, newest first."""
        params: dict[str, str] = {"story": story}
        for i, (q, a) in enumerate(pairs):
            params[f"q{i}"], params[f"a{i}"] = q, a
        n_pairs = (len(params) - 1) // 2
        if not n_pairs:
            return []
        async with self.read() as conn:
            rows = (await conn.execute(_heads_query(n_pairs, per_pair), params)).all()
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
