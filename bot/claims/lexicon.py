"""Compile a story pack's extraction tables into regexes, once per pack.

Reads ``[[actors]]``, ``[[questions]]`` and ``[extraction]`` from the pack; holds no story of its
own. The extractor and the attribution finder only read the compiled `Lexicon`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.claims.pack import StoryPack
from bot.errors import ConfigError

_APOSTROPHE = "['’]"
T = TypeVar("T")


def norm(text: str) -> str:
    """The lookup key of a matched phrase: lower case, single spaces, straight apostrophes."""
    return " ".join(text.lower().replace("’", "'").split())


def _phrase(p: str) -> str:
    wildcard = p.endswith("*")
    body = p.rstrip("*").strip()
    parts = [re.escape(w).replace("'", _APOSTROPHE) for w in body.split()]
    rx = r"\s+".join(parts) + (r"\w*" if wildcard else "")
    # Acronyms ("NIS", "US", "MP") must keep their case, or "us" and "mp" would match.
    if len(body) > 1 and body.upper() == body and any(c.isalpha() for c in body):
        rx = f"(?-i:{rx})"
    return rx


def phrases_re(phrases: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive, word-bounded alternation, longest phrase first."""
    items = sorted({p for p in phrases if p.strip()}, key=lambda p: (-len(p), p))
    if not items:
        return re.compile(r"(?!x)x")
    alternatives = "|".join(_phrase(p) for p in items)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def lookup(table: Mapping[str, T], text: str) -> T | None:
    """The entry of a matched phrase; wildcard keys ("deploy*") match by prefix."""
    key = norm(text)
    if key in table:
        return table[key]
    for k, v in table.items():
        if k.endswith("*") and key.startswith(k[:-1]):
            return v
    return None


@dataclass(frozen=True)
class QuestionRule:
    id: str
    numeric: bool
    value: str  # "count", "near" or "" (no number)
    needs: re.Pattern[str] | None
    max_value: float | None
    subsumes: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """Everything the extractor matches, compiled from one pack."""

    questions: dict[str, QuestionRule]
    cue_re: re.Pattern[str]
    cue_questions: dict[str, tuple[str, ...]]
    subject_re: re.Pattern[str]
    anaphor_subject_re: re.Pattern[str]
    other_sides_re: re.Pattern[str]
    other_people_re: re.Pattern[str]
    army_size_re: re.Pattern[str]
    hypothetical_re: re.Pattern[str]
    count_noun_re: re.Pattern[str]
    stance_res: tuple[tuple[str, re.Pattern[str]], ...]
    negation_re: re.Pattern[str]
    verb_re: re.Pattern[str]
    source_re: re.Pattern[str]
    alias_re: re.Pattern[str]
    aliases: dict[str, str]
    role_re: re.Pattern[str]
    roles: dict[str, dict[str, str]]
    countries: dict[str, str]
    country_re: re.Pattern[str]
    country_actors: dict[str, str]
    anaphor_re: re.Pattern[str]
    relays: dict[str, str]
    relay_re: re.Pattern[str]
    name_stopwords: frozenset[str] = field(default_factory=frozenset)


def _list(table: Mapping[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"story pack: extraction '{key}' must be a list of strings")
    return value


def compile_lexicon(pack: StoryPack) -> Lexicon:
    ex: dict[str, Any] = pack.raw.get("extraction", {})
    terms: dict[str, Any] = ex.get("terms", {})
    raw_questions = {q["id"]: q for q in pack.raw.get("questions", ())}

    questions: dict[str, QuestionRule] = {}
    cue_questions: dict[str, list[str]] = {}
    for q in pack.questions:
        spec = raw_questions.get(q.id, {})
        needs = spec.get("needs")
        questions[q.id] = QuestionRule(
            id=q.id,
            numeric=q.numeric,
            value=spec.get("value", ""),
            needs=phrases_re(_list(terms, needs)) if needs else None,
            max_value=spec.get("max_value"),
            subsumes=tuple(spec.get("subsumes", ())),
        )
        for cue in q.cues:
            cue_questions.setdefault(norm(cue), []).append(q.id)

    stances = ex.get("stances", {})
    stance_order = ("doubts", "deflects", "denies", "confirms")
    attribution = ex.get("attribution", {})

    aliases = {norm(a): actor.id for actor in pack.actors for a in (*actor.aliases, actor.name)}
    roles: dict[str, dict[str, str]] = {}
    for role in ex.get("roles", ()):
        for word in role.get("words", ()):
            roles[norm(word)] = dict(role.get("actors", {}))
    countries = {norm(w): key for key, words in ex.get("countries", {}).items() for w in words}
    relays = {norm(w): r["default"] for r in attribution.get("relays", ()) for w in r["words"]}

    country_alt = phrases_re(countries).pattern
    role_alt = phrases_re(roles).pattern
    # "Ukraine's military intelligence chief", "the defence minister of South Korea".
    role_re = re.compile(
        rf"(?:(?P<c1>{country_alt})(?:{_APOSTROPHE}s)?\s+(?:[\w-]+\s+){{0,2}}?)?(?P<role>{role_alt})"
        rf"(?:\s+(?:of|in)\s+(?:the\s+)?(?P<c2>{country_alt}))?",
        re.IGNORECASE,
    )
    # Titles and places are not names ("Secretary-General Mark Rutte" -> "Mark Rutte").
    stopwords = {w for phrase in (*roles, *countries) for w in re.split(r"[\s-]+", phrase)}
    stopwords |= {"secretary", "general", "chief", "head", "deputy", "vice", "director"}
    return Lexicon(
        questions=questions,
        cue_re=phrases_re(cue_questions),
        cue_questions={k: tuple(v) for k, v in cue_questions.items()},
        subject_re=phrases_re(_list(ex, "subject")),
        anaphor_subject_re=phrases_re(_list(ex, "subject_anaphors")),
        other_sides_re=re.compile(
            rf"(?:{phrases_re(_list(ex, 'other_sides')).pattern})\s+(?:[\w-]+\s+)?$", re.IGNORECASE
        ),
        other_people_re=re.compile(
            rf"\s*(?:[\w'’-]+\s+)?(?:{phrases_re(_list(ex, 'other_people')).pattern})",
            re.IGNORECASE,
        ),
        army_size_re=phrases_re(_list(ex, "army_size")),
        hypothetical_re=phrases_re(_list(ex, "hypothetical")),
        count_noun_re=re.compile(
            r"[\s-]*(?:[\w'’-]+\s+){0,3}?"
            rf"(?:{phrases_re(_list(terms, 'count_nouns')).pattern})",
            re.IGNORECASE,
        ),
        stance_res=tuple((s, phrases_re(_list(stances, s))) for s in stance_order),
        negation_re=re.compile(
            rf"(?:{phrases_re(_list(stances, 'negations')).pattern}|\w+n['’]t)"
            r"(?:\s+[\w'’-]+){0,3}\s*$",
            re.IGNORECASE,
        ),
        verb_re=phrases_re(_list(attribution, "verbs")),
        source_re=phrases_re(_list(attribution, "sources")),
        alias_re=phrases_re(aliases),
        aliases=aliases,
        role_re=role_re,
        roles=roles,
        countries=countries,
        country_re=phrases_re(countries),
        country_actors=dict(ex.get("country_actors", {})),
        anaphor_re=phrases_re(_list(attribution, "anaphors")),
        relays=relays,
        relay_re=phrases_re(relays),
        name_stopwords=frozenset(stopwords),
    )
