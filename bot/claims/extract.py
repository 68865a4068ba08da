"""Rule-based claim extraction driven by a story pack: item text in, `Claim` records out.

Pure: no I/O, no story knowledge (actors, cues and stance words come from the pack's TOML).
Per sentence: one scan finds every phrase of the pack (scan.py), then who speaks
(attribution.py), then per clause (clause.py) the question cues, the figure that goes with each
cue (numbers.py) and the stance (stance.py); a sentence nobody is said to speak for yields
nothing, except the headline, which is the outlet's own voice.
"""

from __future__ import annotations

import re

from bot.claims.attribution import SOURCE, Anchor, find_anchors, find_mentions, turn_label
from bot.claims.clause import MEDIA, REFUSALS, ClauseReader, Draft, Who, clauses, govern
from bot.claims.lexicon import Lexicon, compile_lexicon
from bot.claims.pack import StoryPack
from bot.claims.scan import Scan
from bot.claims.sentences import split_sentences
from bot.claims.tokens import folded, has_digit, words
from bot.models import POLARITY, Claim, Published

_HEADLINE_SOURCE = re.compile(r"^([^:]{2,60}):\s")
_HEADLINE_TRAIL = re.compile(r"(?::|\s[-–—|])\s+([^:\-–—|]{2,40})$")
# "North Korea is believed to have sent ...": hearsay with no agent, the outlet's own report.
_HEARSAY = ("believed", "reported", "said", "thought", "understood", "estimated")
_HEARSAY_WORDS = frozenset(_HEARSAY)  # what the pattern needs: a set lookup rules it out
_AGENTLESS = re.compile(
    r"\b(?:is|are|was|were|has been|have been|had been)\s+(?:widely\s+|also\s+)?"
    rf"(?:{'|'.join(_HEARSAY)})\s+to\s+"
)
_ACRONYM_GLOSS = re.compile(r"\s\([A-Z][A-Za-z&.-]{1,9}\)(?=[\s,;:])")


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


class _State:
    """What carries over between the sentences of one item: the last named speaker."""

    def __init__(self, topic: str = "") -> None:
        self.actors: tuple[str, ...] = ()
        self.speaker: str | None = None
        # Sentences without a claim since the last one: (sentence, its words, its scan if made).
        self.pending: list[tuple[str, frozenset[str], Scan | None]] = []
        self.names: dict[str, tuple[tuple[str, ...], str]] = {}  # surname -> actors, speaker
        self.topic = topic  # the question of the last claim: what "the reports" refers to
        # In a transcript, who speaks the current turn ("MR. KIRBY: ..." until "Q: ...").
        self.turn: Who | None = None


class Extractor:
    """Extract claims from news items with one story pack's rules (compiled once)."""

    def __init__(self, pack: StoryPack) -> None:
        self.pack = pack
        self.lex: Lexicon = compile_lexicon(pack)
        self._clauses = ClauseReader(self.lex)
        self._counting = any(q.value == "count" for q in self.lex.questions.values())
        # An item's topic until a claim names one: the story's first question (its core).
        self._default_topic = next(iter(self.lex.questions), "")

    def _topic(self, question: str) -> str:
        """The topic a claim leaves behind: a count's topic is what it counts (deployed)."""
        rule = self.lex.questions[question]
        return rule.subsumes[0] if rule.value == "count" and rule.subsumes else question

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
        state = _State(topic=self._default_topic)
        body: list[Draft] = []
        # "the Joint Chiefs of Staff (JCS) said": the bracketed short name stands between a
        # speaker and the verb; read the text without it (same offsets), quote it as written.
        read = _ACRONYM_GLOSS.sub(_blank, text) if "(" in text else text
        fold = folded(read)
        for start, end in split_sentences(read):
            if read.find(":", start, min(end, start + 40)) >= 0:
                label = turn_label(self.lex, read[start:end])
                if label is not None:
                    actor, name = label
                    state.turn = Who((actor,), name, 0.7) if actor else None
            ws = frozenset(fold[start:end].split()) if fold is not None else None
            found = self._sentence(read[start:end], state, headline=False, ws=ws)
            if found:
                state.topic = self._topic(found[-1].question)
            if found and read is not text and read[start:end] != text[start:end]:
                for c in found:
                    c.quote = text[start:end]
            body.extend(found)
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
        return [c.claim(published) for c in _dedupe([*heads, *body])]

    # -- one sentence -------------------------------------------------------------------------

    def _sentence(
        self, sentence: str, state: _State, headline: bool, ws: frozenset[str] | None = None
    ) -> list[Draft]:
        """The claims of one sentence (``ws``: its `tokens.words`, when the caller has them)."""
        lex = self.lex
        if ws is None:
            ws = words(sentence)
        if not headline and sentence.rstrip().rstrip("\"”’'").endswith("?"):
            state.pending.append((sentence, ws, None))
            return []  # a question asks, it claims nothing ("Q: can you confirm ...?")
        # Set lookups first: most sentences hold no cue or no subject word and stop here.
        sc = cue_word = figure = None
        if lex.subject_gate.maybe(ws):
            cue_word = lex.cue_gate.maybe(ws)
            figure = self._counting and has_digit(sentence)
            if cue_word or figure:
                sc = lex.index.scan(sentence)
        if (
            sc is None
            or not ((cue_word and sc.has("cue")) or figure)
            or not (sc.has("subject") or sc.has("anaphor_subject"))
        ):
            if not headline and lex.refusal_gate.maybe(ws):
                carried = self._carried(sentence, ws, sc, state)
                if carried:
                    return carried
            # No claim here, but it may name the speaker a later "he said" refers to: resolve
            # it only if that happens (most sentences never need it).
            state.pending.append((sentence, ws, sc))
            return []
        anchors = self._resolve(find_anchors(lex, sc, ws), sentence, state)
        if headline:
            anchors = [*anchors, *self._headline_anchor(sc)]
        elif not anchors and state.turn is not None:
            # A sentence of a transcript's turn, with no speaker of its own: the turn's.
            anchors = [(Anchor(0, 0, SOURCE, state.turn.actors, state.turn.speaker), state.turn)]
        elif not anchors:
            hearsay = None if _HEARSAY_WORDS.isdisjoint(ws) else _AGENTLESS.search(sentence)
            if hearsay is None:
                # A body sentence nobody is said to speak for claims nothing, but may name
                # whom a later "the statement said" refers to.
                state.pending.append((sentence, ws, sc))
                return []
            # "North Korea is believed to have sent ...": the outlet's own report.
            anchor = Anchor(hearsay.start(), hearsay.end(), SOURCE, (MEDIA,), None)
            anchors = [(anchor, Who((MEDIA,), None, 0.5))]
        claims: list[Draft] = []
        for clause in clauses(sentence, ws):
            claims.extend(self._clauses.claims(sc, clause, anchors, headline))
        return claims

    def _carried(
        self, sentence: str, ws: frozenset[str], sc: Scan | None, state: _State
    ) -> list[Draft] | None:
        """A denial, doubt or deflection of "the reports" with no cue of its own ("This is
        fake news," Peskov said): about the item's topic so far. None: not such a sentence."""
        lex = self.lex
        quoted = any(q in sentence for q in '"“”')
        if not (quoted or lex.topic_ref_gate.maybe(ws)):
            return None
        sc = sc or lex.index.scan(sentence)
        if not (quoted or sc.has("topic_refs")):
            return None
        anchors = self._resolve(find_anchors(lex, sc, ws), sentence, state)
        # Whoever governs the refusal: "This is fake," Peskov said / Peskov called it fake.
        refusals = [s for name in REFUSALS for s in sc.find(name)[:1]]
        who = govern(anchors, min(refusals)[0] if refusals else 0)
        if who is None or not who.actors or who.actors == (MEDIA,):
            return []
        stance = self._clauses.stances.stance(sc, 0, len(sentence), ws, len(sentence), who.verb)
        if stance not in REFUSALS or not (
            sc.has(stance) or self._clauses.stances.verb(who.verb).has(stance)
        ):
            return []  # a negation alone ("did not say") refuses nothing in particular
        # "could not confirm the reports of a deployment": the cue it names, else the topic.
        named = self._clauses.asked(sc, 0, len(sentence))
        topic = named[0] if named else state.topic
        confidence = round(who.confidence - 0.2, 2)
        return [
            Draft(topic, actor, stance, None, None, None, who.speaker, sentence, confidence)
            for actor in who.actors
        ]

    def _catch_up(self, state: _State) -> None:
        """Resolve the skipped sentences since the last claim, to know the last named actor."""
        pending, state.pending = state.pending, []
        for sentence, ws, scanned in pending:
            sc = scanned or self.lex.index.scan(sentence)
            anchors = find_anchors(self.lex, sc, ws)
            if anchors:
                self._resolve(anchors, sentence, state)
                continue
            # "The Pentagon spoke on Tuesday ... It said": a named subject is a referent too.
            # ("the reports" relay someone else: they are not a speaker to refer back to.)
            named = [
                m
                for m in find_mentions(self.lex, sc)
                if m.actor and m.kind not in ("country", "relay")
            ]
            if named:
                state.actors, state.speaker = (named[0].actor or "",), None

    def _headline_anchor(self, sc: Scan) -> list[tuple[Anchor, Who]]:
        """The source a headline names first ("NIS: ...") or last ("...: JCS", "... - Zelensky")."""
        m = _HEADLINE_SOURCE.match(sc.text)
        if m is None or has_digit(m.group(1)):
            # "At least 100 ... soldiers killed in Russia: NIS": a figure makes it the claim
            m = _HEADLINE_TRAIL.search(sc.text) or m
        if not m:
            return []
        mentions = [x for x in find_mentions(self.lex, sc, m.start(1), m.end(1)) if x.actor]
        if not mentions:
            return []
        anchor = Anchor(m.start(), m.end(), SOURCE, (mentions[-1].actor or "",), None)
        return [(anchor, Who(anchor.actors, None, 0.6))]

    def _resolve(
        self, anchors: list[Anchor], sentence: str, state: _State
    ) -> list[tuple[Anchor, Who]]:
        """Give every anchor its actors: carried-over ones from the last named speaker."""
        if state.pending and any(a.carried or not a.actors for a in anchors):
            self._catch_up(state)
        cited = [a for a in anchors if a.kind == SOURCE and a.actors and not a.relay]
        out: list[tuple[Anchor, Who]] = []
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
                    who = Who(source.actors, source.speaker or a.speaker, 0.7, verb)
                elif a.definite and state.actors:
                    # "the report said": the report of the source the item named before.
                    who = Who(state.actors, state.speaker, 0.6, verb)
                else:
                    who = Who((a.relay_default or MEDIA,), a.speaker, 0.5, verb)
            elif a.surname is not None:
                known = state.names.get(a.surname)
                if known is None:
                    continue  # someone not named before: not the last speaker
                who = Who(known[0], known[1], 0.7, verb)
            elif a.carried or not a.actors:
                prev = out[-1][1] if out else None
                if prev is not None and prev.actors:
                    who = Who(prev.actors, prev.speaker, prev.confidence, verb)
                elif state.actors:
                    who = Who(state.actors, state.speaker, 0.6, verb)
                else:
                    continue
            else:
                who = Who(a.actors, a.speaker, 0.8, verb)
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


def _surnames(speaker: str) -> list[str]:
    """How a person is named again: "Vedant Patel" -> Patel; "Lee Seong-kweun" -> Lee (a
    hyphenated given name follows a Korean family name)."""
    parts = speaker.split()
    if len(parts) < 2:
        return []
    return [parts[0]] if "-" in parts[-1] else [parts[-1]]


def _dedupe(claims: list[Draft]) -> list[Draft]:
    """One claim per (question, actor, polarity, value); a figure beats the same claim without.
    ("acknowledged ... and said": one claim, not a confirmation and an assertion.)"""
    seen: dict[tuple[object, ...], Draft] = {}
    for c in claims:
        key = (c.question, c.actor, POLARITY[c.stance], c.value, c.value_high)
        if key not in seen or c.confidence > seen[key].confidence:
            seen[key] = c
    valued = {(c.question, c.actor, POLARITY[c.stance]) for c in seen.values() if c.value}
    return [
        c
        for c in seen.values()
        if c.value is not None or (c.question, c.actor, POLARITY[c.stance]) not in valued
    ]
