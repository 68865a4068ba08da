"""Number grammar: figures, words, ranges, qualifiers, and what is not a headcount."""

import re

import pytest

from bot.claims.numbers import find_numbers, parse_number


@pytest.mark.parametrize(
    ("text", "value", "high", "qualifier"),
    [
        ("about 12,000 troops", 12000, None, "about"),
        ("12 000 soldiers", 12000, None, None),
        ("some 12k troops", 12000, None, "about"),
        ("ten thousand soldiers", 10000, None, None),
        ("three thousand five hundred men", 3500, None, None),
        ("twenty-five soldiers", 25, None, None),
        ("up to 8,000 in Kursk", 8000, None, "up to"),
        ("as many as 10,000 troops", 10000, None, "up to"),
        ("at least 3,000 soldiers", 3000, None, "at least"),
        ("more than 10,000 soldiers", 10000, None, "more than"),
        ("casualties exceed 3,000", 3000, None, "more than"),
        ("between 1,000 and 3,000 soldiers", 1000, 3000, None),
        ("1,000-3,000 troops", 1000, 3000, None),
        ("from 11,000 to 12,000 troops", 11000, 12000, None),
        ("roughly 1.5 million", 1_500_000, None, "about"),
    ],
)
def test_figures(text: str, value: float, high: float | None, qualifier: str | None) -> None:
    [n] = find_numbers(text)
    assert (n.value, n.value_high, n.qualifier) == (value, high, qualifier)


@pytest.mark.parametrize(
    "text",
    [
        "170mm self-propelled guns",
        "240 mm rocket launchers",
        "a base 5 km from the border",
        "about 300 kilometres away",
        "in 2024",
        "on October 3",
        "between October 8 and 13",
        "on Oct. 23",
        "3 November",
        "the 11th Air Assault Brigade",
        "Article 4 of the treaty",
        "KN-23 missiles",
        "93% complete",
        "two minutes after lift-off",
        "one of the largest armies",
        "5,000 containers of munitions",
        "a lull of about a month",
    ],
)
def test_not_headcounts(text: str) -> None:
    assert find_numbers(text) == []


def test_parse_number() -> None:
    assert parse_number("12k") == 12000
    assert parse_number("1.2 million") == 1_200_000
    assert parse_number("a dozen") == 12
    assert parse_number("nothing") is None


def test_suffix_prefilters_agree_with_the_regexes() -> None:
    """`_BEFORE_ENDS` and `_QUALIFIER_ENDS` name every ending the regexes can match."""
    import random

    from bot.claims import numbers as N

    words = [w for pattern in (N._BEFORE_EXCLUDE.pattern, *(p for _, p in N._QUALIFIERS))
             for w in re.findall(r"[a-z]+", pattern)]  # fmt: skip
    rng = random.Random(3)
    pieces = [*words, "the", "said", "US$", "$", "Art.", "No.", "x-", "£", " ", "  ", ",", "’"]
    for _ in range(20000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
        # The regexes run on lower-cased text (`tokens.lowered`), as `find_numbers` gives them.
        text = (text + rng.choice(["", " ", "  "])).lower()
        if N._BEFORE_EXCLUDE.search(text):
            assert N.may_end(text, N._BEFORE_ENDS), text
        if any(p.search(text) for _, p in N._QUALIFIER_RE):
            assert N.may_end(text, N._QUALIFIER_ENDS), text


def test_passive_prefilter_agrees_with_its_regex() -> None:
    """`may_end` with `_PASSIVE_WORDS` never rules out what `_PASSIVE` would match."""
    import random

    from bot.claims import attribution as A
    from bot.claims.numbers import may_end

    rng = random.Random(5)
    pieces = [*A._PASSIVE_WORDS, "Korea", "said", "(the", "an-", "he", "to,", "not", " ", "  "]
    for _ in range(20000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
        text = (text + rng.choice(["", " ", "  ", "\t"])).lower()
        if A._PASSIVE.search(text):
            assert may_end(text, A._PASSIVE_WORDS), text
