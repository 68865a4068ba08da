"""The lower-case words of a text as `\\w+` splits it: one cheap pass for set lookups.

Pure and story-free. A phrase regex matches whole words (joined by spaces, apostrophes or
hyphens), so each word of a match is one of the text's words: a set lookup can rule a
regex out before it runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Every character `\w` does not match becomes a space (the Basic Multilingual Plane; other
# planes go through the regex).
_SPLIT = str.maketrans({c: " " for c in map(chr, range(0x10000)) if not re.match(r"\w", c)})
_WORD = re.compile(r"\w+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # faster than max() over the text


def byte_table(table: Mapping[int, str]) -> bytes:
    """A `str.translate` table as a `bytes.translate` one, for ASCII text (see `translate`)."""
    out = [table.get(i, chr(i)) for i in range(128)]
    assert all(len(c) == 1 and c.isascii() for c in out), "ASCII must map to one ASCII character"
    return "".join(out).encode("ascii") + bytes(range(128, 256))


def translate(text: str, table: Mapping[int, str], ascii_table: bytes) -> str:
    """``text.translate(table)``. ASCII text goes through `bytes.translate` (``ascii_table``
    from `byte_table`): `str.translate` looks up every distinct character in ``table`` again
    on each call, which costs more than the whole byte pass."""
    if text.isascii():
        return text.encode("ascii").translate(ascii_table).decode("ascii")
    return text.translate(table)


_SPLIT_BYTES = byte_table(_SPLIT)
_DIGIT = re.compile(r"\d")
_DIGIT_RUN = re.compile(r"\d+")
_ASCII_DIGITS = b"0123456789"
# Every ASCII digit becomes "0" and every other byte a space: runs of digits are then found
# with `bytes.find`, which passes over text at memory speed where the regex engine tests each
# character against `\d`.
_DIGIT_MARKS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))


def positions(text: str, chars: str) -> list[int]:
    """Where any of ``chars`` stands in ``text``, in order (`str.find` passes over the text far
    faster than a regex's character class)."""
    found: list[int] = []
    for c in chars:
        i = text.find(c)
        while i >= 0:
            found.append(i)
            i = text.find(c, i + 1)
    if len(chars) > 1:
        found.sort()
    return found


def may_end(text: str, ends: tuple[str, ...]) -> bool:
    """False when an ASCII ``text`` does not end (but for spaces) with one of ``ends``: what a
    regex anchored at the end needs, told by an `endswith`, much cheaper than its search."""
    tail = text.rstrip()
    return not tail.isascii() or tail.lower().endswith(ends)


def word_char(c: str) -> bool:
    """Whether the character ``c`` is one `\\w` matches."""
    return c.isalnum() or c == "_"


def has_digit(text: str) -> bool:
    """Whether ``text`` holds a digit (as ``\\d`` matches one)."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _ASCII_DIGITS)) != len(text)
    return _DIGIT.search(text) is not None


def digit_runs(text: str) -> list[int]:
    """Where the runs of digits in ``text`` start (the starts of ``re.finditer(r"\\d+")``)."""
    if not text.isascii():
        return [m.start() for m in _DIGIT_RUN.finditer(text)]
    marks = text.encode("ascii").translate(_DIGIT_MARKS)
    starts: list[int] = []
    i = marks.find(b"0")
    while i >= 0:
        starts.append(i)
        end = marks.find(b" ", i)
        if end < 0:
            break
        i = marks.find(b"0", end)
    return starts


def folded(text: str) -> str | None:
    """``text`` lower-cased with every non-word character a space, character for character
    (so ``words(text[a:b]) == frozenset(folded(text)[a:b].split())``); None where that cannot
    hold (a character whose lower case is longer, or one outside the Basic Multilingual Plane).
    One pass over an item instead of one per sentence."""
    lowered = text.lower()
    if len(lowered) != len(text) or (not lowered.isascii() and _ASTRAL.search(lowered)):
        return None
    return translate(lowered, _SPLIT, _SPLIT_BYTES)


def lowered(text: str) -> str:
    """``text`` in lower case, character for character, so offsets hold: for lower-case
    patterns that run without IGNORECASE, under which Python's engine is several times slower."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)  # "İ" lowers to two


def words(text: str) -> frozenset[str]:
    """The lower-case words of ``text``, split as `\\w+` splits."""
    lowered = text.lower()
    if lowered.isascii() or not _ASTRAL.search(lowered):
        return frozenset(translate(lowered, _SPLIT, _SPLIT_BYTES).split())
    return frozenset(_WORD.findall(lowered))
