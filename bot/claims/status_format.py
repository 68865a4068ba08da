"""Chat replies for ``!status``, ``!claims`` and ``!timeline``, made from ``claims.status`` results.

Pure: data in, ``Reply`` out. Plain text only (adapters escape it); ``!status`` is fitted to one
chat message, shrinking detail until it fits ``STATUS_BUDGET`` characters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bot.claims.pack import StoryPack
from bot.claims.status import (
    Change,
    Position,
    QuestionStatus,
    StoryStatus,
    TimelineEntry,
    position_of,
)
from bot.claims.topics import TopicKind
from bot.models import ClaimRecord, Field, Link, Reply

#: Whole ``!status`` reply as plain text; Slack and Discord messages stay readable well below
#: Discord's 2,000-character message cap (embeds allow more, but not at a glance).
STATUS_BUDGET = 1800
#: Discord embed limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
MAX_FIELDS = 25
FIELD_VALUE_MAX = 1024
SHORT_NAME_MAX = 24
_PARENS = re.compile(r"\(([^,;)]{2,20})[,;)]")
_GOVERNMENT = re.compile(r"^(.{2,20}?)['’]s government\b")
_ACRONYM = re.compile(r"[A-Z]{2,6}")
#: Detail levels for a ``!status`` field, richest first: (actors listed, latest change shown).
Level = tuple[int, bool]
LEVELS: tuple[Level, ...] = ((4, True), (3, True), (2, True), (1, True), (1, False), (0, False))
POLARITY_WORDS = {"support": "for", "deny": "against", "doubt": "unsure"}


def fmt_number(value: float) -> str:
    value = float(value)  # the ledger or JSON may hand over an int
    if value.is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def fmt_value(value: float | None, value_high: float | None, qualifier: str | None = None) -> str:
    """ "about 11,000", "1,000–3,000", "more than 3,000"; "" when there is no figure."""
    if value is None:
        return ""
    text = fmt_number(value)
    if value_high is not None and value_high != value:
        text = f"{text}–{fmt_number(value_high)}"
    return f"{qualifier} {text}" if qualifier else text


def fmt_date(when: dt.datetime | dt.date | None) -> str:
    return when.strftime("%Y-%m-%d") if when else "?"


def fmt_range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return fmt_number(low) if low == high else f"{fmt_number(low)}–{fmt_number(high)}"


def actor_label(pack: StoryPack, actor: str) -> str:
    """A short name for tight lines, from the pack's data (the engine knows no story).

    The actor's ``short`` if the pack gives one; else the first abbreviation in parentheses
    ("Russia's government (Kremlin)" -> "Kremlin"); else the country of "X's government ..."
    ("North Korea"); else a short enough name; else an all-caps alias ("NIS"); else the id.
    """
    for entry in pack.raw.get("actors", ()):
        if isinstance(entry, dict) and entry.get("id") == actor and entry.get("short"):
            return str(entry["short"])
    found = pack.actor(actor)
    if found is None:
        return actor
    name = found.name
    if m := _PARENS.search(name):
        return m.group(1).strip()
    if m := _GOVERNMENT.match(name):
        return m.group(1)
    if len(name) <= SHORT_NAME_MAX:
        return name
    caps = [a for a in found.aliases if _ACRONYM.fullmatch(a)]
    return caps[0] if caps else actor


def describe(pack: StoryPack, pos: Position, *, with_date: bool = True) -> str:
    """'NIS asserts about 11,000 (2024-11-20)'."""
    parts = [actor_label(pack, pos.actor), pos.stance]
    figure = fmt_value(pos.value, pos.value_high, pos.qualifier)
    if figure:
        parts.append(figure)
    text = " ".join(parts)
    return f"{text} ({fmt_date(pos.said_at)})" if with_date else text


def describe_change(pack: StoryPack, change: Change) -> str:
    """'Russia: deflects (2024-11-01) → confirms (2025-04-28)'."""
    b, a = change.before, change.after
    if change.kind == "value":
        old = fmt_value(b.value, b.value_high, b.qualifier)
        new = fmt_value(a.value, a.value_high, a.qualifier)
    else:
        old = " ".join(x for x in (b.stance, fmt_value(b.value, b.value_high, b.qualifier)) if x)
        new = " ".join(x for x in (a.stance, fmt_value(a.value, a.value_high, a.qualifier)) if x)
    who = actor_label(pack, change.actor)
    return f"{who}: {old} ({fmt_date(b.said_at)}) → {new} ({fmt_date(a.said_at)})"


def _headline(qs: QuestionStatus, reports: bool = False) -> str:
    o = qs.origins
    counts = [
        f"{len(actors)} {POLARITY_WORDS[pol]}"
        for pol, actors in (("support", o.support), ("deny", o.deny), ("doubt", o.doubt))
        if actors
    ]
    parts = []
    if qs.numeric and qs.low is not None:
        parts.append(fmt_range(qs.low, qs.high))
    noun = "origin" if o.total == 1 else "origins"
    parts.append(f"{o.total} {noun} ({', '.join(counts)})")
    if reports:
        # Only as many reports as the handler fetched (the ledger hands over recent heads).
        parts.append(f"{qs.reports} recent reports, {qs.outlets} outlets")
    return " · ".join(parts)


def _field_value(pack: StoryPack, qs: QuestionStatus, level: Level) -> str:
    shown, changes = level
    lines = [_headline(qs)]
    if shown and qs.numeric:
        listed = [describe(pack, p) for p in qs.positions[:shown]]
        if len(qs.positions) > shown:
            listed.append(f"+{len(qs.positions) - shown} more")
        lines.append("; ".join(listed))
    elif shown:
        # Without figures, who stands where says more than each actor's dated stance.
        o = qs.origins
        groups = []
        for pol, actors in (("support", o.support), ("deny", o.deny), ("doubt", o.doubt)):
            if actors:
                newest = [p.actor for p in qs.positions if p.actor in actors]
                names = [actor_label(pack, a) for a in newest[: shown * 2]]
                more = f" +{len(newest) - len(names)}" if len(newest) > len(names) else ""
                groups.append(f"{POLARITY_WORDS[pol]}: {', '.join(names)}{more}")
        lines.append(" · ".join(groups))
    if changes and qs.latest_changes:
        lines.append("Changed: " + describe_change(pack, qs.latest_changes[0]))
    return "\n".join(lines)[:FIELD_VALUE_MAX]


def _field_name(qs: QuestionStatus) -> str:
    return f"{qs.label} [{qs.question}]" + (" · contested" if qs.contested else "")


def status_reply(
    pack: StoryPack,
    status: StoryStatus,
    budget: int = STATUS_BUDGET,
    footer: str | None = None,
) -> Reply:
    """``!status``: one field per question with claims, detail shrunk until it fits ``budget``.

    Pass the handler's own ``footer`` here (not on the Reply afterwards): it counts in the budget.
    """
    title = f"Status: {status.title}"
    answered = [q for q in status.questions if q.positions]
    empty = [q.question for q in status.questions if not q.positions]
    head = [
        f"As of {fmt_date(status.as_of)} · last claim {fmt_date(status.updated_at)} · "
        "origins = distinct claimants"
    ]
    if not answered:
        return Reply(title=title, lines=("No claims in the ledger yet.",))
    if empty:
        head.append("No claims yet: " + ", ".join(empty))
    if footer is None:
        footer = "Details: !status <question> · !claims <question or actor> · !timeline"
    answered = answered[:MAX_FIELDS]

    def render(levels: Sequence[Level], extra: tuple[str, ...] = ()) -> Reply:
        fields = tuple(
            Field(_field_name(q), _field_value(pack, q, lv))
            for q, lv in zip(answered, levels, strict=False)
        )
        return Reply(title=title, lines=(*head, *extra), fields=fields, footer=footer)

    # The richest uniform level that fits, then upgrade questions one by one in pack order
    # while room is left, so a busy story still uses the whole budget.
    for i, level in enumerate(LEVELS):
        levels = [level] * len(answered)
        reply = render(levels)
        if len(reply.text) <= budget:
            if i == 0:
                return reply
            for n in range(len(levels)):
                trial = [*levels[:n], LEVELS[i - 1], *levels[n + 1 :]]
                if len(render(trial).text) <= budget:
                    levels = trial
            return render(levels)
    # Still too long (a pack with very many questions): keep as many questions as fit.
    levels = [LEVELS[-1]] * len(answered)
    while levels and len(reply.text) > budget:
        levels.pop()
        more = f"{len(answered) - len(levels)} more questions: !status <question>"
        reply = render(levels, (more,))
    return reply


def question_reply(pack: StoryPack, qs: QuestionStatus, changes: int = 5) -> Reply:
    """``!status <question>``: every actor's latest claim, the changes, the origins."""
    title = f"{qs.label} [{qs.question}]"
    if not qs.positions:
        return Reply(title=title, lines=("No claims on this question yet.",))
    lines = [_headline(qs, reports=True)]
    if qs.contest == "polarity":
        lines.append("Contested: the actors' latest claims disagree.")
    elif qs.contest == "value":
        lines.append(f"Contested: latest figures range {fmt_range(qs.low, qs.high)}.")
    fields = [
        Field(
            "Latest by actor",
            "\n".join(f"{describe(pack, p)} · {p.source_name}" for p in qs.positions)[
                :FIELD_VALUE_MAX
            ],
        )
    ]
    if qs.changes:
        text = "\n".join(describe_change(pack, c) for c in qs.changes[:changes])
        fields.append(Field("Changes (newest first)", text[:FIELD_VALUE_MAX]))
    links = tuple(
        Link(f"{actor_label(pack, p.actor)} · {p.source_name} {fmt_date(p.said_at)}", p.url)
        for p in qs.positions
        if p.url
    )
    return Reply(title=title, lines=tuple(lines), fields=tuple(fields), links=links[:10])


def claims_reply(
    pack: StoryPack,
    records: Sequence[ClaimRecord],
    topic: tuple[TopicKind, str] | None = None,
    limit: int = 15,
) -> Reply:
    """``!claims [question or actor]``: ledger entries newest first, each with its link."""
    chosen = [r for r in records if _about(r, topic)]
    chosen.sort(key=lambda r: (r.said_at, r.id), reverse=True)
    about = ""
    if topic is not None:
        kind, ident = topic
        about = f": {pack.actor_name(ident) if kind == 'actor' else ident}"
    title = f"Claims{about}"
    if not chosen:
        return Reply(title=title, lines=("No claims found.",))
    lines = []
    links = []
    for n, r in enumerate(chosen[:limit], 1):
        pos = position_of(r)
        who = describe(pack, pos, with_date=False)
        if pos.speaker:
            who = f"{who} ({pos.speaker})"
        lines.append(f"[{n}] {fmt_date(pos.said_at)} {pos.question}: {who} · {r.source_name}")
        if r.url:
            links.append(Link(f"[{n}] {r.source_name}", r.url))
    if len(chosen) > limit:
        lines.append(f"… {len(chosen) - limit} older claims not shown")
    return Reply(title=title, lines=tuple(lines), links=tuple(links))


def _about(record: ClaimRecord, topic: tuple[TopicKind, str] | None) -> bool:
    if topic is None:
        return True
    kind, ident = topic
    return (record.claim.question if kind == "question" else record.claim.actor) == ident


def timeline_reply(
    pack: StoryPack,
    entries: Sequence[TimelineEntry],
    question: str | None = None,
    limit: int = 25,
) -> Reply:
    """``!timeline [question]``: oldest first; when too long, the newest ``limit`` entries."""
    title = f"Timeline: {question}" if question else "Timeline"
    if not entries:
        return Reply(title=title, lines=("No claims yet.",))
    shown = list(entries)[-limit:]
    lines = []
    if len(entries) > len(shown):
        lines.append(f"… {len(entries) - len(shown)} earlier entries not shown")
    for e in shown:
        text = f"{fmt_date(e.position.said_at)} "
        if question is None:
            text += f"{e.position.question}: "
        text += describe(pack, e.position, with_date=False)
        if e.change in ("stance", "value"):
            text += " (changed)"
        if e.reports > 1:
            text += f" ×{e.reports} to {fmt_date(e.last_said_at)}"
        lines.append(f"{text} · {', '.join(e.sources[:2])}")
    return Reply(title=title, lines=tuple(lines))
