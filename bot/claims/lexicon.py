"""Compile a story pack's extraction tables into regexes, once per pack.

Reads ``[[actors]]``, ``[[questions]]`` and ``[extraction]`` from the pack; holds no story of its
own. The extractor and the attribution finder only read the compiled `Lexicon`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.claims.gates import Gate, GateSet, norm
from bot.claims.pack import StoryPack
from bot.claims.scan import PhraseIndex
from bot.errors import ConfigError

_APOSTROPHE = "['’]"
T = TypeVar("T")


def _units(phrase: str, fold: bool = False) -> list[str]:
    """A phrase as regex pieces, one per character: spaces and apostrophes are flexible; with
    ``fold``, letters match either case ("[nN]": faster in Python's engine than IGNORECASE)."""
    wildcard = phrase.endswith("*")
    units = []
    for ch in " ".join(phrase.rstrip("*").split()):
        if ch == " ":
            units.append(r"\s+")
        elif ch in "'’":
            units.append(_APOSTROPHE)
        elif fold and ch.lower() != ch.upper():
            units.append(f"[{ch.lower()}{ch.upper()}]")
        else:
            units.append(re.escape(ch))
    return [*units, r"\w*"] if wildcard else units


_AUXILIARIES = ("have", "has", "had", "were", "was", "are", "is", "been", "being")
_PREPOSITIONS = ("in", "at", "on", "near", "from", "inside", "into", "across", "of", "to", "for",
                 "by", "with", "alongside")  # fmt: skip


def trie(phrases: Iterable[str], fold: bool = False) -> str:
    """A regex trie: Python's engine tries every alternative of a flat alternation at every
    position, a trie fails on the first character. This is what keeps extraction fast."""
    root: dict[str, Any] = {}
    for p in phrases:
        node = root
        for unit in _units(p, fold):
            node = node.setdefault(unit, {})
        node[""] = {}
    return _trie_rx(root)


def _trie_rx(node: dict[str, Any]) -> str:
    end = "" in node
    branches = [unit + _trie_rx(child) for unit, child in node.items() if unit]
    if not branches:
        return ""
    # Longer first: "\w*" (wildcard) and plain characters never start the same branch twice.
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if end else body


def phrases_re(phrases: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive, word-bounded phrase matcher (longest phrase wins)."""
    items = {p.strip() for p in phrases if p.strip()}
    if not items:
        return re.compile(r"(?!x)x")
    # Acronyms ("NIS", "US", "MP") keep their case, or "us" and "mp" would match.
    acronyms = {p for p in items if len(p) > 1 and p.upper() == p and any(c.isalpha() for c in p)}
    words = {p.lower() for p in items - acronyms}
    parts = ([f"(?-i:{trie(acronyms)})"] if acronyms else []) + (
        [trie(words, fold=True)] if words else []
    )
    return re.compile(rf"(?<![\w-])(?:{'|'.join(parts)})(?![\w-])")


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
    needs: str | None  # the name of a term list in `Lexicon.index`
    needs_gate: Gate | None
    max_value: float | None
    subsumes: tuple[str, ...]
    # The other sides act on the subject here ("Ukrainian forces captured two North Koreans"):
    # a cue right after one of them is still about the subject.
    done_by_others: bool = False


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
    not_dispatched_re: re.Pattern[str]
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
    own_side: dict[str, frozenset[str]]  # actor -> the questions where its assertions admit
    admissions_imply: dict[str, tuple[str, ...]]  # question admitted -> questions admitted too
    anaphor_re: re.Pattern[str]
    relays: dict[str, str]
    relay_re: re.Pattern[str]
    mention_re: re.Pattern[str]
    mention_kinds: dict[str, str]
    # Gates of the regexes above (see `Gate`): checked on a sentence's words before the regex.
    cue_gate: Gate
    subject_gate: Gate
    other_sides_gate: Gate
    army_size_gate: Gate
    hypothetical_gate: Gate
    stance_gates: tuple[Gate, ...]  # in the order of stance_res
    verb_gate: Gate
    source_gate: Gate
    troops: str | None  # the term list naming the subject's members ("terms.NAME"), if any
    refusal_gate: Gate  # any phrase of the stances that are not assertions (doubts ... denies)
    topic_ref_gate: Gate
    # Every phrase list above in one automaton: "cue", "subject", "anaphor_subject", "verb",
    # "source", "alias", "mention", the stances by name and the term lists as "terms.NAME".
    index: PhraseIndex
    stance_index: PhraseIndex  # the stances alone: for short texts read for nothing else
    name_stopwords: frozenset[str] = field(default_factory=frozenset)
    # Memo tables filled as text is read (bounded by their users): a phrase as written -> its
    # `norm`; a name as written -> its words that are not titles or places.
    norms: dict[str, str] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)


def _list(table: Mapping[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"story pack: extraction '{key}' must be a list of strings")
    return value


def compile_lexicon(pack: StoryPack) -> Lexicon:
    ex: dict[str, Any] = pack.raw.get("extraction", {})
    own_side: dict[str, Any] = ex.get("own_side", {})
    implies: dict[str, Any] = ex.get("admissions_imply", {})
    gates = GateSet()
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
            needs=f"terms.{needs}" if needs else None,
            needs_gate=gates.gate(_list(terms, needs)) if needs else None,
            max_value=spec.get("max_value"),
            subsumes=tuple(spec.get("subsumes", ())),
            done_by_others=bool(spec.get("done_by_others", False)),
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

    role_re = phrases_re(roles)
    anaphors = _list(attribution, "anaphors")
    # One scan finds every kind of mention; where a phrase has two kinds the first one wins.
    kinds: dict[str, str] = {}
    for kind, words in (
        ("anaphor", anaphors), ("country", countries), ("relay", relays), ("role", roles),
        ("alias", aliases),
    ):  # fmt: skip
        kinds.update((norm(w), kind) for w in words)
    kinds.update((k, "relay") for k, v in aliases.items() if v == "media")
    # Titles and places are not names ("Secretary-General Mark Rutte" -> "Mark Rutte").
    stopwords = {w for phrase in (*roles, *countries) for w in re.split(r"[\s-]+", phrase)}
    stopwords |= {"secretary", "general", "chief", "head", "deputy", "vice", "director"}
    # "Lawmaker Lee Seong-kweun": the relays' common nouns are titles too, their names are not.
    titles = [p for r in attribution.get("relays", ()) for p in r["words"] if p.islower()]
    stopwords |= {w for phrase in titles for w in re.split(r"[\s-]+", phrase)}
    lists: dict[str, list[str]] = {
        "cue": list(cue_questions),
        "subject": _list(ex, "subject"),
        "anaphor_subject": _list(ex, "subject_anaphors"),
        "verb": _list(attribution, "verbs"),
        "source": _list(attribution, "sources"),
        "alias": list(aliases),
        "mention": [*anaphors, *countries, *relays, *roles, *aliases],
        **{s: _list(stances, s) for s in stance_order},
        "negations": _list(stances, "negations"),
        "topic_refs": _list(ex, "topic_refs"),
        **{f"terms.{k}": _list(terms, k) for k in terms},
    }
    return Lexicon(
        index=PhraseIndex(lists, phrases_re),
        stance_index=PhraseIndex({s: lists[s] for s in stance_order}, phrases_re),
        questions=questions,
        cue_re=phrases_re(cue_questions),
        cue_questions={k: tuple(v) for k, v in cue_questions.items()},
        subject_re=phrases_re(_list(ex, "subject")),
        anaphor_subject_re=phrases_re(_list(ex, "subject_anaphors")),
        # These add words to folded phrase patterns: in either case, spelled out ("[hH]"),
        # because IGNORECASE would slow the whole pattern down.
        other_sides_re=re.compile(
            # "Russian forces fighting", "Russian soldiers had been killed".
            rf"(?:{phrases_re(_list(ex, 'other_sides')).pattern})\s+(?:[\w-]+\s+)?"
            rf"(?:(?:{trie(_AUXILIARIES, fold=True)})\s+){{0,2}}$"
        ),
        other_people_re=re.compile(
            # One word may come between ("eight Russian"), not a preposition ("in Russia's",
            # "by Ukrainian forces": the agent, not the victims).
            rf"\s*(?:(?!(?:{trie(_PREPOSITIONS, fold=True)})\b)[\w'’-]+\s+)?"
            rf"(?:{phrases_re(_list(ex, 'other_people')).pattern})"
        ),
        army_size_re=phrases_re(_list(ex, "army_size")),
        hypothetical_re=phrases_re(_list(ex, "hypothetical")),
        not_dispatched_re=phrases_re(_list(ex, "not_dispatched")),
        count_noun_re=re.compile(
            r"[\s-]*(?:[\w'’-]+\s+){0,3}?"
            rf"(?:{phrases_re(_list(terms, 'count_nouns')).pattern})"
        ),
        stance_res=tuple((s, phrases_re(_list(stances, s))) for s in stance_order),
        negation_re=re.compile(
            rf"(?:{phrases_re(_list(stances, 'negations')).pattern}|\w+[nN]['’][tT])"
            r"(?:\s+[\w'’-]+){0,5}\s*$"
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
        own_side={a: frozenset(_list(own_side, a)) for a in own_side},
        admissions_imply={q: tuple(_list(implies, q)) for q in implies},
        anaphor_re=phrases_re(anaphors),
        mention_re=phrases_re([*anaphors, *countries, *relays, *roles, *aliases]),
        mention_kinds=kinds,
        relays=relays,
        relay_re=phrases_re(relays),
        name_stopwords=frozenset(stopwords),
        cue_gate=gates.gate(cue_questions),
        subject_gate=gates.gate([*_list(ex, "subject"), *_list(ex, "subject_anaphors")]),
        other_sides_gate=gates.gate(_list(ex, "other_sides")),
        army_size_gate=gates.gate(_list(ex, "army_size")),
        hypothetical_gate=gates.gate(_list(ex, "hypothetical")),
        stance_gates=tuple(gates.gate(_list(stances, s)) for s in stance_order),
        verb_gate=gates.gate(_list(attribution, "verbs")),
        source_gate=gates.gate(_list(attribution, "sources")),
        troops=f"terms.{ex['members']}" if ex.get("members") in terms else None,
        refusal_gate=gates.gate([p for s in stance_order[:3] for p in _list(stances, s)]),
        topic_ref_gate=gates.gate(_list(ex, "topic_refs")),
    )
