"""Story packs: the data that tells the engine what one story is about.

A pack is a TOML file in ``bot/stories`` (or any path): title, relevance terms, actors with
aliases, questions with their cue words, and curated sources. Loading validates it; nothing here
knows a particular story.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

STORIES_DIR = Path(__file__).resolve().parent.parent / "stories"
DEFAULT_STORY = "nk-troops"


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    url: str
    perspective: str = ""
    tier: int = 2


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    label: str
    numeric: bool = False
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoryPack:
    id: str
    title: str
    subject_terms: tuple[str, ...]
    context_terms: tuple[str, ...]
    actors: tuple[Actor, ...]
    questions: tuple[Question, ...]
    sources: tuple[SourceSpec, ...]
    archive_path: Path | None = None
    #: The whole TOML document, for extraction settings that only the extractor reads.
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def actor(self, aid: str) -> Actor | None:
        return next((a for a in self.actors if a.id == aid), None)

    def actor_name(self, aid: str) -> str:
        actor = self.actor(aid)
        return actor.name if actor else aid

    @cached_property
    def _subject_re(self) -> re.Pattern[str]:
        return _terms_re(self.subject_terms)

    @cached_property
    def _context_re(self) -> re.Pattern[str]:
        return _terms_re(self.context_terms)

    def is_relevant(self, title: str, text: str) -> bool:
        """True when the item names the story's subject and its context (pure, cheap)."""
        blob = f"{title}\n{text}".lower()
        return bool(self._subject_re.search(blob) and self._context_re.search(blob))


def _terms_re(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``terms`` as a whole word, in lower-cased text (IGNORECASE costs twice the time).
    The lookahead on the terms' first letters lets the engine skip the other characters."""
    lowered = sorted({t.lower() for t in terms if t}, key=len, reverse=True)
    if not lowered:
        return re.compile(r"(?!x)x")
    firsts = re.escape("".join(sorted({t[0] for t in lowered})))
    alternatives = "|".join(re.escape(t) for t in lowered)
    return re.compile(rf"(?=[{firsts}])(?<![\w])(?:{alternatives})(?![\w])")


def pack_path(story: str) -> Path:
    """A story id names ``bot/stories/<id>.toml``; anything with a slash or suffix is a path."""
    if "/" in story or story.endswith(".toml"):
        return Path(story)
    return STORIES_DIR / f"{story}.toml"


def load_pack(story: str = DEFAULT_STORY) -> StoryPack:
    path = pack_path(story)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"story pack not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"story pack {path} is not valid TOML: {exc}") from exc
    return parse_pack(raw, path)


def parse_pack(raw: dict[str, Any], path: Path | None = None) -> StoryPack:
    problems: list[str] = []
    for key in ("id", "title"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            problems.append(f"'{key}' must be a non-empty string")
    relevance = raw.get("relevance", {})
    actors = tuple(
        Actor(id=a["id"], name=a.get("name", a["id"]), aliases=tuple(a.get("aliases", ())))
        for a in raw.get("actors", ())
        if _has(a, "id", problems, "actor")
    )
    questions = tuple(
        Question(
            id=q["id"],
            label=q.get("label", q["id"]),
            numeric=bool(q.get("numeric", False)),
            cues=tuple(q.get("cues", ())),
        )
        for q in raw.get("questions", ())
        if _has(q, "id", problems, "question")
    )
    sources = tuple(
        SourceSpec(
            name=s.get("name") or s["url"],
            url=s["url"],
            perspective=s.get("perspective", ""),
            tier=int(s.get("tier", 2)),
        )
        for s in raw.get("sources", ())
        if _has(s, "url", problems, "source")
    )
    if problems:
        where = f" {path}" if path else ""
        raise ConfigError(f"story pack{where} is invalid: " + "; ".join(problems))
    archive = None
    if path is not None:
        candidate = path.with_name(f"{path.stem}.archive.jsonl")
        archive = candidate if candidate.exists() else None
    return StoryPack(
        id=raw["id"],
        title=raw["title"],
        subject_terms=tuple(relevance.get("subject", ())),
        context_terms=tuple(relevance.get("context", ())),
        actors=actors,
        questions=questions,
        sources=sources,
        archive_path=archive,
        raw=raw,
    )


def _has(entry: Any, key: str, problems: list[str], what: str) -> bool:
    if isinstance(entry, dict) and isinstance(entry.get(key), str) and entry[key]:
        return True
    problems.append(f"a {what} entry has no '{key}'")
    return False
