"""The one-pass phrase scanner finds, per list and span, what the list's regex finds."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bot.claims.lexicon import compile_lexicon, phrases_re
from bot.claims.pack import load_pack
from bot.claims.scan import PhraseIndex

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
