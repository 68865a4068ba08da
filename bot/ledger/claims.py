"""Reading the claim ledger: latest claims per (question, actor), lists and timelines.

`claim_heads` stays fast on millions of claims: one small index range per (question, actor)
pair of the story pack (ix_claims_pair), instead of a window over the whole table. Its statement
(a UNION ALL of ~100 branches) is built once per shape and reused with new parameters: building
it took most of `!status`'s time (bench/README.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, Text, bindparam, func, select, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY

from bot.ledger.base import LedgerBase
from bot.ledger.schema import claims, items, outlet_name, sources
from bot.models import Claim, ClaimRecord


def _with_item(rows: Any) -> Select[Any]:
    """Claim rows with where they appeared: the item's link and title, and its outlet."""
    return (
        select(rows, items.c.url, items.c.title, outlet_name().label("source_name"))
        .join(items, items.c.id == rows.c.item_id)
        .join(sources, sources.c.id == items.c.source_id)
    )


def _claims_query() -> Select[Any]:
    return _with_item(claims)


def _newest(question: Any, actor: Any, per_pair: int) -> Select[Any]:
    """The newest ``per_pair`` claims of one pair of the story bound as ``story``: one range of
    the index on (story, question, actor, said_at, id)."""
    return (
        select(claims)
        .where(
            claims.c.story == bindparam("story"),
            claims.c.question == question,
            claims.c.actor == actor,
        )
        .order_by(claims.c.said_at.desc(), claims.c.id.desc())
        .limit(per_pair)
    )


@lru_cache(maxsize=64)
def _heads_query(n_pairs: int, per_pair: int) -> Select[Any]:
    """The newest ``per_pair`` claims of ``n_pairs`` pairs, with bound parameters ``story``,
    ``q0``/``a0`` ... One index range per branch; items and sources joined once, outside."""
    branches = [
        _newest(bindparam(f"q{i}"), bindparam(f"a{i}"), per_pair).subquery().select()
        for i in range(n_pairs)
    ]
    return _with_item(union_all(*branches).subquery("heads"))


@lru_cache(maxsize=8)
def _heads_lateral(per_pair: int) -> Select[Any]:
    """PostgreSQL: what `_heads_query` reads, for any number of pairs in one statement. The
    pairs come as two arrays (``questions``, ``actors``) and a LATERAL subquery reads each pair's
    index range. Once the table has statistics, planning a UNION of a hundred branches costs
    ~50 ms a call, five times its execution; this statement is planned once."""
    pairs = (
        func.unnest(
            bindparam("questions", type_=ARRAY(Text)), bindparam("actors", type_=ARRAY(Text))
        )
        .table_valued("question", "actor")
        .render_derived(name="pairs")
    )
    head = _newest(pairs.c.question, pairs.c.actor, per_pair).lateral("head")
    return _with_item(select(head).select_from(pairs).join(head, true()).subquery("heads"))


def to_claim_record(row: Any) -> ClaimRecord:
    [record] = claim_records([row], row._fields)
    return record


#: The columns a ClaimRecord is made of, in the order claim_records reads them.
_RECORD_FIELDS = (
    "id",
    "item_id",
    "question",
    "actor",
    "stance",
    "value",
    "value_high",
    "qualifier",
    "speaker",
    "quote",
    "confidence",
    "said_at",
    "url",
    "title",
    "source_name",
)


def claim_records(rows: Iterable[Any], keys: Sequence[str]) -> list[ClaimRecord]:
    """Rows of ``_claims_query`` or ``_heads_query`` (columns named ``keys``) as records.

    The rows are read by position, through one itemgetter: attribute access on a Row costs
    ~1 µs a column, and !status reads ~600 rows of 15 columns (bench/NOTES.md)."""
    where = {k: i for i, k in enumerate(keys)}
    pick = itemgetter(*(where[f] for f in _RECORD_FIELDS))
    utc = dt.UTC
    out = []
    for row in rows:
        (
            id_,
            item_id,
            question,
            actor,
            stance,
            value,
            value_high,
            qualifier,
            speaker,
            quote,
            confidence,
            said_at,
            url,
            title,
            source_name,
        ) = pick(row)
        if said_at.tzinfo is None:  # SQLite hands back naive datetimes; all are UTC
            said_at = said_at.replace(tzinfo=utc)
        claim = Claim(
            question=question,
            actor=actor,
            stance=stance,
            value=value,
            value_high=value_high,
            qualifier=qualifier,
            speaker=speaker,
            quote=quote,
            confidence=confidence,
            said_at=said_at,
        )
        out.append(
            ClaimRecord(
                id=id_,
                item_id=item_id,
                claim=claim,
                said_at=said_at,
                url=url,
                title=title,
                source_name=source_name,
            )
        )
    return out


class ClaimsMixin(LedgerBase):
    async def claim_heads(
        self,
        story: str,
        pairs: Iterable[tuple[str, str]],
        per_pair: int = 6,
        *,
        cached: bool = False,
    ) -> list[ClaimRecord]:
        """The newest ``per_pair`` claims of each (question, actor) pair, newest first.

        ``cached`` (SQLite only; `!status`): reuse the last answer for the same arguments while
        the ledger's newest claim id is unchanged: claims are only ever inserted, and on
        SQLite one writer at a time gives ids in commit order, so an unchanged newest id means
        no claim came since. (On PostgreSQL concurrent transactions may commit a lower id after
        a higher one, so it always reads.) A source renamed by add_source empties the cache."""
        pairs = list(pairs)
        n_pairs = len(pairs)
        if not n_pairs:
            return []
        params: dict[str, Any] = {"story": story}
        if self.is_postgres:
            query = _heads_lateral(per_pair)
            params["questions"], params["actors"] = [q for q, _ in pairs], [a for _, a in pairs]
        else:
            query = _heads_query(n_pairs, per_pair)
            for i, (q, a) in enumerate(pairs):
                params[f"q{i}"], params[f"a{i}"] = q, a
        use_cache = cached and self.dialect == "sqlite"
        key = (story, tuple(pairs), per_pair)
        async with self.read() as conn:
            if use_cache:
                newest = await conn.scalar(select(func.max(claims.c.id))) or 0
                hit = self._heads_cache.get(key)
                if hit is not None and hit[0] == newest:
                    return list(hit[1])
            result = await conn.execute(query, params)
            records = claim_records(result.all(), list(result.keys()))
        records.sort(key=lambda r: (r.said_at, r.id), reverse=True)
        if use_cache:
            if len(self._heads_cache) >= 32:
                self._heads_cache.clear()
            self._heads_cache[key] = (newest, records)
            return list(records)
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
            result = await conn.execute(query)
            return claim_records(result.all(), list(result.keys()))

    async def timeline(
        self, story: str, question: str | None = None, limit: int = 80
    ) -> list[ClaimRecord]:
        """The newest ``limit`` claims, oldest first."""
        newest = await self.list_claims(story, question=question, limit=limit)
        return newest[::-1]

    async def claims_of_item(self, item_id: int) -> list[ClaimRecord]:
        query = _claims_query().where(claims.c.item_id == item_id).order_by(claims.c.id)
        async with self.read() as conn:
            result = await conn.execute(query)
            return claim_records(result.all(), list(result.keys()))
