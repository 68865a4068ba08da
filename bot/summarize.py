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


#: "About two sentences": a third only when the first two are short.
MAX_SENTENCES = 3
SHORT = 150


def _containing(sents: list[str], quote: str) -> int | None:
    """The index of the sentence that holds ``quote`` (compared without case, spacing and
    punctuation), else None."""
    q = _norm(quote)
    if not q:
        return None
    for i, s in enumerate(sents):
        if q in _norm(s):
            return i
    return None


def summarize(title: str, text: str, claims: Iterable[Claim] = (), limit: int = LIMIT) -> str:
    """The sentences holding the claims first (in the order they appear), then the lead;
    about two sentences, up to ``limit`` characters. A sentence that only repeats the title
    is skipped."""
    sents = [s.strip() for s in sentences(text) if s.strip()]
    picked: list[int] = []
    loose: list[str] = []  # quotes found in no sentence (a quote the extractor trimmed)
    for c in claims:
        if not c.quote.strip():
            continue
        i = _containing(sents, c.quote)
        if i is None:
            quote = _SPACE.sub(" ", c.quote).strip()
            if quote not in loose:
                loose.append(quote)
        elif i not in picked:
            picked.append(i)
    chosen = [sents[i] for i in sorted(picked)] + loose
    chosen += [s for i, s in enumerate(sents) if i not in picked]
    title_key = _norm(title)
    chosen = [s for s in chosen if _norm(s) != title_key]
    out = ""
    for n, s in enumerate(chosen):
        candidate = f"{out} {s}".strip()
        if len(candidate) > limit:
            if not out:
                out = _cut(s, limit)
            break
        out = candidate
        if n + 1 >= MAX_SENTENCES or (n + 1 >= 2 and len(out) > SHORT):
            break
    return out


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


def _cut(s: str, limit: int) -> str:
    if len(s) <= limit:
        return s
    cut = s[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
