"""Rule-based claim extraction driven by a story pack: item text in, `Claim` records out.

Pure: no I/O, no story knowledge (actors, cues and stance words come from the pack's TOML).
Per sentence: find who speaks (attribution.py), then per clause the question cues, the figure
that goes with each cue (numbers.py) and the stance; a sentence nobody is said to speak for
yields nothing, except the headline, which is the outlet's own voice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.claims.attribution import CONT, LEAD, SOURCE, TRAIL, Anchor, find_anchors, find_mentions
from bot.claims.lexicon import Lexicon, QuestionRule, compile_lexicon, lookup
from bot.claims.numbers import Number, find_numbers, may_hold_numbers
from bot.claims.pack import StoryPack
from bot.claims.sentences import split_sentences
from bot.claims.tokens import words
from bot.models import POLARITY, Claim, Published

MEDIA = "media"
# Every branch starts with ";", "," or a space: the lookahead lets the engine skip other text.
_CLAUSE = re.compile(
    r"(?=[;,\s])(?:;|,\s+(?:and|but|while|whereas|although|though|adding|saying|noting|as well as|"
    r"according)\b|\s+but\s+|\s+while\s+|,?\s+and\s+that\b)",
    re.IGNORECASE,
)
_HEADLINE_SOURCE = re.compile(r"^([^:]{2,60}):\s")
_DIGIT = re.compile(r"\d")
_NEAR_BEFORE, _NEAR_AFTER, _HEAD = 45, 30, 40


@dataclass
class _State:
    """What carries over between the sentences of one item: the last named speaker."""

    actors: tuple[str, ...] = ()
    speaker: str | None = None
    pending: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    names: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)  # surname ->


@dataclass(frozen=True, slots=True)
class _Who:
    actors: tuple[str, ...]
    speaker: str | None
    confidence: float
    verb: str = ""


@dataclass
class _Clause:
    start: int
    end: int
    words: frozenset[str]  # the whole sentence's words: a superset, for gates
    numbers: list[Number] | None = None
    used: set[int] = field(default_factory=set)


class Extractor:
    """Extract claims from news items with one story pack's rules (compiled once)."""

    def __init__(self, pack: StoryPack) -> None:
        self.pack = pack
        self.lex: Lexicon = compile_lexicon(pack)
        self._counting = any(q.value == "count" for q in self.lex.questions.values())

    def extract(
        self,
        title: str,
        text: str,
        published: Published = None,
        outlet: str | None = None,
    ) -> list[Claim]:
        """The claims an item makes, deduplicated, each with its sentence and speaker."""
        title, text = title or "", text or ""
        if not self.pack.is_relevant(title, text):
            return []
        state = _State()
        body: list[Claim] = []
        for start, end in split_sentences(text):
            body.extend(self._sentence(text[start:end], state, headline=False))
        heads = self._sentence(title, _State(), headline=True) if title else []
        # A headline restates the body in fewer words ("Seoul:", "reported killed"): keep it only
        # for a topic the body does not cover, or a figure the body does not give.
        asked = {c.question.split(".")[0] for c in body}
        figures = {(c.question, c.value) for c in body}
        heads = [
            c
            for c in heads
            if (c.value is None and c.question.split(".")[0] not in asked)
            or (c.value is not None and (c.question, c.value) not in figures)
        ]
        return _dedupe([replace(c, said_at=published) for c in (*heads, *body)])

    # -- one sentence -------------------------------------------------------------------------

    def _sentence(self, sentence: str, state: _State, headline: bool) -> list[Claim]:
        lex = self.lex
        ws = words(sentence)
        # Set lookups first: most sentences hold no cue or no subject word and stop here.
        has_cue = (lex.cue_gate.maybe(ws) and lex.cue_re.search(sentence) is not None) or (
            self._counting and _DIGIT.search(sentence) is not None
        )
        if not has_cue or not (
            lex.subject_gate.maybe(ws)
            and (lex.subject_re.search(sentence) or lex.anaphor_subject_re.search(sentence))
        ):
            # No claim here, but it may name the speaker a later "he said" refers to: resolve
            # it only if that happens (most sentences never need it).
            state.pending.append((sentence, ws))
            return []
        anchors = self._resolve(find_anchors(lex, sentence, ws), sentence, state)
        if headline:
            anchors = [*anchors, *self._headline_anchor(sentence)]
        claims: list[Claim] = []
        for clause in _clauses(sentence, ws):
            claims.extend(self._clause(sentence, clause, anchors, headline))
        return claims

    def _catch_up(self, state: _State) -> None:
        """Resolve the skipped sentences since the last claim, to know the last named actor."""
        pending, state.pending = state.pending, []
        for sentence, ws in pending:
            anchors = find_anchors(self.lex, sentence, ws)
            if anchors:
                self._resolve(anchors, sentence, state)
                continue
            # "The Pentagon spoke on Tuesday ... It said": a named subject is a referent too.
            named = [
                m for m in find_mentions(self.lex, sentence) if m.actor and m.kind != "country"
            ]
            if named:
                state.actors, state.speaker = (named[0].actor or "",), None

    def _headline_anchor(self, title: str) -> list[tuple[Anchor, _Who]]:
        m = _HEADLINE_SOURCE.match(title)
        if not m:
            return []
        mentions = [x for x in find_mentions(self.lex, title, 0, m.end(1)) if x.actor]
        if not mentions:
            return []
        anchor = Anchor(0, m.end(), SOURCE, (mentions[-1].actor or "",), None)
        return [(anchor, _Who(anchor.actors, None, 0.6))]

    def _resolve(
        self, anchors: list[Anchor], sentence: str, state: _State
    ) -> list[tuple[Anchor, _Who]]:
        """Give every anchor its actors: carried-over ones from the last named speaker."""
        if state.pending and any(a.carried or not a.actors for a in anchors):
            self._catch_up(state)
        cited = [a for a in anchors if a.kind == SOURCE and a.actors and not a.relay]
        out: list[tuple[Anchor, _Who]] = []
        for a in anchors:
            verb = sentence[a.start : a.end]
            if a.relay:
                # The source a relay names ("citing the NIS"), else who else speaks in the
                # sentence ("Budanov told a lawmaker, who relayed ...").
                named = [b for b in anchors if b is not a and b.actors and not b.relay]
                source = next((c for c in cited if c is not a), None) or (
                    named[-1] if named else None
                )
                if source is not None:
                    who = _Who(source.actors, source.speaker, 0.7, verb)
                else:
                    who = _Who((a.relay_default or MEDIA,), None, 0.5, verb)
            elif a.surname is not None:
                known = state.names.get(a.surname)
                if known is None:
                    continue  # someone not named before: not the last speaker
                who = _Who(known[0], known[1], 0.7, verb)
            elif a.carried or not a.actors:
                prev = out[-1][1] if out else None
                if prev is not None and prev.actors:
                    who = _Who(prev.actors, prev.speaker, prev.confidence, verb)
                elif state.actors:
                    who = _Who(state.actors, state.speaker, 0.6, verb)
                else:
                    continue
            else:
                who = _Who(a.actors, a.speaker, 0.8, verb)
            out.append((a, who))
            if who.speaker and who.actors:
                for surname in _surnames(who.speaker):
                    state.names[surname] = (who.actors, who.speaker)
            if who.actors and a.kind != SOURCE:
                state.actors, state.speaker = who.actors, who.speaker
                state.pending.clear()  # an earlier skipped sentence can no longer be the referent
        if out and not any(a.kind != SOURCE for a, _ in out):
            state.actors, state.speaker = out[-1][1].actors, out[-1][1].speaker
        return out

    # -- one clause ---------------------------------------------------------------------------

    def _clause(
        self,
        sentence: str,
        clause: _Clause,
        anchors: list[tuple[Anchor, _Who]],
        headline: bool,
    ) -> list[Claim]:
        lex = self.lex
        text = sentence[clause.start : clause.end]
        ws = clause.words
        other_sides = lex.other_sides_gate.maybe(ws)
        hypothetical = lex.hypothetical_gate.maybe(ws)
        needs: dict[str, bool] = {}
        found: list[tuple[str, int, int, Number | None]] = []
        for m in lex.cue_re.finditer(text):
            for qid in lookup(lex.cue_questions, m.group()) or ():
                rule = lex.questions[qid]
                if rule.needs is not None and not needs.setdefault(qid, _needs(rule, text, ws)):
                    continue
                near = sentence[max(0, clause.start + m.start() - 80) : clause.start + m.end() + 40]
                if not (lex.subject_re.search(near) or lex.anaphor_subject_re.search(near)):
                    continue  # the cue is about someone else ("Russia and Ukraine swapped ...")
                before = text[: m.start()]
                if other_sides and lex.other_sides_re.search(before[-40:]):
                    continue  # "Russian forces fighting": about someone else
                if hypothetical and lex.hypothetical_re.search(before):
                    continue  # "if", "whether", "how many": asked, not claimed
                if rule.value == "near" and lex.other_people_re.match(text, m.end()):
                    continue  # "killed eight Russian soldiers": the victims are someone else
                number = None
                if rule.value == "near":
                    number = self._near(text, clause, m.start(), m.end(), rule.max_value)
                found.append((qid, m.start(), m.end(), number))
        found.extend(self._counts(text, clause))
        subsumed = {s for q, *_ in found for s in lex.questions[q].subsumes}
        claims: list[Claim] = []
        for qid, start, _end, number in found:
            if qid in subsumed:
                continue
            rule = lex.questions[qid]
            if rule.value == "count" and number is None:
                continue
            who = _govern(anchors, clause.start + start)
            if who is None:
                if not headline:
                    continue
                who = _Who((MEDIA,), None, 0.4)
            stance = self._stance(text, start, who.verb, ws)
            for actor in who.actors:
                claims.append(
                    Claim(
                        question=qid,
                        actor=actor,
                        stance=stance,
                        value=number.value if number else None,
                        value_high=number.value_high if number else None,
                        qualifier=number.qualifier if number else None,
                        speaker=who.speaker,
                        quote=sentence,
                        confidence=round(who.confidence - (0.1 if headline else 0.0), 2),
                    )
                )
        return claims

    def _near(
        self, text: str, clause: _Clause, start: int, end: int, max_value: float | None
    ) -> Number | None:
        """The unused figure right before a cue ("400 ... killed"), else right after it."""
        numbers = _numbers(text, clause)
        best: Number | None = None
        for n in numbers:
            if n.start in clause.used or (max_value is not None and n.value > max_value):
                continue
            if n.end <= start and start - n.end <= _NEAR_BEFORE:
                if self.lex.cue_re.search(text[n.end : start]) or _other_people(self.lex, text, n):
                    continue  # another cue owns it, or it counts someone else
                best = n
            elif best is None and n.start >= end and n.start - end <= _NEAR_AFTER:
                if self.lex.cue_re.search(text[end : n.start]) or _other_people(self.lex, text, n):
                    continue
                best = n
                break
        if best is not None:
            clause.used.add(best.start)
        return best

    def _counts(self, text: str, clause: _Clause) -> list[tuple[str, int, int, Number | None]]:
        """Figures that name soldiers: "12,000 troops", "sent 1,500", "soldiers, about 3,000"."""
        lex = self.lex
        out: list[tuple[str, int, int, Number | None]] = []
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
                tail_ok = lex.count_noun_re.match(text, n.end) is not None and not (
                    _other_people(lex, text, n)
                )
                head = text[max(0, n.start - _HEAD) : n.start]
                head_ok = bool(
                    not _DIGIT.search(head)
                    and (
                        (rule.needs is not None and rule.needs.search(head))
                        or any(
                            s in (lookup(lex.cue_questions, m.group()) or ())
                            for m in lex.cue_re.finditer(head)
                            for s in rule.subsumes
                        )
                    )
                )
                if lex.not_dispatched_re.search(text, n.end, n.end + 50):
                    continue  # "18 soldiers deserted": counts something else
                if tail_ok or head_ok:
                    clause.used.add(n.start)
                    out.append((qid, n.start, n.end, n))
        return out

    def _stance(self, text: str, start: int, verb: str, ws: frozenset[str]) -> str:
        lex = self.lex
        # The verb may come from another clause: its words are in the sentence's words too.
        possible = [
            (stance, pattern)
            for (stance, pattern), g in zip(lex.stance_res, lex.stance_gates, strict=True)
            if g.maybe(ws)
        ]
        region = ""
        if possible:
            region = lex.alias_re.sub(_blank, f"{verb} | {text}")
        for stance, pattern in possible:
            if stance != "confirms" and pattern.search(region):
                return stance
        confirms = lex.stance_res[-1][1]
        can_confirm = bool(possible) and possible[-1][0] == "confirms"
        # "would never forget": a confirming phrase, not a negated claim.
        before = text[max(0, start - 40) : start]
        if can_confirm:
            before = confirms.sub(_blank, before)
        if lex.negation_re.search(before):
            return "denies"
        if can_confirm and confirms.search(region):
            return "confirms"
        return "asserts"


def _surnames(speaker: str) -> list[str]:
    """How a person is named again: "Vedant Patel" -> Patel; "Lee Seong-kweun" -> Lee (a
    hyphenated given name follows a Korean family name)."""
    parts = speaker.split()
    if len(parts) < 2:
        return []
    return [parts[0]] if "-" in parts[-1] else [parts[-1]]


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


def _needs(rule: QuestionRule, text: str, ws: frozenset[str]) -> bool:
    """True when the clause names what the question needs (troops, arms) besides its cue."""
    assert rule.needs is not None and rule.needs_gate is not None
    return rule.needs_gate.maybe(ws) and rule.needs.search(text) is not None


def _numbers(text: str, clause: _Clause) -> list[Number]:
    if clause.numbers is None:
        clause.numbers = find_numbers(text) if may_hold_numbers(text, clause.words) else []
    return clause.numbers


def _other_people(lex: Lexicon, text: str, n: Number) -> bool:
    """True when a figure counts someone else: "20 people", "8 Russian soldiers"."""
    return lex.other_people_re.match(text, n.end) is not None


def _clauses(sentence: str, ws: frozenset[str]) -> list[_Clause]:
    out: list[_Clause] = []
    start = 0
    for m in _CLAUSE.finditer(sentence):
        out.append(_Clause(start, m.start(), ws))
        start = m.start()
    out.append(_Clause(start, len(sentence), ws))
    return out


def _govern(anchors: list[tuple[Anchor, _Who]], pos: int) -> _Who | None:
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


def _dedupe(claims: list[Claim]) -> list[Claim]:
    """One claim per (question, actor, stance, value); a figure beats the same claim without."""
    seen: dict[tuple[object, ...], Claim] = {}
    for c in claims:
        key = (c.question, c.actor, c.stance, c.value, c.value_high)
        if key not in seen or c.confidence > seen[key].confidence:
            seen[key] = c
    valued = {(c.question, c.actor, POLARITY[c.stance]) for c in seen.values() if c.value}
    return [
        c
        for c in seen.values()
        if c.value is not None or (c.question, c.actor, POLARITY[c.stance]) not in valued
    ]
