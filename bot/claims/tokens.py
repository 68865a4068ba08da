"""The lower-case words of a text as `\\w+` splits it: one cheap pass for set lookups.

Pure and story-free. A phrase regex matches whole words (joined by spaces, apostrophes or
hyphens), so each word of a match is one of the text's words: a set lookup can rule a
regex out before it runs.
"""

from __future__ import annotations

import re

# Every character `\w` does not match becomes a space (the Basic Multilingual Plane; other
# planes go through the regex).
_SPLIT = str.maketrans({c: " " for c in map(chr, range(0x10000)) if not re.match(r"\w", c)})
_WORD = re.compile(r"\w+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # faster than max() over the text


def words(text: str) -> frozenset[str]:
    """The lower-case words of ``text``, split as `\\w+` splits."""
    lowered = text.lower()
    if lowered.isascii() or not _ASTRAL.search(lowered):
        return frozenset(lowered.translate(_SPLIT).split())
    return frozenset(_WORD.findall(lowered))
