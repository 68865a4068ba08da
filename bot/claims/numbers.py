"""Find headcount-like numbers in English news text: figures, number words, ranges, qualifiers.

Pure and story-free. Dates, years, ordinals, calibres, distances and other measured quantities
are left out, because a claim's value is always a number of people here.
"""

from __future__ import annotations

import re

from bot.claims.lexicon import trie
from bot.claims.tokens import digit_runs, has_digit, lowered, may_end, words

# A small table instead of a library: word2number is unmaintained (last release 2017) and
# number-parser parses whole sentences (slow, and it rewrites the text we need offsets in).
# News writes numbers in words only for small or round figures, which this table covers.
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

# Every pattern here is in lower case and runs on lower-cased text (`tokens.lowered`, offsets
# kept): Python's engine runs the same patterns several times slower under IGNORECASE.
# A trie, not a flat alternation: the engine then fails on a word's first letter (twice as fast).
_WORD = trie([*_UNITS, *_SCALES])
_WORDS = rf"(?:(?:half\s+)?a\s+dozen|(?:{_WORD})(?:(?:\s+and)?[\s-]+(?:{_WORD}))*)(?![\w-])"
# Thousands grouped by comma or (thin/no-break) space: 12,000 / 12 000.
_DIGITS = r"\d{1,3}(?:(?:,|[ \u00a0\u202f])\d{3})+(?!\d|,\d)(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE_SUFFIX = r"(?:\s*[kK](?![\w])|\s+(?:thousand|million|billion)(?![\w]))?"
_NUM = rf"(?:(?:{_DIGITS}){_SCALE_SUFFIX}|{_WORDS})"
# `first` (a lookahead on the letters a match can start with) lets the engine pass over the
# other characters without entering the pattern: about twice as fast.
_NUMBER = (
    r"(?=[\d{first}])(?<![\w.,$€£+/-])(?:(?P<between>between|from)\s+)?(?P<lo>{num})"
    r"(?:\s*(?:-|–|—|to|and)\s*(?P<hi>{num}))?"
)
_FIRSTS = "".join(sorted({w[0] for w in [*_UNITS, *_SCALES, "a", "half", "between", "from"]}))
_NUMBER_RE = re.compile(_NUMBER.format(num=_NUM, first=_FIRSTS))
# The same without number words, three times faster: for text that has none (most text).
_FIGURES_RE = re.compile(_NUMBER.format(num=rf"(?:{_DIGITS}){_SCALE_SUFFIX}", first="bf"))
_A_DOZEN = re.compile(r"\b(?:half\s+)?a\s+dozen")
_FIGURE = re.compile(r"([\d, ]*\d(?:\.\d+)?)\s*(k|thousand|million|billion)?$")
_ONE_OF = re.compile(r"\s+(?:of|another|side)\b")
_NUMBER_WORDS = frozenset([*_UNITS, *_SCALES])

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# What comes before a number that makes it a date, an article, a model or money.
_BEFORE_EXCLUDE = re.compile(
    rf"(?:\b(?:{_MONTHS})\.?|\bno\.|\barticle|\bart\.|\bpage|\bchapter|\bresolution|\bnumber|"
    r"\baged?|\broute|\bhighway|\bflight|[a-z]-|[$€£₩]|\bus\$)\s*$"
)
# What comes after a number that makes it an ordinal, a date, a measure or a thing. Units and
# things are tries: whole words, and stems that any ending may follow.
_UNIT_WORDS = (
    "mm", "cm", "km", "m", "kg", "kt", "t", "ton", "tons", "won", "times", "fold", "am", "pm",
    "bus", "corps",
    # "two thirds of them": a fraction, not a figure.
    "third", "thirds", "quarter", "quarters", "halves", "fifth", "fifths", "tenth", "tenths",
)  # fmt: skip
_UNIT_STEMS = (
    "millimet", "centimet", "kilomet", "meter", "metre", "mile", "year", "month", "week", "day",
    "hour", "minute", "second", "decade", "time", "tonne", "kilogram", "container", "shell",
    "round", "missile", "rocket", "launcher", "howitzer", "gun", "artillery", "piece", "dollar",
    "ruble", "rouble", "euro", "village", "settlement", "km²", "sq", "square", "acre", "hectare",
    "degree", "calibre", "caliber", "o'clock", "a.m", "p.m", "vehicle", "tank", "drone",
    "aircraft", "jet", "plane", "ship", "train", "truck", "brigade", "battalion", "division",
    "regiment", "site", "base", "location", "point", "country", "countries", "nation", "side",
    "region", "percent",
)  # fmt: skip
_AFTER_EXCLUDE = re.compile(
    # "2+2 talks", "24/7", "10/28": not a headcount.
    rf"(?:st|nd|rd|th)\b|[:+/]\d|\s*(?:%|per\s*cent\b|(?:{_MONTHS})\b|"
    rf"-?(?:(?:{trie(_UNIT_WORDS)})\b|{trie(_UNIT_STEMS)}))|"
    # "three military sites", "five training bases": places and things, one word between.
    r"\s+[a-z-]+\s+(?:sites?|bases?|camps?|locations?|facilit|airfields?|ports?|villages?|"
    r"regions?|areas?|towns?|districts?|ships?|trains?|flights?)\b"
)
# "several hundred", "a few thousand", "hundreds of": no figure given.
_VAGUE = re.compile(r"\b(?:several|a\s+few|few|many|some|dozens\s+of|hundreds\s+of)\s*$")
_BARE_SCALE = frozenset(["hundred", "thousand", "million", "dozen"])
_QUALIFIERS = (
    ("about", r"about|around|roughly|approximately|some|nearly|almost|close to|an estimated|"
              r"estimated|approx\.|circa|an approximate"),
    ("up to", r"up to|as many as|as much as|fewer than|less than|under|no more than"),
    ("at least", r"at least|no fewer than|no less than|a minimum of"),
    ("more than", r"more than|over|upwards of|in excess of|above|exceed(?:s|ed|ing)?|"
                  r"surpass(?:es|ed)?|beyond"),
)  # fmt: skip
# The last words of what the two regexes above match (kept in step by tests/test_numbers.py).
_BEFORE_ENDS = (
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june",
    "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october", "nov",
    "november", "dec", "december", "article", "page", "chapter", "resolution", "number", "age",
    "aged", "route", "highway", "flight", ".", "-", "$", "€", "£", "₩",
)  # fmt: skip
_QUALIFIER_ENDS = (
    "about", "around", "roughly", "approximately", "some", "nearly", "almost", "to", "estimated",
    "circa", "approximate", "as", "than", "under", "least", "of", "over", "above", "exceed",
    "exceeds", "exceeded", "exceeding", "surpass", "surpasses", "surpassed", "beyond", ".",
)  # fmt: skip
_QUALIFIER_RE = [(name, re.compile(rf"\b(?:{words})\s*$")) for name, words in _QUALIFIERS]


# Figures as written -> their values: figures repeat (within an item, and across a story).
_VALUES: dict[str, float | None] = {}
_VALUES_MAX = 4096


class Number:
    """A figure found in text: ``value`` (low end of a range), ``value_high``, ``qualifier``.
    (A plain class: compiled, its __init__ is native code.)"""

    def __init__(
        self,
        start: int,
        end: int,
        value: float,
        value_high: float | None = None,
        qualifier: str | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.value = value
        self.value_high = value_high
        self.qualifier = qualifier


def parse_number(token: str) -> float | None:
    """The value of one figure: "12,000", "12 000", "12k", "1.2 million", "ten thousand"."""
    if token in _VALUES:
        return _VALUES[token]
    value = _parse_number(token)
    if len(_VALUES) < _VALUES_MAX:
        _VALUES[token] = value
    return value


def _parse_number(token: str) -> float | None:
    t = token.strip().lower().replace("\u00a0", " ").replace("\u202f", " ")
    if not t:
        return None
    if t[0].isdigit():
        m = _FIGURE.match(t)
        if not m:
            return None
        digits = m.group(1).replace(",", "").replace(" ", "")
        value = float(digits)
        scale = m.group(2)
        if scale == "k":
            value *= 1_000
        elif scale:
            value *= _SCALES[scale]
        return value
    return _parse_words(t)


def _parse_words(text: str) -> float | None:
    total = current = 0
    seen = half = False
    for word in re.split(r"[\s-]+", text.replace(" and ", " ")):
        if word == "half":  # "half a dozen"
            half = True
        elif word == "a":
            current = current or 1
        elif word == "dozen":  # "a dozen", "two dozen"
            current = (current or 1) * 12
            seen = True
        elif word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _SCALES:
            scale = _SCALES[word]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
            seen = True
    if not seen:
        return None
    return (total + current) / 2 if half else float(total + current)


def _qualifier(tail: str) -> str | None:
    """The qualifier ending ``tail`` (the 30 characters before a figure)."""
    if not may_end(tail, _QUALIFIER_ENDS):
        return None
    for name, pattern in _QUALIFIER_RE:
        if pattern.search(tail):
            return name
    return None


def _excluded(text: str, start: int, end: int, token: str) -> bool:
    before = text[max(0, start - 14) : start]
    if may_end(before, _BEFORE_ENDS) and _BEFORE_EXCLUDE.search(before):
        return True
    after = text[end : end + 16]
    if _AFTER_EXCLUDE.match(after):
        return True
    # A bare four-digit figure in the years' range is a year ("in 2024"), not a headcount.
    if len(token) == 4 and token.startswith(("19", "20")) and token[2:].isdecimal():
        return True
    # "one of the", "one side": a pronoun, not a figure.
    return token.lower() == "one" and bool(_ONE_OF.match(after))


def _matches(low: str, spelled: frozenset[str], runs: list[int]) -> list[re.Match[str]]:
    """What ``finditer`` over ``low`` yields of the figures regex, or with ``spelled`` (the
    number words ``low`` holds) of the one with number words, tried only where a figure can
    start: a run of digits (``runs``: their starts), a number word, the "a" of "a dozen", or a
    "between" or "from" before one of them. The regexes' leading lookahead would enter them at
    every character."""
    regex = _NUMBER_RE if spelled else _FIGURES_RE
    starts = set(runs)
    for word in spelled:  # (where the word is part of another, the regex says no)
        i = low.find(word)
        while i >= 0:
            starts.add(i)
            i = low.find(word, i + 1)
    if "dozen" in spelled:
        starts.update(m.start() for m in _A_DOZEN.finditer(low))
    found: list[re.Match[str]] = []
    pos = 0
    for d in sorted(starts):
        if d < pos:
            continue
        k = d
        while k > pos and low[k - 1].isspace():
            k -= 1
        m = None
        if k < d:
            for lead in ("between", "from"):
                if k - len(lead) >= pos and low.startswith(lead, k - len(lead)):
                    m = regex.match(low, k - len(lead))
        if m is None:
            m = regex.match(low, d)
        if m is not None:
            found.append(m)
            pos = m.end()
    return found


def may_hold_numbers(text: str, text_words: frozenset[str]) -> bool:
    """False when ``text`` (whose `tokens.words` are, or are within, ``text_words``) cannot
    hold a figure."""
    return has_digit(text) or not _NUMBER_WORDS.isdisjoint(text_words)


def find_numbers(text: str, within: frozenset[str] | None = None) -> list[Number]:
    """All headcount-like figures in ``text``, left to right, with ranges and qualifiers
    (``within``: the words of a text that holds this one, to skip the tokenising)."""
    found: list[Number] = []
    # The number words the text may hold (those of ``within``: a figure is looked for where
    # each of them is found in the text, so one that is not there costs a `str.find`).
    present = _NUMBER_WORDS & (words(text) if within is None else within)
    low = lowered(text)
    runs = digit_runs(low)
    if not present and not runs:
        return found
    for m in _matches(low, present, runs):
        lo_token, hi_token = m.group("lo"), m.group("hi")
        if hi_token is not None:
            joiner = low[m.end("lo") : m.start("hi")].strip()
            # "and" joins a range only after "between"; "to" only after "from" or between figures.
            if joiner == "and" and not m.group("between"):
                hi_token = None
        start = m.start("lo")
        end = m.end("hi") if hi_token is not None else m.end("lo")
        # (This once ran again on the low figure alone when there is no high one: the same call.)
        if _excluded(low, start, end, (hi_token or lo_token).strip()):
            continue
        if lo_token in _BARE_SCALE and _VAGUE.search(low, max(0, start - 16), start):
            continue
        lo = parse_number(lo_token)
        if lo is None:
            continue
        hi = parse_number(hi_token) if hi_token is not None else None
        if hi is not None and hi <= lo:
            # "1,000-3" is not a range; keep the first figure only.
            hi = None
            end = m.end("lo")
        qualifier = _qualifier(low[max(0, m.start() - 30) : m.start()])
        found.append(Number(start, end, lo, hi, qualifier))
    return found
