"""Item -> short extractive summary (about two sentences, under ~300 characters).

Pure: the sentences that carry the item's claims come first, else the lead. The text is
already plain (the parser strips HTML); this only picks and trims sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.claims.sentences import split_sentences
from bot.models import Claim

LIMIT = 300
_SPACE = re.compile(r"\s+")


def sentences(text: str) -> list[str]:
    return [_SPACE.sub(" ", text[a:b]) for a, b in split_sentences(text)]


def summarize(title: str, text: str, claims: Iterable[Claim] = (), limit: int = LIMIT) -> str:
    """Claim sentences first (in the order they appear), then the lead, up to ``limit``."""
    sents = sentences(text)
    quotes = [_SPACE.sub(" ", c.quote).strip() for c in claims if c.quote]
    chosen: list[str] = []
    for q in quotes:
        if q and q not in chosen:
            chosen.append(q)
    for s in sents:
        if s not in chosen:
            chosen.append(s)
    if _norm(chosen[0] if chosen else "") == _norm(title):
        chosen = chosen[1:]
    out = ""
    for s in chosen:
        candidate = f"{out} {s}".strip()
        if len(candidate) > limit:
            if not out:
                out = _cut(s, limit)
            break
        out = candidate
        if len(out) > limit * 0.6:
            break
    return out


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


def _cut(s: str, limit: int) -> str:
    if len(s) <= limit:
        return s
    cut = s[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
