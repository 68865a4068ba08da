"""Status aggregation: the state of a story computed from ledger claim records.

Pure functions over ``list[ClaimRecord]``: no I/O, no SQL, no clock (``now`` is passed in).
The handlers fetch records from the ledger and hand them here; ``status_format`` renders results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.claims.pack import StoryPack
from bot.models import POLARITY, ClaimRecord

#: Latest values further apart than this (high > low * (1 + x)) make a numeric question contested.
CONTESTED_SPREAD = 0.25
#: Values closer than this (relative) are the same figure: "about 11,000" vs "11,000".
SAME_VALUE = 0.005
POLARITIES = ("support", "deny", "doubt")

ChangeKind = Literal["stance", "value"]
Contest = Literal["polarity", "value"]


@dataclass(frozen=True, slots=True)
class Position:
    """One actor's claim on one question, taken from one ledger record."""

    question: str
    actor: str
    stance: str
    value: float | None
    value_high: float | None
    qualifier: str | None
    speaker: str | None
    said_at: dt.datetime
    source_name: str
    url: str | None
    record_id: int

    @property
    def polarity(self) -> str:
        return POLARITY.get(self.stance, "doubt")

    @property
    def top(self) -> float | None:
        """The upper end of the claimed figure (the value itself when it is not a range)."""
        return self.value_high if self.value_high is not None else self.value

    @property
    def mid(self) -> float | None:
        if self.value is None:
            return None
        return (self.value + self.top) / 2 if self.top is not None else self.value


@dataclass(frozen=True, slots=True)
class Change:
    """An actor moved: its stance changed polarity, or its figure changed.

    ``before`` is the first record of the previous position ("denied in October 2024"),
    ``after`` the first record of the new one.
    """

    question: str
    actor: str
    kind: ChangeKind
    before: Position
    after: Position


@dataclass(frozen=True, slots=True)
class Origins:
    """Independent origins behind a question: distinct actors by the polarity of their latest
    claim. Fifty outlets repeating one NIS briefing are one origin."""

    support: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    doubt: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return len(self.support) + len(self.deny) + len(self.doubt)


@dataclass(frozen=True, slots=True)
class QuestionStatus:
    """The state of one question: each actor's latest position, newest first, and more."""

    question: str
    label: str
    numeric: bool
    positions: tuple[Position, ...]
    low: float | None
    high: float | None
    #: Every change found in the records, newest first.
    changes: tuple[Change, ...]
    origins: Origins
    #: Records (appearances) behind the question, and the distinct outlets they came from.
    reports: int
    outlets: int
    contest: Contest | None

    @property
    def contested(self) -> bool:
        return self.contest is not None

    @property
    def latest_changes(self) -> tuple[Change, ...]:
        """Each actor's most recent change, newest first."""
        seen: set[str] = set()
        out = []
        for change in self.changes:
            if change.actor not in seen:
                seen.add(change.actor)
                out.append(change)
        return tuple(out)

    @property
    def updated_at(self) -> dt.datetime | None:
        return self.positions[0].said_at if self.positions else None


@dataclass(frozen=True, slots=True)
class StoryStatus:
    """The state of the whole story as of ``as_of``: one QuestionStatus per pack question."""

    story: str
    title: str
    as_of: dt.datetime
    questions: tuple[QuestionStatus, ...]
    reports: int

    @property
    def updated_at(self) -> dt.datetime | None:
        dates = [q.updated_at for q in self.questions if q.updated_at is not None]
        return max(dates) if dates else None

    @property
    def recent_changes(self) -> tuple[Change, ...]:
        """Each (question, actor)'s latest change across the story, newest first."""
        changes = [c for q in self.questions for c in q.latest_changes]
        return tuple(sorted(changes, key=lambda c: (c.after.said_at, c.after.record_id))[::-1])


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A run of identical claims by one actor on one question, collapsed into one entry.

    ``change`` says how it differs from the actor's previous entry on the question:
    "first", "stance" (polarity), "value", or "" (same polarity, wording or detail differs).
    """

    position: Position
    last_said_at: dt.datetime
    reports: int
    sources: tuple[str, ...]
    change: str


def position_of(record: ClaimRecord) -> Position:
    c = record.claim
    return Position(
        question=c.question,
        actor=c.actor,
        stance=c.stance,
        value=c.value,
        value_high=c.value_high,
        qualifier=c.qualifier,
        speaker=c.speaker,
        said_at=record.said_at,
        source_name=record.source_name,
        url=record.url,
        record_id=record.id,
    )


def _order(record: ClaimRecord) -> tuple[dt.datetime, int]:
    return (record.said_at, record.id)


def same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= SAME_VALUE * max(abs(a), abs(b))


def _moved(before: Position, after: Position) -> ChangeKind | None:
    if before.polarity != after.polarity:
        return "stance"
    # A claim with no figure does not withdraw an earlier figure: only two figures can differ.
    if before.mid is not None and after.mid is not None and not same_value(before.mid, after.mid):
        return "value"
    return None


def _one_per_item(records: Iterable[ClaimRecord]) -> list[ClaimRecord]:
    """Keep one record per (question, actor, item), oldest first.

    An item often carries several figures from one actor ("another 1,500, bringing the total to
    about 3,000"): the surest-extracted wins, then the largest, which is usually the headline total.
    """
    best: dict[tuple[str, str, int], ClaimRecord] = {}
    for r in records:
        key = (r.claim.question, r.claim.actor, r.item_id)
        cur = best.get(key)
        if cur is None or _rank(r) > _rank(cur):
            best[key] = r
    return sorted(best.values(), key=_order)


def _rank(r: ClaimRecord) -> tuple[float, float, int]:
    top = r.claim.value_high if r.claim.value_high is not None else r.claim.value
    return (r.claim.confidence, top if top is not None else -1.0, -r.id)


def _history(records: Sequence[ClaimRecord]) -> dict[str, list[Position]]:
    """Per actor, its positions oldest first (one per item)."""
    out: dict[str, list[Position]] = {}
    for r in _one_per_item(records):
        out.setdefault(r.claim.actor, []).append(position_of(r))
    return out


def _changes(question: str, history: dict[str, list[Position]]) -> list[Change]:
    changes = []
    for actor, positions in history.items():
        run_start = positions[0]
        for pos in positions[1:]:
            kind = _moved(run_start, pos)
            if kind is not None:
                changes.append(Change(question, actor, kind, run_start, pos))
                run_start = pos
    changes.sort(key=lambda c: (c.after.said_at, c.after.record_id), reverse=True)
    return changes


def _contest(
    positions: Sequence[Position], low: float | None, high: float | None
) -> Contest | None:
    if len({p.polarity for p in positions}) > 1:
        return "polarity"
    if low is not None and high is not None and high > low * (1 + CONTESTED_SPREAD):
        return "value"
    return None


def _question_status(pack: StoryPack, qid: str, records: Sequence[ClaimRecord]) -> QuestionStatus:
    question = pack.question(qid)
    history = _history(records)
    latest = sorted(
        (positions[-1] for positions in history.values()),
        key=lambda p: (p.said_at, p.record_id),
        reverse=True,
    )
    with_values = [p for p in latest if p.value is not None]
    low = min((p.value for p in with_values if p.value is not None), default=None)
    high = max((p.top for p in with_values if p.top is not None), default=None)
    # Contested on figures compares each actor's single best guess (a range's middle).
    mids = [m for m in (p.mid for p in with_values) if m is not None]
    by_polarity = {
        pol: tuple(sorted(p.actor for p in latest if p.polarity == pol)) for pol in POLARITIES
    }
    return QuestionStatus(
        question=qid,
        label=question.label if question else qid,
        numeric=question.numeric if question else bool(with_values),
        positions=tuple(latest),
        low=low,
        high=high,
        changes=tuple(_changes(qid, history)),
        origins=Origins(**by_polarity),
        reports=len(records),
        outlets=len({r.source_name for r in records}),
        contest=_contest(latest, min(mids, default=None), max(mids, default=None)),
    )


def _by_question(records: Iterable[ClaimRecord]) -> dict[str, list[ClaimRecord]]:
    out: dict[str, list[ClaimRecord]] = {}
    for r in records:
        out.setdefault(r.claim.question, []).append(r)
    return out


def summarize(pack: StoryPack, records: Sequence[ClaimRecord], now: dt.datetime) -> StoryStatus:
    """The story as of ``now``, question by question in pack order.

    Records said after ``now`` are left out, so the same call answers "what was known then".
    Questions the pack does not define are ignored.
    """
    known = [r for r in records if r.said_at <= now]
    grouped = _by_question(known)
    questions = tuple(_question_status(pack, q.id, grouped.get(q.id, [])) for q in pack.questions)
    return StoryStatus(
        story=pack.id,
        title=pack.title,
        as_of=now,
        questions=questions,
        reports=sum(q.reports for q in questions),
    )


def question_detail(
    pack: StoryPack, qid: str, records: Sequence[ClaimRecord], now: dt.datetime | None = None
) -> QuestionStatus:
    """The state of one question, for ``!status <question>``."""
    mine = [r for r in records if r.claim.question == qid and (now is None or r.said_at <= now)]
    return _question_status(pack, qid, mine)


def timeline(
    pack: StoryPack, records: Sequence[ClaimRecord], question: str | None = None
) -> list[TimelineEntry]:
    """How the claims moved, oldest first.

    A claim that repeats the same actor's previous (stance, value) on the same question is
    folded into that earlier entry, even when other actors spoke in between: a briefing echoed
    by ten outlets over a week is one entry with ten reports.
    """
    known = {q.id for q in pack.questions}
    chosen = sorted(
        (
            r
            for r in records
            if (question is None or r.claim.question == question)
            and (r.claim.question in known or question is not None)
        ),
        key=_order,
    )
    entries: list[TimelineEntry] = []
    last: dict[tuple[str, str], int] = {}  # (question, actor) -> index in entries
    for r in chosen:
        pos = position_of(r)
        key = (pos.question, pos.actor)
        i = last.get(key, -1)
        prev = entries[i] if i >= 0 else None
        if prev is not None and _same_claim(prev.position, pos):
            sources = prev.sources
            if pos.source_name not in sources:
                sources = (*sources, pos.source_name)
            reports = prev.reports + 1
            entries[i] = TimelineEntry(prev.position, pos.said_at, reports, sources, prev.change)
            continue
        change = "first" if prev is None else (_moved(prev.position, pos) or "")
        last[key] = len(entries)
        entries.append(TimelineEntry(pos, pos.said_at, 1, (pos.source_name,), change))
    return entries


def _same_claim(a: Position, b: Position) -> bool:
    return (
        a.stance == b.stance
        and same_value(a.value, b.value)
        and same_value(a.value_high, b.value_high)
    )
