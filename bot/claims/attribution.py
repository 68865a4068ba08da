"""Who says it: actor mentions and attribution anchors ("X said", "according to X") in a sentence.

Pure functions over a compiled `Lexicon`; knows no story. Pronouns and "the agency" are resolved
by the caller, which carries the last named actor of an item across sentences.
"""

from __future__ import annotations

import re

from bot.claims.gates import norm
from bot.claims.lexicon import Lexicon
from bot.claims.numbers import find_numbers
from bot.claims.scan import Scan
from bot.claims.tokens import lowered, may_end

_WINDOW = 110  # how far before a verb a speaker's noun phrase may start, in characters
# The patterns below that hold words are in lower case and run on the lower-cased sentence
# (`tokens.lowered`): Python's engine is several times slower under IGNORECASE.
# What may stand between a subject and its verb ("Russia has consistently denied").
_GAP = re.compile(
    r"^(?:\s|,|\b(?:and|both|the|their|its|allies|partners|as well as|together with|has|have|had|"
    r"also|consistently|repeatedly|previously|already|reportedly|officially|publicly|strongly|"
    r"flatly|again|not|yet|could|can|cannot|would|will|did|does|do|on|earlier|later|separately|"
    r"so far|now|still|once|initially|first|formally|firmly|categorically|swiftly|quickly|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|itself|"
    r"however|meanwhile|who|which)\b)*$"
)
_LIST_GAP = re.compile(r"^\s*(?:,|and|as well as|,\s*and)\s*$")
_LIST_HEAD = re.compile(r"(?:^|[,;:]\s*|\bboth\s+)(?:both\s+|the\s+)?$")
_CONTINUATION = re.compile(r"^[\s,;]*(?:(?:and|but|while|also|adding|then)\b[\s,]*)*$")
# Starting with the character class (the word boundary checked behind it) lets the engine skip
# to the next capital instead of entering the pattern at every character.
_NAME = re.compile(
    r"[A-Z](?<!\w[A-Z])[a-z]+(?:-[A-Za-z][a-z]+)?(?:\s+[A-Z][a-z]+(?:-[A-Za-z][a-z]+)?){1,3}"
)
_BEFORE_ROLE = re.compile(r"(?:['’]s)?\s+(?:[\w-]+\s+){0,2}$")
_PLACE_OPENS = re.compile(r"\s*(?:In|From|Back in|Over in|Meanwhile in|Meanwhile,\s+in)\s+")
# "In Seoul, the defence ministry", "In Seoul, however, a defence ministry spokesman".
_PLACE_COMMA = re.compile(
    r",\s+(?:(?:however|meanwhile|though|too|also|in turn),\s+)?(?:the\s+|an?\s+)?(?:[\w-]+\s+)?"
)
_AFTER_ROLE_COUNTRY = re.compile(r"\s+(?:of|in)\s+(?:the\s+)?")
_IN_TITLE = re.compile(r"\b(?:for|of the|on)\s+$")
_TITLE_ENDS = ("for", "of the", "on")
_MEMO_MAX = 4096  # entries in the lexicon's memo tables: names repeat, but not without end
_QUOTES = '"“”'
# "were reported killed", "to confirm", "the reports": not someone speaking.
_PASSIVE_WORDS = (
    "is", "are", "was", "were", "be", "been", "being", "to", "not be", "the", "a", "an", "these",
    "those", "such", "of", "about", "their", "its", "his", "her", "no", "any",
)  # fmt: skip
_PASSIVE = re.compile(rf"\b(?:{'|'.join(_PASSIVE_WORDS)})\s+$")

# A capitalised word right before the verb, at the head of its clause: "..., Lee said".
_SURNAME = re.compile(
    r"(?:^|[,;:“\"]\s*|\b(?:and|but|while|also)\s+)([A-Z][a-z]+(?:-[A-Z][a-z]+)?)"
    r"(?:\s+(?:also|later|earlier|then|again|further))?\s+$"
)
# "hit back at the Security Council, saying": a preposition's object is not the subject.
_PREPOSITIONS = ("at", "to", "before", "with", "against", "from", "into", "in")
_PREP_BEFORE = re.compile(rf"\b(?:{'|'.join(_PREPOSITIONS)})\s+(?:the\s+)?$")
_PREP_ENDS = (*_PREPOSITIONS, "the")  # how what `_PREP_BEFORE` matches ends: a cheap test first
_AND = re.compile(r"\band\b")
# Between an inverted verb and its speaker: "said the NIS", "said Dmitry Peskov".
_INVERTED_GAP = re.compile(r"\s*(?:by\s+)?(?:the\s+)?(?:[A-Z][\w'’.-]*\s+){0,4}")
_COMMA_BEFORE = re.compile(r",\s*(?:\w+\s+){0,2}$")  # ", saying", ", later saying"
_CLAUSE_SEP = re.compile(r"[,;]")
_AFTER_QUOTE_OR_COMMA = re.compile(r"[,”\"]\s*(?:[\w'’.-]+\s+){0,7}$")

# What lies between such a subject and its pronoun: its own clause, closed by ":" or ";".
_OWN_CLAUSE = re.compile(r"[^,:;]*[:;]\s*")
_SENTENCE_HEAD = re.compile(r"\W*(?:(?:but|and|however|meanwhile|the)\s+)?", re.IGNORECASE)
# A transcript's speaker label: "MS. SINGH:", "GEN. RYDER:", "SECRETARY BLINKEN:", "Q:".
_LABEL = re.compile(
    r"(?:(?:MR|MS|MRS|DR|GEN|MAJ|LT|CAPT|BRIG|VICE|REAR|SGT|ADM|COL|AMB|SEC|SECRETARY|"
    r"GENERAL|ADMIRAL|AMBASSADOR)\.?\s+){0,3}"
    r"(?P<name>Q|[A-Z][A-Z'’-]+(?:\s+[A-Z][A-Z'’-]+){0,2}):\s"
)
# "said to show", "reported to be", "believed to have": a verb of hearsay after its noun.
_HEARSAY = re.compile(
    r"\s+to\s+(?:be|have|show|number|total|include|contain|depict|involve|feature)\b"
)
# An estimate's frame: "put the death toll at 600", "placed North Korean losses at 4,000".
_AT_FRAME_VERBS = frozenset(["put", "puts", "putting", "placed", "places", "placing"])
_AT = re.compile(r"(?:\s+[\w'’.-]+){1,14}?\s+at\s+")

LEAD, TRAIL, CONT, SOURCE = "lead", "trail", "cont", "source"


def _after_quote_or_comma(head: str) -> bool:
    """Whether a few words before a speaker come after a comma or a quote ("...," Peskov)."""
    return ("," in head or '"' in head or "”" in head) and bool(_AFTER_QUOTE_OR_COMMA.search(head))


def _head_subject(sentence: str, every: list[Mention], pronoun: Mention) -> Mention | None:
    """The actor named at the head of the sentence, which a pronoun subject after its clause
    refers to before any earlier speaker ("Seoul's defence ministry was more guarded: it
    said")."""
    head = every[0] if every else None
    if (
        head is not None
        and head.actor
        and head.kind in ("alias", "role", "country")
        and head.end <= pronoun.start
        and _SENTENCE_HEAD.fullmatch(sentence, 0, head.start)
        and _OWN_CLAUSE.fullmatch(sentence, head.end, pronoun.start)
    ):
        return head
    return None


def _label_actor(lex: Lexicon, name: str) -> str | None:
    """The actor a transcript label names: an alias, or one person's surname ("Ryder")."""
    key = norm(name)
    actor = lex.aliases.get(key)
    if actor is not None:
        return actor
    last = key.split()[-1]
    found = {a for alias, a in lex.aliases.items() if " " in alias and alias.split()[-1] == last}
    return found.pop() if len(found) == 1 else None


def _inverted_gap(sentence: str, a: int, b: int, mentions: list[Mention]) -> bool:
    """Whether only "by", "the", names and titles stand in sentence[a:b], between an inverted
    verb and its speaker ("said Foreign Ministry spokeswoman Maria Zakharova")."""
    pieces, pos = [], a
    for m in mentions:
        if a <= m.start and m.end <= b:
            pieces.append(sentence[pos : m.start] + "X")  # a title stands as a name would
            pos = m.end
    gap = "".join([*pieces, sentence[pos:b]])
    return _INVERTED_GAP.fullmatch(gap) is not None


def _at_figure(sentence: str, end: int) -> bool:
    """Whether a few words after ``end`` come "at" and a figure."""
    at = _AT.match(sentence, end, end + 80)
    return at is not None and bool(find_numbers(sentence[at.end() : at.end() + 40]))


# The records below are plain classes, not dataclasses: compiled, their __init__ is native
# code, where a dataclass's generated __init__ would run in the interpreter.


class Mention:
    """An actor, title, country or pronoun named in a sentence."""

    def __init__(self, start: int, end: int, actor: str | None, kind: str, text: str) -> None:
        self.start = start
        self.end = end
        self.actor = actor  # None: an anaphor or a title without a country
        self.kind = kind  # alias | role | relay | country | anaphor
        self.text = text


class Anchor:
    """An attribution in a sentence: the verb's span, who speaks, and how it governs text."""

    def __init__(
        self,
        start: int,
        end: int,
        kind: str,
        actors: tuple[str, ...],
        speaker: str | None,
        *,
        relay: bool = False,
        relay_default: str | None = None,
        carried: bool = False,
        surname: str | None = None,
        definite: bool = False,
    ) -> None:
        self.start = start
        self.end = end
        self.kind = kind  # LEAD: content follows; TRAIL: content precedes; CONT: none; SOURCE
        self.actors = actors  # empty: refer back to the last named actor
        self.speaker = speaker
        self.relay = relay
        self.relay_default = relay_default
        self.carried = carried
        self.surname = surname  # "Patel said": resolved by the caller to a person named before
        self.definite = definite  # a relay named with "the" ("the report"): may refer back


def find_mentions(lex: Lexicon, sc: Scan, start: int = 0, end: int | None = None) -> list[Mention]:
    """Actor mentions in text[start:end] of a scanned text, in text order (titles absorb their
    country)."""
    text = sc.text
    end = len(text) if end is None else end
    found: list[Mention] = []
    for m_start, m_end in sc.find("mention", start, end):
        phrase = text[m_start:m_end]
        key = lex.norms.get(phrase)
        if key is None:
            key = norm(phrase)
            if len(lex.norms) < _MEMO_MAX:
                lex.norms[phrase] = key
        kind = lex.mention_kinds.get(key, "alias")
        if kind == "role":
            table = lex.roles.get(key, {})
            s0, s1, ckey = m_start, m_end, None
            # The country qualifying a title: "Ukraine's military intelligence chief",
            # "South Korea's main spy agency", "the defence minister of South Korea".
            prev = found[-1] if found else None
            if (
                prev
                and prev.kind == "country"
                and (
                    _BEFORE_ROLE.match(text, prev.end, s0)
                    # "In Seoul, the defence ministry said": the place opening the sentence.
                    or (
                        _PLACE_OPENS.fullmatch(text, 0, prev.start)
                        and _PLACE_COMMA.fullmatch(text, prev.end, s0)
                    )
                )
            ):
                found.pop()
                s0, ckey = prev.start, lex.countries.get(norm(prev.text))
            else:
                after = _AFTER_ROLE_COUNTRY.match(text, s1, min(end, s1 + 40))
                country = after and lex.country_re.match(text, after.end(), end)
                if country:
                    s1, ckey = country.end(), lex.countries.get(norm(country.group()))
            actor = table.get(ckey) if ckey else table.get("default")
            if (
                actor is None
                and prev
                and prev.kind == "alias"
                and prev.actor
                and _BEFORE_ROLE.match(text, prev.end, s0)
                and not sc.has("verb", prev.end, s0)
            ):
                # "the State Department's deputy spokesman", "the White House national security
                # spokesman": the body whose title it is (not "Gerasimov told President Putin").
                found.pop()
                s0, actor = prev.start, prev.actor
            found.append(Mention(s0, s1, actor, "role", text[s0:s1]))
            continue
        if kind == "country":
            ckey = lex.countries.get(key)
            actor = lex.country_actors.get(ckey) if ckey else None
            if found and found[-1].kind == "role" and found[-1].end > m_start:
                continue  # already part of "the minister of South Korea"
        elif kind == "alias":
            actor = lex.aliases.get(key)
        elif kind == "relay":
            actor = lex.relays.get(key) or lex.aliases.get(key)
        else:
            actor = None
        found.append(Mention(m_start, m_end, actor, kind, phrase))
    return found


def _speaker_name(lex: Lexicon, window: str, mention: Mention | None) -> str | None:
    best = None
    for m in _NAME.finditer(window):
        before = window[: m.start()]
        head = before.rstrip()
        # (`_IN_TITLE` needs spaces and one of its words right before the name.)
        if len(head) < len(before) and head.endswith(_TITLE_ENDS) and _IN_TITLE.search(before):
            continue  # "Centre for Countering Disinformation": part of a body's name
        name = m.group()
        words = lex.names.get(name)
        if words is None:
            words = [
                w
                for w in name.split()
                if not any(part in lex.name_stopwords for part in w.lower().split("-"))
            ]
            if len(lex.names) < _MEMO_MAX:
                lex.names[name] = words
        if len(words) >= 2 or (words and mention and words[-1] in mention.text):
            best = " ".join(words)
    if best is None and mention is not None and mention.kind == "alias":
        text = mention.text
        return text if text[:1].isupper() and not text.isupper() and " " not in text else None
    return best


def _within(mentions: list[Mention], start: int, end: int) -> list[Mention]:
    return [m for m in mentions if m.start >= start and m.end <= end]


def _subject(
    low: str, every: list[Mention], w0: int, verb: int
) -> tuple[list[Mention], list[Mention]]:
    """The mentions that make up the subject before ``verb`` and all mentions in the window
    (``low``: the sentence in lower case)."""
    mentions = _within(every, w0, verb)
    group: list[Mention] = []
    edge = verb
    for m in reversed(mentions):
        gap = low[m.end : edge]
        if group:
            # Lists join ("The US, South Korea and their allies have accused ...").
            if not _LIST_GAP.match(gap) or m.kind not in ("country", "alias", "role"):
                break
        elif m.kind == "country" and not _GAP.match(gap):
            continue  # countries speak only as bare subjects ("Russia has denied")
        elif low[max(0, m.start - 12) : m.start].rstrip().endswith(_PREP_ENDS) and (
            _PREP_BEFORE.search(low, max(0, m.start - 12), m.start)
        ):
            continue  # "hit back at the Security Council": a preposition's object
        group.append(m)
        edge = m.start
        if m.kind not in ("country", "alias", "role") or not _GAP.match(gap):
            break
    if len(group) > 1:
        first = min(x.start for x in group)
        # A list is a subject only at the head of its clause, with "and" in it.
        if not (
            _LIST_HEAD.search(low[max(0, first - 40) : first]) and _AND.search(low[first:verb])
        ):
            group = group[:1]
    return group, mentions


def find_anchors(lex: Lexicon, sc: Scan, words: frozenset[str] | None = None) -> list[Anchor]:
    """Attribution anchors of one scanned sentence, in order (``words``: its `tokens.words`)."""
    sentence = sc.text
    low = lowered(sentence)
    anchors: list[Anchor] = []
    every: list[Mention] | None = None
    verbs = words is None or lex.verb_gate.maybe(words)
    for v, v_end in sc.find("verb") if verbs else ():
        w0 = max(0, v - 12)
        if may_end(low[w0:v], _PASSIVE_WORDS) and _PASSIVE.search(low, w0, v):
            continue
        if sentence[v:v_end].lower() in _AT_FRAME_VERBS and not _at_figure(sentence, v_end):
            continue  # "put" says something only as "put the toll at 600"
        if _HEARSAY.match(low, v_end):
            continue  # "images said to show": hearsay, nobody speaking
        w0 = max(0, v - _WINDOW)
        for q in _QUOTES:
            qi = sentence.rfind(q, w0, v)
            if qi >= 0:
                w0 = max(w0, qi + 1)
        prev = anchors[-1].end if anchors else 0
        w0 = max(w0, prev)
        if every is None:
            every = find_mentions(lex, sc)
        if anchors and sentence.endswith("ing", v, v_end) and _COMMA_BEFORE.search(sentence, 0, v):
            # "Putin thanked Kim ..., saying": a participle speaks for the clause's subject.
            anchors.append(Anchor(v, v_end, CONT, (), None, carried=True))
            continue
        group, mentions = _subject(low, every, w0, v)
        if not group:
            named = [m for m in mentions if m.actor and m.kind in ("alias", "role")]
            anaphor = [m for m in mentions if m.kind in ("anaphor", "role")]
            if named and sentence[named[-1].end : v].count(",") <= 2:
                group = [named[-1]]
            elif anaphor and _GAP.match(low[anaphor[-1].end : v]):
                group = [anaphor[-1]]
            elif surname := _SURNAME.search(sentence, w0, v):
                head = sentence[max(0, surname.start(1) - 70) : surname.start(1)]
                kind = TRAIL if _after_quote_or_comma(head) else LEAD
                anchors.append(
                    Anchor(v, v_end, kind, (), None, carried=True, surname=surname.group(1))
                )
                continue
            elif _CONTINUATION.match(_CLAUSE_SEP.split(low[w0:v])[-1]):
                after = _within(every, v_end, v_end + 60)
                inverted = [m for m in after if m.actor
                            and _inverted_gap(sentence, v_end, m.start, after)]  # fmt: skip
                if inverted:  # "..., said Peskov"
                    anchors.append(_anchor(lex, sentence, v, v_end, TRAIL, inverted[:1], after))
                    continue
                anchors.append(Anchor(v, v_end, CONT, (), None, carried=True))
                continue
            else:
                continue
        if len(group) == 1 and group[0].kind == "anaphor" and not anchors:
            group = [_head_subject(sentence, every, group[0]) or group[0]]
        subject_start = min(m.start for m in group)
        head = sentence[max(0, subject_start - 70) : subject_start]
        kind = TRAIL if _after_quote_or_comma(head) else LEAD
        anchors.append(_anchor(lex, sentence, v, v_end, kind, group, mentions))
    sources = words is None or lex.source_gate.maybe(words)
    for sm_start, sm_end in sc.find("source") if sources else ():
        if every is None:
            every = find_mentions(lex, sc)
        after = _within(every, sm_end, sm_end + 70)
        named = [m for m in after if m.actor or m.kind == "anaphor"]
        if named:
            anchors.append(_anchor(lex, sentence, sm_start, sm_end, SOURCE, named[:1], named))
    label = _LABEL.match(sentence) if ":" in sentence[:40] else None
    if label is not None:
        # A transcript's speaker label ("MR. KIRBY: We assess that ..."): a source for the turn.
        actor, name = speaker_label(lex, label)
        if actor is not None:
            anchors.append(Anchor(0, label.end(), SOURCE, (actor,), name))
    anchors.sort(key=lambda a: a.start)
    return anchors


def turn_label(lex: Lexicon, sentence: str) -> tuple[str | None, str] | None:
    """The speaker label opening a transcript's turn ("MR. KIRBY: ...", "Q: ..."): the actor
    who speaks (None: a questioner, or someone the pack does not know) and the name; None
    where the sentence opens no turn."""
    label = _LABEL.match(sentence) if ":" in sentence[:40] else None
    return None if label is None else speaker_label(lex, label)


def speaker_label(lex: Lexicon, label: re.Match[str]) -> tuple[str | None, str]:
    name = label.group("name").title()
    return _label_actor(lex, name), name


def _anchor(
    lex: Lexicon,
    sentence: str,
    start: int,
    end: int,
    kind: str,
    group: list[Mention],
    window: list[Mention],
) -> Anchor:
    actors = tuple(dict.fromkeys(m.actor for m in reversed(group) if m.actor))
    relay = any(m.kind == "relay" for m in group) and all(
        m.kind == "relay" or m.actor is None for m in group
    )
    if relay:
        default = next((m.actor for m in group if m.actor), None)
        # "Rep. Lee Seong-kweun said": the relay's own name, so that a later "Lee said" is his.
        seg = sentence[max(0, min(m.start for m in group) - 40) : start]
        named_relay = _speaker_name(lex, seg, None) if kind != SOURCE else None
        # A lawmaker or outlet naming its source in the same breath ("after a NIS briefing").
        named = [m for m in window if m.actor and m.kind in ("alias", "role") and m not in group]
        if named:
            return Anchor(start, end, kind, (named[-1].actor or "",), named_relay, relay=False)
        m = group[-1]
        definite = m.text.lower().startswith("the ") or sentence.endswith("the ", 0, m.start)
        return Anchor(start, end, kind, (), named_relay, relay=True, relay_default=default,
                      definite=definite)  # fmt: skip
    first = group[0] if kind == SOURCE else group[-1]
    w0 = min(m.start for m in group) if kind != SOURCE else first.start
    segment = sentence[max(0, w0 - 40) : first.end if kind == SOURCE else start]
    speaker = _speaker_name(lex, segment, first) if len(group) == 1 else None
    return Anchor(start, end, kind, actors, speaker, carried=not actors)
