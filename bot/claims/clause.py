"""One clause of a claim sentence: its question cues, the figure that goes with each cue, the
stance, and the claims they make with the attribution that governs them.

Pure and story-free: reads a compiled `Lexicon` and the sentence's `Scan` (every phrase found in
one pass), so no phrase list is searched twice.
"""

from __future__ import annotations

import re
from dataclasses import fields

from bot.claims.attribution import CONT, LEAD, SOURCE, TRAIL, Anchor
from bot.claims.lexicon import Lexicon, lookup
from bot.claims.numbers import Number, find_numbers, may_hold_numbers
from bot.claims.scan import Scan
from bot.claims.stance import StanceReader
from bot.claims.tokens import has_digit, lowered, positions
from bot.models import Claim, Published

MEDIA = "media"
# (Both run on the lower-cased sentence, without IGNORECASE, under which the engine is slower.)
# The words after a comma that open a clause of their own.
_CLAUSE_OPENERS = (
    "and", "but", "while", "whereas", "although", "though", "adding", "saying", "noting",
    "suggesting", "indicating", "meaning", "as well as", "according",
)  # fmt: skip
_AFTER_COMMA_RX = rf"\s+(?:{'|'.join(_CLAUSE_OPENERS)})\b"
# Every branch starts with ";", "," or a space: the lookahead lets the engine skip other text.
_CLAUSE = re.compile(
    rf"(?=[;,\s])(?:;|,{_AFTER_COMMA_RX}|\s+but\s+(?!also\b)|\s+while\s+|,?\s+and\s+that\b)"
)
# The branches of `_CLAUSE` that need no word of the sentence but those after a comma: where
# the sentence has no "but", "while" nor "and ... that", they are all that can match: a ";",
# or a "," that this pattern matches after.
_AFTER_COMMA = re.compile(_AFTER_COMMA_RX)
_JOINERS = frozenset(["but", "while"])
_MODALS = ("may", "might", "could")
REFUSALS = ("denies", "doubts", "deflects")  # the stances that refuse a claim
# Between two figures, what makes the first a part of the second ("4,000 of the roughly").
_PART_OF = re.compile(
    r"\s+(?:out\s+)?of\s+(?:the|an?|its|their|those|some)?\s*(?:estimated|roughly|about|some|"
    r"approximately|around|nearly|reported|total of)?\s*",
    re.IGNORECASE,
)
_APPOSITIVE = " \t\n,;—–-"
_NO_SUBJECT = re.compile(
    r"[\s,]*(?:but|and|while|yet)\s+(?:have|has|had|were|was|are|is|did|do|does|could|would|"
    r"will|can|cannot|may|might|not|never|also|then|none)\b",
    re.IGNORECASE,
)
# A figure heading a plural noun of its own counts that noun ("five military training grounds").
_OWN_NOUN = re.compile(r"\s+(?:[a-z][a-z-]*\s+){0,2}[a-z][a-z-]*s\b")
# Noun-less figures that count soldiers all the same: "a second wave of about 1,500",
# "8,000 of them", "the roughly 11,000 it sent".
_GROUP_NOUNS = ("group", "contingent", "batch", "wave", "detachment", "deployment", "dispatch",
                "rotation")  # fmt: skip
_TOTAL_NOUNS = ("number", "figure", "total", "tally", "count")
# The qualifiers such a figure may take ("a contingent of about 2,600").
_ROUGHLY = (
    r"(?:about|around|roughly|some|nearly|up to|more than|at least|over|an estimated|"
    r"approximately|as many as|no fewer than|close to)"
)
_GROUP_OF = re.compile(
    rf"\b(?:{'|'.join(_GROUP_NOUNS)})s?,?\s+(?:of|numbering|totall?ing)\s+{_ROUGHLY}?\s*$",
    re.IGNORECASE,
)
# The words each search needs: a set lookup rules it out on most text.
_GROUP_WORDS = frozenset(w + s for w in _GROUP_NOUNS for s in ("", "s"))
_TOTAL_WORDS = frozenset(_TOTAL_NOUNS)
# "expected the number to rise to as many as 15,000": the figure a counted number grows to.
_GROWS_TO = re.compile(
    rf"\b(?:{'|'.join(_TOTAL_NOUNS)})\b[^.;:\d]{{0,40}}?\b(?:rise|rises|rising|grow|grows|"
    r"growing|increase|increases|increasing|climb|climbs|reach|reaches|swell|swells|go up)\s+"
    rf"(?:to\s+)?{_ROUGHLY}?\s*$",
    re.IGNORECASE,
)
_PHRASE_END = re.compile(
    r"[,;:]|\b(?:to|in|for|from|into|at|on|near|since|after|before|as|and|while)\b",
    re.IGNORECASE,
)
# "the troops now number at least 10,000": "number" as a verb, with a qualifier (a bare
# "number 10,000" is a label, left out by the number finder).
_NUMBER_VERB = re.compile(rf"(?<!the )(?<!a )\bnumber(?:s|ed|ing)?\s+{_ROUGHLY}\s*$")
_OF_THEM = re.compile(r"\s+of\s+(?:them|those|these)\b", re.IGNORECASE)
_THE_BEFORE = re.compile(r"\bthe\s+(?:[a-z]+\s+)?$", re.IGNORECASE)
_CLAUSE_STOP = re.compile(r"[,;:]")
_NEAR_BEFORE, _NEAR_AFTER, _HEAD, _SUBJECT_BEFORE = 45, 45, 40, 90
_RELATIVE = re.compile(r"(?:\s+(?:that|who|which|whom|it|they|we|he|she))+\s*", re.IGNORECASE)
_HELPER_TO_CUE = re.compile(
    r"(?:\s+[\w'’-]+){0,6}?\s+(?:have|has|had|were|was|are|is|been|being)\b[^,;:()\d]*"
)
_CACHE_MAX = 4096  # entries per memo table: cues repeat, but not without end
# A question found in a clause: its id, the cue's start and end in the clause, its figure.
Found = tuple[str, int, int, "Number | None"]


class Who:
    """Who a stretch of a sentence is attributed to, and the verb that says so (a plain class:
    compiled, its __init__ is native code)."""

    def __init__(
        self, actors: tuple[str, ...], speaker: str | None, confidence: float, verb: str = ""
    ) -> None:
        self.actors = actors
        self.speaker = speaker
        self.confidence = confidence
        self.verb = verb


# `Draft.claim` passes a claim's fields by position: in this order.
assert [f.name for f in fields(Claim)] == [
    "question", "actor", "stance", "value", "value_high", "qualifier", "speaker", "quote",
    "confidence", "said_at",
], "Claim's fields moved: update Draft.claim"  # fmt: skip


class Draft:
    """A claim while its item is read: `Claim`'s fields in a compiled class, whose __init__ is
    native code (a frozen dataclass's runs in the interpreter, several times slower). Half the
    drafts of an item are dropped as duplicates; those kept become claims."""

    def __init__(
        self,
        question: str,
        actor: str,
        stance: str,
        value: float | None,
        value_high: float | None,
        qualifier: str | None,
        speaker: str | None,
        quote: str,
        confidence: float,
    ) -> None:
        self.question = question
        self.actor = actor
        self.stance = stance
        self.value = value
        self.value_high = value_high
        self.qualifier = qualifier
        self.speaker = speaker
        self.quote = quote
        self.confidence = confidence

    def claim(self, said_at: Published) -> Claim:
        # By position, in `Claim`'s field order (keywords cost the interpreter a third more).
        return Claim(
            self.question, self.actor, self.stance, self.value, self.value_high,
            self.qualifier, self.speaker, self.quote, self.confidence, said_at,
        )  # fmt: skip


class Clause:
    """A span of a sentence, with its figures once found and those a cue has taken."""

    def __init__(self, start: int, end: int, words: frozenset[str]) -> None:
        self.start = start
        self.end = end
        self.words = words  # the whole sentence's words: a superset, for gates
        self.numbers: list[Number] | None = None
        self.used: set[int] = set()
        self.listed: set[int] = set()  # starts of cues whose figures belong to later cues


def clauses(sentence: str, ws: frozenset[str]) -> list[Clause]:
    out: list[Clause] = []
    start = 0
    if not _JOINERS.isdisjoint(ws) or ("and" in ws and "that" in ws):
        cuts = [m.start() for m in _CLAUSE.finditer(lowered(sentence))]
    else:
        # Only ";" and "," can start a clause.
        commas = positions(sentence, ",")
        if commas:
            low = lowered(sentence)
            commas = [i for i in commas if _AFTER_COMMA.match(low, i + 1)]
        cuts = sorted(positions(sentence, ";") + commas)
    for cut in cuts:
        out.append(Clause(start, cut, ws))
        start = cut
    out.append(Clause(start, len(sentence), ws))
    return out


class ClauseReader:
    """The claims of one clause, with one pack's lexicon (memo tables live as long as it)."""

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        self._cues: dict[str, tuple[str, ...]] = {}  # matched cue text -> questions
        self.stances = StanceReader(lex)

    def claims(
        self, sc: Scan, clause: Clause, anchors: list[tuple[Anchor, Who]], headline: bool
    ) -> list[Draft]:
        lex = self.lex
        sentence = sc.text
        cs = clause.start
        text = sentence[cs : clause.end]
        ws = clause.words
        other_sides = lex.other_sides_gate.maybe(ws)
        hypothetical = lex.hypothetical_gate.maybe(ws)
        needs: dict[str, bool] = {}
        found: list[Found] = []
        asked: set[int] = set()  # starts of cues in a question
        for c0, c1 in sc.find("cue", cs, clause.end):
            m_start, m_end = c0 - cs, c1 - cs
            if not headline and sentence[c0].isupper() and _in_name(sentence, c0, c1):
                continue  # "the 11th Air Assault Brigade": part of a name
            for qid in self._questions(sentence[c0:c1]):
                rule = lex.questions[qid]
                if rule.needs is not None:
                    if qid not in needs:
                        gate = rule.needs_gate
                        assert gate is not None
                        # "The troops are training but have not gone into battle": a clause
                        # with no subject of its own shares the one before it.
                        n0 = 0 if _NO_SUBJECT.match(text) else cs
                        needs[qid] = gate.maybe(ws) and sc.has(rule.needs, n0, clause.end)
                    if not needs[qid]:
                        continue
                n0, n1 = max(0, c0 - 120), c1 + 40
                if not (
                    sc.has("subject", n0, n1)
                    or sc.has("anaphor_subject", n0, n1)
                    # "North Korea sent ..., while 4,000 soldiers were killed": soldiers near
                    # the cue, the subject earlier in the sentence.
                    or (lex.troops is not None and sc.has(lex.troops, n0, n1)
                        and sc.has("subject", 0, c0))
                ):  # fmt: skip
                    continue  # the cue is about someone else ("Russia and Ukraine swapped ...")
                before = text[:m_start]
                if (
                    other_sides
                    and not rule.done_by_others
                    and lex.other_sides_re.search(before[-40:])
                ):
                    continue  # "Russian forces fighting": about someone else
                if (hypothetical and lex.hypothetical_re.search(before)) or _modal(before):
                    # "if", "whether", "how many", "may send": asked or possible, not claimed,
                    # unless the answer refuses it ("asked whether ..., he could not confirm it").
                    asked.add(m_start)
                if rule.value == "near" and lex.other_people_re.match(text, m_end):
                    continue  # "killed eight Russian soldiers": the victims are someone else
                number = None
                if rule.value == "near":
                    number = self._near(sc, text, clause, m_start, m_end, rule.max_value)
                    if number is None and m_start in clause.listed:
                        continue  # "losses at 300 killed and 2,700 wounded": the parts say it
                found.append((qid, m_start, m_end, number))
        found.extend(self._counts(sc, text, clause))
        subsumed = {s for q, c, *_ in found if c not in asked for s in lex.questions[q].subsumes}
        claims: list[Draft] = []
        for qid, start, _end, number in found:
            if qid in subsumed:
                continue
            rule = lex.questions[qid]
            if rule.value == "count" and number is None:
                continue
            who = govern(anchors, cs + start)
            if who is None:
                if not headline:
                    continue
                who = Who((MEDIA,), None, 0.4)
            stance = self.stances.stance(
                sc, clause.start, clause.end, clause.words, start, who.verb
            )
            if start in asked and stance not in REFUSALS:
                continue
            for actor in who.actors:
                confidence = round(who.confidence - (0.1 if headline else 0.0), 2)
                own = lex.own_side.get(actor, frozenset())
                admits = qid in own and stance in ("asserts", "confirms")
                claims.append(
                    Draft(
                        qid,
                        actor,
                        # What a side says of its own troops it admits.
                        "confirms" if admits else stance,
                        number.value if number else None,
                        number.value_high if number else None,
                        number.qualifier if number else None,
                        who.speaker,
                        sentence,
                        confidence,
                    )
                )
                if admits:
                    # An admission admits what it implies (to have fought there is to have been
                    # sent): news of the admission is news of both.
                    claims.extend(
                        Draft(s, actor, "confirms", None, None, None, who.speaker, sentence,
                              confidence)
                        for s in lex.admissions_imply.get(qid, ())
                        if s in own
                    )  # fmt: skip
        return claims

    def _questions(self, cue: str) -> tuple[str, ...]:
        """The questions a matched cue asks (memoised: `lookup` walks the wildcards)."""
        qids = self._cues.get(cue)
        if qids is None:
            qids = lookup(self.lex.cue_questions, cue) or ()
            if len(self._cues) < _CACHE_MAX:
                self._cues[cue] = qids
        return qids

    def asked(self, sc: Scan, a: int, b: int) -> list[str]:
        """The questions the cues in sc.text[a:b] ask."""
        return [q for c0, c1 in sc.find("cue", a, b) for q in self._questions(sc.text[c0:c1])]

    def _near(
        self, sc: Scan, text: str, clause: Clause, start: int, end: int, max_value: float | None
    ) -> Number | None:
        """The unused figure right before a cue ("400 ... killed"), else right after it."""
        numbers = _numbers(text, clause)
        cs = clause.start
        best: Number | None = None
        for n in numbers:
            if n.start in clause.used or (max_value is not None and n.value > max_value):
                continue
            if n.end <= start and self._goes_with(text, n, start):
                if self._owned(sc, cs + n.end, cs + start) or _other_people(self.lex, text, n):
                    continue  # another cue owns it, or it counts someone else
                best = n
            elif best is None and n.start >= end and n.start - end <= _NEAR_AFTER:
                if self._owned(sc, cs + end, cs + n.start) or _other_people(self.lex, text, n):
                    continue
                if self._cue_follows(sc, text, clause, n):
                    # "losses at about 300 killed and 2,700 wounded": 300 is "killed"'s figure
                    clause.listed.add(start)
                    continue
                best = n
                break
        if best is not None:
            # "4,000 of the roughly 11,000 troops ... killed": the part is the cue's figure.
            part = next((n for n in numbers if n.end <= best.start and n.start not in clause.used
                         and _PART_OF.fullmatch(text, n.end, best.start)), None)  # fmt: skip
            best = part or best
            clause.used.add(best.start)
        return best

    def _cue_follows(self, sc: Scan, text: str, clause: Clause, n: Number) -> bool:
        """Whether a cue that takes a figure of its own comes right after figure ``n``, maybe
        after its noun ("300 killed", "100 soldiers killed"): the figure is that cue's."""
        cs = clause.start
        for c0, c1 in sc.find("cue", cs + n.end, min(clause.end, cs + n.end + 40)):
            if not self._owned(sc, c0, c1):
                return False
            noun = self.lex.count_noun_re.match(text, n.end, c0 - cs)
            if text[noun.end() if noun else n.end : c0 - cs].strip():
                return False
            # ("captured two wounded soldiers": an adjective before its noun is not the cue.)
            return noun is not None or self.lex.count_noun_re.match(text, c1 - cs) is None
        return False

    def _goes_with(self, text: str, n: Number, cue: int) -> bool:
        """Whether figure ``n``, before a cue, is the cue's: close by, naming no soldiers
        ("400 killed") or the cue's soldiers ("300 troops killed", "the two soldiers it
        captured"); or further back as the subject of the cue's verb ("1,100 soldiers are
        estimated to have been killed"). Not soldiers sent for something else ("2,000
        soldiers sent to replace its losses")."""
        gap = cue - n.end
        if gap > _SUBJECT_BEFORE:
            return False
        noun = self.lex.count_noun_re.match(text, n.end, cue)
        # ("30 men, killed or wounded": an appositive after a comma or a dash is still next to it.)
        if noun is None or not text[noun.end() : cue].strip(_APPOSITIVE):
            return gap <= _NEAR_BEFORE
        if _HELPER_TO_CUE.fullmatch(text, noun.end(), cue):
            return True
        return gap <= _NEAR_BEFORE and _RELATIVE.fullmatch(text, noun.end(), cue) is not None

    def _owned(self, sc: Scan, a: int, b: int) -> bool:
        """Whether a cue that takes a figure of its own stands in sc.text[a:b] ("sent" takes
        none: "11,000 soldiers it sent have been killed")."""
        questions = self.lex.questions
        return any(questions[q].value == "near" for q in self.asked(sc, a, b))

    def _counts(self, sc: Scan, text: str, clause: Clause) -> list[Found]:
        """Figures that name soldiers: "12,000 troops", "sent 1,500", "soldiers, about 3,000"."""
        lex = self.lex
        cs = clause.start
        out: list[Found] = []
        army = lex.army_size_gate.maybe(clause.words)
        for qid, rule in lex.questions.items():
            if rule.value != "count":
                continue
            for n in _numbers(text, clause):
                if n.start in clause.used:
                    continue
                if rule.max_value is not None and (n.value_high or n.value) > rule.max_value:
                    continue
                if army and lex.army_size_re.search(text[max(0, n.start - 30) : n.start]):
                    continue  # "a military force of 1.2 million troops": an army, not a dispatch
                others = _other_people(lex, text, n)  # "20 people", "8 Russian soldiers"
                tail_ok = lex.count_noun_re.match(text, n.end) is not None and not others
                if not tail_ok:
                    # "8,000 of the estimated 10,000 soldiers": a part of a troop figure.
                    whole = next((m for m in _numbers(text, clause) if m.start > n.end), None)
                    tail_ok = bool(
                        whole
                        and _PART_OF.fullmatch(text, n.end, whole.start)
                        and lex.count_noun_re.match(text, whole.end)
                        and not _other_people(lex, text, whole)
                    ) or self._nounless(sc, text, clause, n, rule.subsumes)
                h0, h1 = cs + max(0, n.start - _HEAD), cs + n.start
                head_ok = bool(
                    not has_digit(sc.text[h0:h1])
                    and (
                        (rule.needs is not None and sc.has(rule.needs, h0, h1))
                        or not set(rule.subsumes).isdisjoint(self.asked(sc, h0, h1))
                    )
                )
                if not (tail_ok or head_ok):
                    continue  # (the checks below only ever turn a figure away)
                if lex.not_dispatched_re.search(text, n.end, n.end + 50):
                    continue  # "18 soldiers deserted": counts something else
                if others or self._casualty_figure(sc, text, clause, n):
                    continue  # "captured two soldiers", "2,000 wounded soldiers": not sent
                if not tail_ok and _OWN_NOUN.match(text, n.end):
                    continue  # "they are trained at five military training grounds"
                clause.used.add(n.start)
                out.append((qid, n.start, n.end, n))
        return out

    def _casualty_figure(self, sc: Scan, text: str, clause: Clause, n: Number) -> bool:
        """Whether a casualty or capture cue stands right before the figure ("captured two",
        "lost more than a thousand") or in its phrase before the next figure ("2,000 wounded
        soldiers", "the two soldiers held by Ukraine"). Not for the whole of a part ("4,000 of
        the roughly 11,000 soldiers it sent have been killed": 11,000 were sent)."""
        cs = clause.start
        if self._owned(sc, cs + max(0, n.start - 20), cs + n.start):
            return True
        numbers = _numbers(text, clause)
        if any(m.end <= n.start and _PART_OF.fullmatch(text, m.end, n.start) for m in numbers):
            return False
        b = min(len(text), n.end + 45)
        for m in numbers:
            if m.start >= n.end and not _other_people(self.lex, text, m):
                b = min(b, m.start)  # up to the next figure
                break
        # Within the figure's own phrase ("2,000 more soldiers in March to replace its losses").
        stop = _PHRASE_END.search(text, n.end, b)
        return self._owned(sc, cs + n.end, cs + (stop.start() if stop else b))

    def _nounless(
        self, sc: Scan, text: str, clause: Clause, n: Number, subsumes: tuple[str, ...]
    ) -> bool:
        """A figure with no noun of its own that still counts soldiers: "a first group of
        about 2,600", "8,000 of them" or "the total could grow to 15,000" (soldiers named
        before), "the 11,000 it sent" (a cue of ``subsumes`` after it)."""
        cs, ws = clause.start, clause.words
        # (The word sets rule the searches out where they cannot match: most text.)
        if not _GROUP_WORDS.isdisjoint(ws) and _GROUP_OF.search(
            text, max(0, n.start - 40), n.start
        ):
            return True
        if (
            _OF_THEM.match(text, n.end)
            or (
                not _TOTAL_WORDS.isdisjoint(ws)
                and _GROWS_TO.search(text, max(0, n.start - 80), n.start)
            )
            or ("number" in text and _NUMBER_VERB.search(text, max(0, n.start - 30), n.start))
        ):
            troops = self.lex.troops
            return troops is not None and sc.has(troops, 0, cs + n.start)
        if not _THE_BEFORE.search(text, max(0, n.start - 24), n.start):
            return False
        a = cs + n.end
        b = min(len(sc.text), a + 60)
        stop = _CLAUSE_STOP.search(sc.text, a, b)
        b = stop.start() if stop else b
        asked = self.asked(sc, a, b)
        return any(s in asked for s in subsumes)


def _numbers(text: str, clause: Clause) -> list[Number]:
    if clause.numbers is None:
        holds = may_hold_numbers(text, clause.words)
        clause.numbers = find_numbers(text, clause.words) if holds else []
    return clause.numbers


def _modal(before: str) -> bool:
    """Whether a modal of possibility comes right before a cue ("Pyongyang may send more
    troops", "could deploy"): a possibility, not a claim. Lower case only: "in May" is a date."""
    tail = before.rstrip()
    return tail.endswith(_MODALS) and tail[tail.rfind(" ") + 1 :] in _MODALS


def _in_name(sentence: str, start: int, end: int) -> bool:
    """Whether the capitalised words at sentence[start:end], not opening the sentence, stand
    in a run of capitalised words (a unit's or a place's name)."""
    before = sentence[:start].rstrip()
    if not before or before[-1] in '.:;!?"“':
        return False  # the sentence's (or a quote's) first word
    prev = before.rsplit(None, 1)[-1]
    after = sentence[end:].split(None, 1)
    return prev[:1].isupper() or (bool(after) and after[0][:1].isupper())


def _other_people(lex: Lexicon, text: str, n: Number) -> bool:
    """True when a figure counts someone else: "20 people", "8 Russian soldiers"."""
    return lex.other_people_re.match(text, n.end) is not None


def govern(anchors: list[tuple[Anchor, Who]], pos: int) -> Who | None:
    """Which attribution covers the text at ``pos`` (see module docstring of attribution)."""
    if not anchors:
        return None
    before = [(a, w) for a, w in anchors if a.end <= pos and a.kind in (LEAD, CONT)]
    trail_between = before and any(
        a.kind == TRAIL and before[-1][0].end <= a.start < pos for a, _ in anchors
    )
    if before and not trail_between:
        return before[-1][1]
    after = [(a, w) for a, w in anchors if a.start >= pos and a.kind == TRAIL]
    if after:
        return after[0][1]
    prior = [(a, w) for a, w in anchors if a.end <= pos and a.kind == TRAIL]
    if prior:
        return prior[-1][1]
    sources = [w for a, w in anchors if a.kind == SOURCE]
    if sources:
        return sources[0]
    return before[-1][1] if before else None
