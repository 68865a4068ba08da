"""The claim views: !status, !claims, !timeline. Reads the ledger; status.py aggregates;
status_format.py writes the reply."""

from __future__ import annotations

from bot.claims.status import question_detail, summarize, timeline
from bot.claims.status_format import (
    claims_reply,
    question_reply,
    status_reply,
    timeline_reply,
)
from bot.claims.topics import resolve_topic
from bot.errors import UserError
from bot.models import Reply, Request, utcnow
from bot.services import Services
from handlers.registry import command
from handlers.text import ago, clip

#: Claims read per (question, actor) pair for !status: enough to see how each actor moved.
PER_PAIR = 6


def _pairs(services: Services, question: str | None = None) -> list[tuple[str, str]]:
    qs = [q.id for q in services.pack.questions if question in (None, q.id)]
    return [(q, a.id) for q in qs for a in services.pack.actors]


def _topic(services: Services, text: str) -> tuple[str, str] | None:
    text = text.strip()
    if not text:
        return None
    topic = resolve_topic(services.pack, text[:100])
    if topic is None:
        known = ", ".join(q.id for q in services.pack.questions)
        raise UserError(
            f"I don't know {clip(text, 40)!r}. Questions: {known}; or an actor "
            "such as nis, kremlin, zelensky."
        )
    return topic


@command("status")
async def status(request: Request, services: Services) -> Reply:
    """!status [question]
    The state of the story: for each question, each actor's latest claim, the range, what
    changed lately, how many independent origins back it; contested questions are marked."""
    topic = _topic(services, request.args)
    if topic is not None and topic[0] == "question":
        records = await services.ledger.claim_heads(
            services.story, _pairs(services, topic[1]), per_pair=PER_PAIR * 2
        )
        return question_reply(services.pack, question_detail(services.pack, topic[1], records))
    if topic is not None:
        raise UserError(
            f"!status takes a question; for an actor's claims use !claims {clip(request.args, 40)}."
        )
    records = await services.ledger.claim_heads(
        services.story, _pairs(services), per_pair=PER_PAIR, cached=True
    )
    overview = await services.ledger.overview(services.story)
    footer = (
        f"{overview['enabled']}/{overview['sources']} sources polling"
        f" ({overview['failing']} failing) · last poll {ago(overview['last_poll_at'])}"
        f" · {overview['relevant']} relevant items"
    )
    return status_reply(services.pack, summarize(services.pack, records, utcnow()), footer=footer)


@command("claims")
async def claims(request: Request, services: Services) -> Reply:
    """!claims [question or actor]
    Ledger entries, newest first, with links to where they appeared."""
    topic = _topic(services, request.args)
    question = topic[1] if topic and topic[0] == "question" else None
    actor = topic[1] if topic and topic[0] == "actor" else None
    records = await services.ledger.list_claims(
        services.story, question=question, actor=actor, limit=15
    )
    return claims_reply(services.pack, records, topic)  # type: ignore[arg-type]


@command("timeline")
async def timeline_(request: Request, services: Services) -> Reply:
    """!timeline [question]
    How the claims moved over time, oldest first."""
    topic = _topic(services, request.args)
    if topic is not None and topic[0] != "question":
        raise UserError("!timeline takes a question, e.g. !timeline troops.count.")
    question = topic[1] if topic else None
    records = await services.ledger.timeline(services.story, question=question, limit=200)
    return timeline_reply(services.pack, timeline(services.pack, records, question), question)
