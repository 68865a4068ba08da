"""The one-pass phrase scanner finds, per list and span, what the list's regex finds; the word
gates and character helpers answer as the regexes they stand in for."""

from __future__ import annotations

import json
import random
import re
from dataclasses import fields
from pathlib import Path

import pytest

from bot.claims.gates import Gate
from bot.claims.lexicon import Lexicon, compile_lexicon, phrases_re
from bot.claims.pack import load_pack
from bot.claims.scan import PhraseIndex
from bot.claims.tokens import digit_runs, has_digit, positions, word_char

TRICKY = ["deploy*", "US", "us", "U.S.", "it's", "he", "Rep.", "MP", "MPs", "said north", "$5"]
TEXTS = [
    "deploy-ready troops deployed; redeployment",
    "U.S.  officials  said, North Korea",
    "US us Us uS",
    "the NIS’s  chief",
    "Korea’s  spy\u00a0agency",
    "MPs MP mps Mps",
    "it's it’s its",
    "\U0001f600NIS said \U0001f600",
    "NIS\U0001f600 said",
    "a\n b he said he, the",
    "Rep. Kim; rep. Lee",
    "$5 US$5 5$",
    "South Korea's National Intelligence Service said 1,500 North Korean troops were sent.",
    "Kremlin spokesman Dmitry Peskov dismissed the reports as fake, while Kyiv could not confirm.",
]


def _lists() -> dict[str, list[str]]:
    lex = compile_lexicon(load_pack("nk-troops"))
    return {**{n: lex.index._phrases[i] for n, i in lex.index.names.items()}, "tricky": TRICKY}


def _sentences() -> list[str]:
    path = Path(__file__).parents[1] / "bot/stories/nk-troops.archive.jsonl"
    out = list(TEXTS)
    for line in path.read_text().splitlines()[:40]:
        item = json.loads(line)
        out.extend(s.strip() for s in (item.get("text") or "").split(". ") if s.strip())
    return out + [s.upper() for s in out[:50]]


@pytest.mark.parametrize("name", sorted(_lists()))
def test_scan_finds_what_the_regex_finds(name: str) -> None:
    lists = _lists()
    index = PhraseIndex(lists, phrases_re)
    rx = phrases_re(lists[name])
    rng = random.Random(name)
    for text in _sentences():
        scan = index.scan(text)
        n = len(text)
        spans = [(0, n)] + [tuple(sorted((rng.randint(0, n), rng.randint(0, n)))) for _ in range(5)]
        for a, b in spans:
            want = [(m.start() + a, m.end() + a) for m in rx.finditer(text[a:b])]
            assert scan.find(name, a, b) == want, (name, text[a:b])
            assert scan.has(name, a, b) == bool(want)


def _reference_stance(lex: Lexicon, text: str, start: int, verb: str, ws: frozenset[str]) -> str:
    """The stance as the regexes read it (before the scanner): blank names, search each list."""

    def blank(m: re.Match[str]) -> str:
        return " " * len(m.group())

    possible = [
        (stance, pattern)
        for (stance, pattern), g in zip(lex.stance_res, lex.stance_gates, strict=True)
        if g.maybe(ws)
    ]
    region = lex.alias_re.sub(blank, f"{verb} | {text}") if possible else ""
    for stance, pattern in possible:
        if stance != "confirms" and pattern.search(region):
            return stance
    confirms = lex.stance_res[-1][1]
    can_confirm = bool(possible) and possible[-1][0] == "confirms"
    before = text[max(0, start - 40) : start]
    if can_confirm:
        before = confirms.sub(blank, before)
    if lex.negation_re.search(before):
        return "denies"
    if can_confirm and confirms.search(region):
        return "confirms"
    return "asserts"


def test_stance_reads_what_the_regexes_read() -> None:
    from bot.claims.clause import clauses
    from bot.claims.stance import StanceReader
    from bot.claims.tokens import words

    lex = compile_lexicon(load_pack("nk-troops"))
    reader = StanceReader(lex)
    texts = [
        *_sentences(),
        "Officials has not Budanov confirmed the troops were sent",
        "The ministry has not NIS JCS confirmed it, and could not Zelenskyy confirm the losses",
        "Seoul could not (NIS) confirm it; Kremlin denied it",
        "Peskov, who dismissed the reports, said troops were sent and never forget",
        "It cannot Peskov confirm, the Kremlin neither Kremlin confirmed nor denied",
        "Troops were sent, but Seoul has not Budanov confirmed it; Kyiv, while NIS denied",
    ]
    rng = random.Random(7)
    for text in texts:
        ws = words(text)
        scan = lex.index.scan(text)
        for clause in clauses(text, ws):
            part = text[clause.start : clause.end]
            for verb in ("said", "denied", "could not confirm", "Kremlin said", ""):
                start = rng.randint(0, len(part))
                want = _reference_stance(lex, part, start, verb, ws)
                got = reader.stance(scan, clause.start, clause.end, ws, start, verb)
                assert got == want, (part, verb)


def test_negation_prefilter_keeps_upper_case() -> None:
    from bot.claims.clause import clauses
    from bot.claims.stance import StanceReader
    from bot.claims.tokens import words

    lex = compile_lexicon(load_pack("nk-troops"))
    reader = StanceReader(lex)
    for text in ("THE TROOPS DIDN'T DEPLOY", "They haven’t deployed", "NEVER SENT TROOPS"):
        ws = words(text)
        scan = lex.index.scan(text)
        for clause in clauses(text, ws):
            start = len(text) - 6
            want = _reference_stance(lex, text, start, "said", ws)
            assert want == "denies"
            assert reader.stance(scan, clause.start, clause.end, ws, start, "said") == want


def test_gates_read_together_answer_as_each_alone() -> None:
    """A lexicon's gates answer through their `GateSet` exactly as each would on its own."""
    lex = compile_lexicon(load_pack("nk-troops"))
    gates = [g for f in fields(lex) if isinstance(g := getattr(lex, f.name), Gate)]
    gates += [*lex.stance_gates, *(q.needs_gate for q in lex.questions.values() if q.needs_gate)]
    assert gates and all(g.owner is not None for g in gates)
    vocabulary = sorted({w for g in gates for w in g.firsts} | {"said", "the", "troops", "x"})
    rng = random.Random(11)
    for _ in range(3000):
        words = frozenset(rng.sample(vocabulary, rng.randint(0, 6)))
        words |= {p + "ed" for g in gates for p in g.prefixes if rng.random() < 0.05}
        for g in gates:
            alone = Gate(g.firsts, g.prefixes, g.always)
            assert g.maybe(words) == alone.maybe(words), (sorted(words), g.firsts)


def test_character_helpers_agree_with_the_regex_engine() -> None:
    """`positions`, `has_digit`, `digit_runs` and `word_char` say what the regexes say."""
    for c in map(chr, range(0x10000)):
        assert word_char(c) == bool(re.match(r"\w", c)), hex(ord(c))
    rng = random.Random(2)
    alphabet = "ab 1,09.;!?\n\u0663\u00a0é_-"  # (U+0663: an Arabic-Indic digit)
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert has_digit(text) == bool(re.search(r"\d", text)), text
        assert digit_runs(text) == [m.start() for m in re.finditer(r"\d+", text)], text
        assert positions(text, ".!?\n") == [m.start() for m in re.finditer(r"[.!?\n]", text)]
