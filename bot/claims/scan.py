"""Find every phrase of every list in a text in one pass (an Aho-Corasick automaton, in C).

Pure and story-free. `PhraseIndex.scan` reads a text once; the `Scan` then answers, per list and
per span of the text, exactly what `lexicon.phrases_re(list).finditer(text[a:b])` would:
word-bounded, case-folded (acronyms keep their case), flexible spaces and apostrophes, a
trailing ``*`` matching any word ending, leftmost and then longest (acronyms first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import ahocorasick

from bot.claims.tokens import byte_table, translate, word_char

Span = tuple[int, int]
_OTHER = "\x01"  # stands for any character that is not a word's nor a phrase's
# A phrase occurrence: start, not an acronym, minus its end (so tuples sort as the regex
# prefers), the end of its text, the end of its wildcard's word, whether a boundary follows.
_Hit = tuple[int, bool, int, int, int, bool]
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _astral(m: re.Match[str]) -> str:
    return m.group() if _wordish(m.group()) else " "


def _wordish(c: str) -> bool:
    """What `(?<![\\w-])` and `(?![\\w-])` look for around a phrase."""
    return word_char(c) or c == "-"


class _Phrase:
    """A phrase as the automaton holds it under a key: the key's length, whether the phrase is
    an acronym (case kept) or a wildcard ("deploy*"), its text, and the lists that hold it."""

    def __init__(
        self, length: int, acronym: bool, wildcard: bool, exact: str, lists: tuple[int, ...]
    ) -> None:
        self.length = length
        self.acronym = acronym
        self.wildcard = wildcard
        self.exact = exact
        self.lists = lists


class PhraseIndex:
    """Named phrase lists compiled into one automaton (once per story pack)."""

    def __init__(
        self,
        lists: Mapping[str, Iterable[str]],
        regex: Callable[[Iterable[str]], re.Pattern[str]],
    ) -> None:
        """``regex``: `lexicon.phrases_re`, for the rare span that starts inside a word."""
        self._compile = regex
        self.names = {name: no for no, name in enumerate(lists)}
        self._phrases = [sorted({p.strip() for p in ps if p.strip()}) for ps in lists.values()]
        self._regexes: dict[int, re.Pattern[str]] = {}
        letters = {c for ps in self._phrases for p in ps for c in p if c.isalpha()}
        fold: dict[int, str] = {ord(c.upper()): c.lower() for c in letters if len(c.upper()) == 1}
        fold.update((ord(c), c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        # Characters a phrase holds besides letters, digits and spaces ("'", ".", "$") are kept;
        # whitespace becomes a space, and any other character outside words a placeholder.
        marks = {c for ps in self._phrases for p in ps for c in p.rstrip("*")}
        marks = {c for c in marks if not (_wordish(c) or c.isspace())} | {"'"}
        table: dict[int, str] = {}
        for i in range(0x10000):
            c = chr(i)
            if c.isspace():
                table[i] = " "
            elif c in "’":
                table[i] = "'"
            elif not _wordish(c) and c not in marks:
                table[i] = _OTHER
        table.update(fold)
        self._table = table
        self._ascii_table = byte_table(table)
        self._stops = frozenset({" ", _OTHER, *marks})  # what may follow a phrase
        auto: Any = ahocorasick.Automaton()
        # key -> (length, acronym, wildcard, phrase) -> the lists that hold that phrase
        entries: dict[str, dict[tuple[int, bool, bool, str], list[int]]] = {}
        for no, phrases in enumerate(self._phrases):
            for p in phrases:
                acronym = len(p) > 1 and p.upper() == p and any(c.isalpha() for c in p)
                wildcard = p.endswith("*")
                body = " ".join(p.rstrip("*").split()).replace("’", "'")
                key = (body if acronym else body.lower()).translate(table)
                # What may come before a phrase: a space (or the start) or another non-word.
                for before in sorted(self._stops):
                    variants = entries.setdefault(before + key, {})
                    variants.setdefault((len(key), acronym, wildcard, body), []).append(no)
        for key, variants in entries.items():
            auto.add_word(key, tuple(_Phrase(*v, tuple(nos)) for v, nos in variants.items()))
        auto.make_automaton()
        self._auto = auto

    def phrases(self, name: str) -> list[str]:
        """The phrases of a list, stripped and deduplicated."""
        return list(self._phrases[self.names[name]])

    def regex(self, name: str) -> re.Pattern[str]:
        """The list as `phrases_re` compiles it (for spans that start inside a word)."""
        no = self.names[name]
        if no not in self._regexes:
            self._regexes[no] = self._compile(self._phrases[no])
        return self._regexes[no]

    def scan(self, text: str) -> Scan:
        """Every phrase occurrence in ``text`` (one pass)."""
        folded = translate(text, self._table, self._ascii_table)
        if not folded.isascii() and _ASTRAL.search(folded):
            folded = _ASTRAL.sub(_astral, folded)
        index: list[int] | None = None
        if "  " in folded:
            # `\s+` in a phrase spans any run of spaces: match on one space, map offsets back.
            index = [i for i, c in enumerate(folded) if c != " " or i == 0 or folded[i - 1] != " "]
            folded = "".join(folded[i] for i in index)
        n = len(text)
        stops = self._stops
        padded = f" {folded} "
        # Per list (by number), its hits; an empty tuple where it has none.
        by_list: list[list[_Hit] | tuple[()]] = [()] * len(self.names)
        # `last` is the phrase's last character in `padded`: one past its end in `folded`.
        for item in self._auto.iter(padded):
            # Typed, so the compiled module reads the pair and the phrases without iterating.
            last, found = cast(tuple[int, tuple[_Phrase, ...]], item)
            bounded = padded[last + 1] in stops
            for phrase in found:
                length, acronym, wildcard = phrase.length, phrase.acronym, phrase.wildcard
                exact, lists = phrase.exact, phrase.lists
                s, e = last - length, last
                if index is not None:
                    s, e = index[s], index[e - 1] + 1
                if acronym and not _same(text[s:e], exact):
                    continue
                run, right = e, bounded
                if wildcard:
                    while run < n and word_char(text[run]):
                        run += 1  # the rest of the word (`\\w*`)
                    right = run == n or not _wordish(text[run])
                hit = (s, not acronym, -run, e, run, right)
                for no in lists:
                    hits = by_list[no]
                    if hits:
                        cast(list[_Hit], hits).append(hit)
                    else:
                        by_list[no] = [hit]
        for hits in by_list:
            if len(hits) > 1:
                # leftmost first; at one start an acronym first, then the longest
                cast(list[_Hit], hits).sort()
        return Scan(self, text, by_list)


def _same(written: str, acronym: str) -> bool:
    return " ".join(written.replace("’", "'").split()) == acronym


class Scan:
    """The phrase occurrences of one text; per list, regex-equivalent matches in any span."""

    __slots__ = ("_by_list", "_index", "text")

    def __init__(
        self, index: PhraseIndex, text: str, by_list: list[list[_Hit] | tuple[()]]
    ) -> None:
        self._index = index
        self.text = text
        self._by_list = by_list

    def find(self, name: str, a: int = 0, b: int | None = None) -> list[Span]:
        """What ``phrases_re(list).finditer(text[a:b])`` matches, as spans of ``text``."""
        text = self.text
        b = len(text) if b is None else b
        out: list[Span] = []
        pos = a
        if a > 0 and _wordish(text[a - 1]):
            # The span starts inside a word: a phrase may start right there.
            m = self._index.regex(name).match(text[a:b])
            if m:
                out.append((a, a + m.end()))
                pos = a + m.end()
        for s, _, _, stem, run, right in self._by_list[self._index.names[name]]:
            if s < pos:
                continue
            if s >= b:
                break
            if run <= b:
                if not right and run != b:
                    continue
                e = run
            elif stem < run and stem <= b:
                e = b  # a wildcard's `\w*` stops at the end of the span
            else:
                continue
            out.append((s, e))
            pos = e
        return out

    def search(self, name: str, a: int = 0, b: int | None = None) -> Span | None:
        """The first match of ``phrases_re(list).search(text[a:b])``, as a span of ``text``."""
        found = self.find(name, a, b)
        return found[0] if found else None

    def has(
        self, name: str, a: int = 0, b: int | None = None, avoid: list[Span] | None = None
    ) -> bool:
        """Whether ``phrases_re(list).search(text[a:b])`` matches (`find`, without the list);
        with ``avoid``, whether a phrase not overlapping those spans is there."""
        text = self.text
        b = len(text) if b is None else b
        for s, _, _, stem, run, right in self._by_list[self._index.names[name]]:
            if s < a:
                continue
            if s >= b:
                break
            valid = (run <= b and (right or run == b)) or (run > b and stem < run and stem <= b)
            if valid and (not avoid or all(min(run, b) <= s0 or s >= e0 for s0, e0 in avoid)):
                return True
        if a == 0 or not _wordish(text[a - 1]):
            return False
        m = self._index.regex(name).match(text[a:b])
        # With ``avoid``, a phrase starting right at ``a`` must miss the spans (callers start
        # spans at a clause's separator, where no phrase starts).
        assert not (m and avoid), "a span starting inside a word, with spans to avoid"
        return m is not None
