"""New item + its claims + the ledger's earlier claims -> an Alert (pure).

Says what is new: a first claim of an actor, an update of the same actor's figure, a reversal
of its stance, or a disagreement with other actors' latest claims on the same question.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.claims.pack import StoryPack
from bot.claims.status_format import fmt_value
from bot.models import POLARITY, Alert, Claim, ClaimRecord, Entry, Source

#: Latest figures of two actors further apart than this count as a disagreement.
DISAGREE_RATIO = 0.25


def describe_value(claim: Claim) -> str:
    """ "about 12,000", "1,000–3,000", or "" for a claim without a figure."""
    return fmt_value(claim.value, claim.value_high, claim.qualifier)


def describe_claim(pack: StoryPack, claim: Claim) -> str:
    """One line: "South Korea's NIS asserts troops.count: about 12,000"."""
    question = pack.question(claim.question)
    label = question.label if question else claim.question
    value = describe_value(claim)
    return f"{pack.actor_name(claim.actor)} {claim.stance}: {label}" + (
        f" — {value}" if value else ""
    )


def _differs(a: Claim, b: Claim, ratio: float) -> bool:
    if POLARITY.get(a.stance) != POLARITY.get(b.stance):
        return True
    if a.value is None or b.value is None:
        return False
    low, high = sorted((a.value, b.value))
    return high > 0 and (high - low) / high > ratio


def claim_flags(pack: StoryPack, claim: Claim, earlier: Sequence[ClaimRecord]) -> list[str]:
    """What this claim changes, given the latest earlier claims (any actor) on its question."""
    flags: list[str] = []
    who = pack.actor_name(claim.actor)
    same = [
        r for r in earlier if r.claim.actor == claim.actor and r.claim.question == claim.question
    ]
    if not same:
        flags.append(f"new: first {claim.question} claim from {who}")
    else:
        prev = same[0].claim
        when = same[0].said_at.date().isoformat()
        if POLARITY.get(prev.stance) != POLARITY.get(claim.stance):
            flags.append(f"contradicts {who}'s earlier {prev.stance} ({when})")
        elif _differs(prev, claim, 0.01):
            flags.append(
                f"updates {who}: {describe_value(prev)} → {describe_value(claim)} (was {when})"
            )
    others: dict[str, Claim] = {}
    for r in earlier:
        if r.claim.question == claim.question and r.claim.actor != claim.actor:
            others.setdefault(r.claim.actor, r.claim)
    against = [pack.actor_name(a) for a, c in others.items() if _differs(c, claim, DISAGREE_RATIO)]
    if against:
        flags.append(f"disagrees with {', '.join(sorted(against)[:4])}")
    return flags


def build_alert(
    pack: StoryPack,
    entry: Entry,
    source_name: str,
    summary: str,
    claims: Iterable[Claim],
    earlier: Sequence[ClaimRecord],
) -> Alert:
    lines: list[str] = []
    flags: list[str] = []
    for claim in claims:
        lines.append(describe_claim(pack, claim))
        for flag in claim_flags(pack, claim, earlier):
            if flag not in flags:
                flags.append(flag)
    published = entry.published.isoformat() if entry.published else None
    return Alert(
        title=entry.title or "(untitled)",
        url=entry.url,
        source_name=source_name,
        summary=summary,
        published=published,
        claims=tuple(lines[:8]),
        flags=tuple(flags[:6]),
    )


def health_alert(source: Source, *, failing: bool, error: str = "", failures: int = 0) -> Alert:
    """The admins' notice that a source started failing, or recovered (pure)."""
    if failing:
        title = f"Source failing: {source.name}"
        summary = f"{failures} failed polls in a row. Last error: {error[:300]}"
    else:
        title = f"Source recovered: {source.name}"
        summary = f"Polled successfully again after {source.consecutive_failures} failures."
    return Alert(
        title=title,
        url=source.url if source.url.startswith(("http://", "https://")) else None,
        source_name=f"source #{source.id}",
        summary=summary,
        kind="health",
    )
