"""The stance of a claim: the stance words in its verb and clause (actors' names blanked out),
else a negation right before its cue, else a plain assertion.

Pure and story-free: reads the stance lists of a compiled `Lexicon` and the sentence's `Scan`.
"""

from __future__ import annotations

import re
from itertools import pairwise

from bot.claims.lexicon import Lexicon
from bot.claims.scan import Scan, Span
from bot.claims.tokens import word_char

_CONFIRM = ("confirm", "verify")
_CONFIRM_WORDS = frozenset(_CONFIRM)  # what the pattern below needs
# "cannot at this point confirm": a doubt with words inside it, which no phrase list holds.
_GAPPED_DOUBT = re.compile(
    r"\b(?:cannot|can't|could not|couldn't|unable to|not able to|has not|have not)\s+"
    rf"(?:[\w'’]+\s+){{1,4}}?(?:{'|'.join(_CONFIRM)})\b",
    re.IGNORECASE,
)
# A clause whose subject is "none" ("none of them has ...", "but none had ...") negates all
# it says, however far its cue.
_NONE_HEAD = re.compile(r"[\W_]*(?:(?:and|but|yet)\s+)?none\b", re.IGNORECASE)
_CACHE_MAX = 4096  # verbs as written: they repeat, but not without end
# "no fewer than 10,000", "not more than 3,000": a figure's bound, not a negation of the claim.
_BOUND = re.compile(r"\b(?:no|not|nothing)\s+(?:fewer|less|more)\s+than\s*$", re.IGNORECASE)


class StanceReader:
    """Stances with one pack's lexicon (its memo tables live as long as it)."""

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        self._verbs: dict[str, Scan] = {}  # a verb as written, names blanked -> its scan
        self._possible: tuple[frozenset[str] | None, list[str]] = (None, [])
        stances = [name for name, _ in lex.stance_res]
        phrases = {name: lex.stance_index.phrases(name) for name in stances}
        # Where two words of a stance phrase meet across spaces: blanking a name between them
        # ("has not <name> confirmed") is the only way blanking makes a phrase appear.
        # Per list: the word before such a space -> the words after it.
        self._joins: dict[str, dict[str, set[str]]] = {}
        for name, ps in phrases.items():
            joins = self._joins[name] = {}
            for p in ps:
                for a, b in _pairs(p):
                    joins.setdefault(a.lower(), set()).add(b.lower())
        # Per set of possible stances: their joins merged, and the lengths of their first words.
        self._merged: dict[tuple[str, ...], tuple[dict[str, tuple[str, ...]], tuple[int, ...]]] = {}
        # Phrases and names that start and end with a letter or digit cannot touch each other,
        # and no phrase holds the bar: then the shortcut in `_region` is exact.
        self._simple = all(
            _word_edged(p, 0, len(p)) and "|" not in p for ps in phrases.values() for p in ps
        )

    def stance(self, sc: Scan, cs: int, ce: int, ws: frozenset[str], start: int, verb: str) -> str:
        """The stance of the claim whose cue starts at ``start`` in the clause sc.text[cs:ce]
        (``ws``: the sentence's words), said with ``verb``."""
        lex = self.lex
        # The verb may come from another clause: its words are in the sentence's words too.
        if ws is not self._possible[0]:  # the same for every clause of a sentence
            stances = zip(lex.stance_res, lex.stance_gates, strict=True)
            self._possible = (ws, [s for (s, _), g in stances if g.maybe(ws)])
        possible = self._possible[1]
        # Stance words are read in "<verb> | <clause>" with actors' names blanked out.
        region: _Region | None = None
        if possible:
            region = self._region(sc, cs, ce, verb, possible)
        if not _CONFIRM_WORDS.isdisjoint(ws) and _GAPPED_DOUBT.search(sc.text, cs, ce):
            return "doubts"
        for stance in possible:
            if stance != "confirms" and region and region.has(stance):
                return stance
        can_confirm = bool(possible) and possible[-1] == "confirms"
        # "would never forget": a confirming phrase, not a negated claim.
        b0 = cs + max(0, start - 40)
        before = sc.text[b0 : cs + start]
        if can_confirm:
            confirmed = sc.find("confirms", b0, cs + start)
            if confirmed:
                before = _blanked(sc.text, b0, cs + start, confirmed)
        # The negation regex holds a negation phrase or a "...n't" word: look for those first.
        lowered = before.lower()
        negated = sc.has("negations", b0, cs + start) or "n't" in lowered or "n’t" in lowered
        if negated and lowered.rstrip().endswith("than"):
            bound = _BOUND.search(before, max(0, len(before.rstrip()) - 24))
            before = before[: bound.start()] if bound else before
        if negated and lex.negation_re.search(before):
            return "denies"
        if _NONE_HEAD.match(sc.text, cs, cs + start):
            return "denies"  # "None of the troops has gone to the front": the whole clause
        if can_confirm and region and region.has("confirms"):
            return "confirms"
        return "asserts"

    def _region(self, sc: Scan, cs: int, ce: int, verb: str, possible: list[str]) -> _Region:
        names = sc.find("alias", cs, ce)
        if not names:
            return _Region(self.verb(verb), sc, cs, ce, [])
        text = sc.text
        if (
            not self._simple
            or not all(_word_edged(text, s, e) for s, e in names)
            or self._may_join(text, cs, ce, names, possible)
        ):
            squeezed = _squeezed(text, cs, ce, names)
            blanked = self.lex.stance_index.scan(squeezed)
            return _Region(self.verb(verb), blanked, 0, len(squeezed), [])
        # No phrase can form across a blanked name: the clause's own phrases, less those that
        # overlap a name, are what the blanked clause holds.
        return _Region(self.verb(verb), sc, cs, ce, names)

    def _may_join(
        self, text: str, cs: int, ce: int, names: list[Span], possible: list[str]
    ) -> bool:
        """Whether blanking ``names`` in text[cs:ce] may join two words of a possible stance
        phrase across the blank (a necessary condition: then the blanked clause is scanned)."""
        # Names side by side ("NIS JCS") blank into one run, with further names across it.
        if any(text[e0:s1].isspace() or e0 == s1 for (_, e0), (s1, _) in pairwise(names)):
            return True
        key = tuple(possible)
        if key not in self._merged:
            merged: dict[str, set[str]] = {}
            for name in possible:
                for a, nexts in self._joins[name].items():
                    merged.setdefault(a, set()).update(nexts)
            lengths = tuple(sorted({len(a) for a in merged}))
            self._merged[key] = ({a: tuple(bs) for a, bs in merged.items()}, lengths)
        joins, lengths = self._merged[key]
        for s, e in names:
            left, right = text[cs:s].rsplit(None, 1), text[e:ce].split(None, 1)
            if not left or not right:
                continue  # at the clause's edge: a phrase would have to hold the bar
            a = left[-1].lower().replace("’", "'")
            b = right[0].lower().replace("’", "'")
            # A phrase's word ends the word before the name; the next one starts the one after.
            for n in lengths:
                if n > len(a):
                    break
                after = joins.get(a[-n:])
                if after and b.startswith(after):
                    return True
        return False

    def verb(self, verb: str) -> Scan:
        """The stance phrases of an attribution's verb as written, names blanked (memoised)."""
        scan = self._verbs.get(verb)
        if scan is None:
            names = self.lex.index.scan(verb).find("alias")
            blanked = _blanked(verb, 0, len(verb), names) if names else verb
            scan = self.lex.stance_index.scan(blanked)
            if len(self._verbs) < _CACHE_MAX:
                self._verbs[verb] = scan
        return scan


class _Region:
    """ "<verb> | <clause>" with names blanked: the verb's scan, and the clause's phrases as
    ``scan`` holds them in [a, b), less those overlapping ``avoid`` (no phrase spans the bar)."""

    __slots__ = ("a", "avoid", "b", "scan", "verb")

    def __init__(self, verb: Scan, scan: Scan, a: int, b: int, avoid: list[Span]) -> None:
        self.verb, self.scan, self.a, self.b, self.avoid = verb, scan, a, b, avoid

    def has(self, name: str) -> bool:
        if self.verb.has(name):
            return True
        return self.scan.has(name, self.a, self.b, self.avoid)


def _word_edged(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] starts and ends with a word's character (`\\w`)."""
    return start < end and word_char(text[start]) and word_char(text[end - 1])


def _pairs(phrase: str) -> list[tuple[str, str]]:
    """Neighbouring words of a phrase: "has not confirmed" -> (has, not), (not, confirmed)."""
    words = phrase.rstrip("*").replace("’", "'").split()
    return list(pairwise(words))


def _squeezed(text: str, a: int, b: int, spans: list[Span]) -> str:
    """text[a:b] with the given spans and the whitespace around them turned into one space:
    the phrases found in it are those found with the spans blanked (`\\s+` spans any run), and
    the scan needs no offset map for runs of spaces."""
    bounds = [a, *(x for span in spans for x in span), b]
    pieces = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    inner = [p.strip() for p in pieces[1:-1]]
    return " ".join(p for p in (pieces[0].rstrip(), *inner, pieces[-1].lstrip()) if p)


def _blanked(text: str, a: int, b: int, spans: list[Span]) -> str:
    """text[a:b] with the given spans turned into spaces."""
    parts, pos = [], a
    for s, e in spans:
        parts.append(text[pos:s])
        parts.append(" " * (e - s))
        pos = e
    parts.append(text[pos:b])
    return "".join(parts)
