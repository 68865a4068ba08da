"""What a chat command was asked about: a question or an actor of the story pack.

Pure: resolves ids, id parts and loose words ("casualties", "russia", "nis") against the pack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from bot.claims.pack import StoryPack

TopicKind = Literal["question", "actor"]
_WORD = re.compile(r"[a-z0-9]+")


def resolve_topic(pack: StoryPack, text: str) -> tuple[TopicKind, str] | None:
    """What ``!claims``/``!status``/``!timeline`` were asked about: a question or an actor.

    Accepts ids ("troops.count", "kr.nis"), id parts and prefixes ("casualties", "nis", "kill"),
    and loose words found in names, aliases, labels and cues ("russia", "losses").
    Returns None for empty or unknown text.
    """
    query = " ".join(_WORD.findall(text.lower()))
    if not query:
        return None
    dotted = query.replace(" ", ".")
    for q in pack.questions:
        if q.id.lower() == dotted:
            return ("question", q.id)
    for a in pack.actors:
        if a.id.lower() == dotted:
            return ("actor", a.id)
    for a in pack.actors:
        if query in {_norm(a.name), *(_norm(x) for x in a.aliases)}:
            return ("actor", a.id)
    for q in pack.questions:
        if query == _norm(q.label):
            return ("question", q.id)
    if hit := _by_id_part(pack, query):
        return hit
    if hit := _by_words(pack, query):
        return hit
    return None


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _by_id_part(pack: StoryPack, query: str) -> tuple[TopicKind, str] | None:
    """An id part: "casualties" -> casualties.total, "troops" -> the first troops.* question,
    "kill" -> casualties.killed, "nis" -> kr.nis."""
    if " " in query:
        return None
    heads = [q for q in pack.questions if q.id.lower().split(".")[0] == query]
    if heads:
        total = next((q for q in heads if q.id.lower().endswith(".total")), heads[0])
        return ("question", total.id)
    for q in pack.questions:
        if any(part.startswith(query) for part in q.id.lower().split(".")):
            return ("question", q.id)
    for a in pack.actors:
        if any(part == query for part in a.id.lower().split(".")):
            return ("actor", a.id)
    return None


def _by_words(pack: StoryPack, query: str) -> tuple[TopicKind, str] | None:
    """Every query word starts a word of an actor's name or alias, or a question's label or cue.

    Actors first: "russia" should find the Russian government before any question about Russia.
    """
    wanted = query.split()

    def matches(phrases: Iterable[str]) -> bool:
        for phrase in phrases:
            words = _norm(phrase).split()
            if words and all(any(w.startswith(x) for w in words) for x in wanted):
                return True
        return False

    for a in pack.actors:
        if matches((a.name, *a.aliases)):
            return ("actor", a.id)
    for q in pack.questions:
        if matches((q.label, *q.cues)):
            return ("question", q.id)
    return None
