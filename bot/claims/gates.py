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
    owner: GateSet | None = None  # the set this gate was made in, which reads all at once
    bit: int = 0  # this gate's bit in its owner's masks

    def maybe(self, sentence_words: frozenset[str]) -> bool:
        """False when the regex cannot match a text whose `tokens.words` are given. (A loop
        over the words beats a regex search for the prefixes in the text: measured.)"""
        if self.always:
            return True
        owner = self.owner
        if owner is not None:
            if owner.mask(sentence_words) & self.bit:
                return True
        elif not self.firsts.isdisjoint(sentence_words):
            return True
        prefixes = self.prefixes
        return bool(prefixes) and any(w.startswith(prefixes) for w in sentence_words)


class GateSet:
    """The gates of one lexicon, read together: a sentence's words are looked up once, for
    the bits of the gates each word opens, and every gate asked of the same words reads its
    bit (a dozen gates are asked of a claim's sentence)."""

    def __init__(self) -> None:
        self._bits: dict[str, int] = {}  # a gate's word -> the bits of the gates it opens
        self._words: frozenset[str] = frozenset()
        self._count = 0
        # The last words read and their mask, one tuple: replaced whole, never seen half-set.
        self._last: tuple[frozenset[str] | None, int] = (None, 0)

    def gate(self, phrases: Iterable[str]) -> Gate:
        """`gate` of the phrases, answered through this set."""
        made = gate(phrases)
        made.owner, made.bit = self, 1 << self._count
        self._count += 1
        for word in made.firsts:
            self._bits[word] = self._bits.get(word, 0) | made.bit
        self._words = frozenset(self._bits)
        return made

    def mask(self, sentence_words: frozenset[str]) -> int:
        """The bits of the gates whose words ``sentence_words`` holds (prefixes aside)."""
        last = self._last
        if last[0] is sentence_words:
            return last[1]
        bits = self._bits
        found = 0
        for word in sentence_words & self._words:
            found |= bits[word]
        self._last = (sentence_words, found)
        return found


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
