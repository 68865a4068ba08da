"""Word gates: a set lookup on a text's words that rules out a phrase regex before it runs.

Pure and story-free; `lexicon` builds one per phrase list (see `tokens.words`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_PIECE = re.compile(r"\w+")


def norm(text: str) -> str:
    """The lookup key of a matched phrase: lower case, single spaces, straight apostrophes."""
    return " ".join(text.lower().replace("’", "'").split())


@dataclass(slots=True)
class Gate:
    """Words a phrase regex cannot match without: a set lookup that rules most sentences out
    before any regex runs. ``maybe`` is never False where the regex would match."""

    firsts: frozenset[str]
    prefixes: tuple[str, ...] = ()
    always: bool = False

    def maybe(self, sentence_words: frozenset[str]) -> bool:
        """False when the regex cannot match a text whose `tokens.words` are given. (A loop
        over the words beats a regex search for the prefixes in the text: measured.)"""
        if self.always or not self.firsts.isdisjoint(sentence_words):
            return True
        prefixes = self.prefixes
        return bool(prefixes) and any(w.startswith(prefixes) for w in sentence_words)


def gate(phrases: Iterable[str]) -> Gate:
    """The `Gate` of a phrase list as `phrases_re` compiles it."""
    firsts: set[str] = set()
    prefixes: set[str] = set()
    always = False
    for phrase in phrases:
        text = norm(phrase)
        pieces = _PIECE.findall(text.rstrip("*"))
        if not pieces or not _PIECE.match(text):
            always = True  # starts with a sign ("$"): no word to look for
        elif text.endswith("*") and len(pieces) == 1:
            prefixes.add(pieces[0])
        else:
            # Every whole word of a phrase is a word of the text it matches: look for the
            # longest (the rarest, roughly: "front" in "the front"), not a wildcard's stem.
            whole = pieces[:-1] if text.endswith("*") else pieces
            firsts.add(max(whole, key=len))
    return Gate(frozenset(firsts), tuple(sorted(prefixes)), always)
