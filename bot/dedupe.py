"""Syndicated copies: MinHash signatures and LSH band keys of an item's text (pure).

A wire story reappears across outlets with small edits (another headline, a trimmed last
paragraph, a byline). Word 3-shingles of the normalized text go into a MinHash (datasketch);
its 128 values are cut into 32 bands of 4, and each band hashes to one 63-bit key. The ledger
stores (band key, item) for recent items, so finding candidates is an indexed lookup, and a
candidate is kept only when its full signatures agree on at least ``THRESHOLD`` of the values
(the estimated Jaccard similarity of the shingle sets). No I/O here.

With 32 bands of 4 rows, a pair at Jaccard 0.5 shares a band with probability
1 - (1 - 0.5^4)^32 ≈ 0.87, at 0.6 ≈ 0.99, at 0.7 ≈ 0.9999; at 0.2 about 0.05 (then rejected
by the full comparison).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SEED = 1
#: Estimated Jaccard similarity (of word 3-shingles) from which two items are copies.
THRESHOLD = 0.5
#: Fewer words than this carry too little to call two items copies of each other.
MIN_WORDS = 12
SHINGLE = 3

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@cache
def _template() -> MinHash:
    """The permutations, computed once. datasketch is imported on first use: importing it
    loads scipy (about a second), which a chat command that never prepares items can skip."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED)


@dataclass(frozen=True, slots=True)
class Signature:
    """An item's MinHash values (uint32, little-endian bytes) and its LSH band keys."""

    values: bytes
    bands: tuple[int, ...]
    fingerprint: int


def words(title: str, text: str) -> list[str]:
    return _WORD.findall(f"{title} {text}".lower())


def shingles(tokens: list[str], k: int = SHINGLE) -> set[bytes]:
    if len(tokens) < k:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i : i + k]).encode() for i in range(len(tokens) - k + 1)}


def _int63(data: bytes) -> int:
    """A signed 64-bit integer that fits a BIGINT column on both engines."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


def signature(title: str, text: str) -> Signature | None:
    """The item's signature, or None when it is too short to compare."""
    tokens = words(title, text)
    if len(tokens) < MIN_WORDS:
        return None
    grams = shingles(tokens)
    template = _template()
    m = type(template)(
        num_perm=NUM_PERM, seed=SEED, permutations=template.permutations, scheme=template.scheme
    )
    m.update_batch(sorted(grams))
    values = np.asarray(m.hashvalues, dtype="<u4")
    raw = values.tobytes()
    bands = tuple(_int63(bytes([b]) + raw[b * ROWS * 4 : (b + 1) * ROWS * 4]) for b in range(BANDS))
    # The fingerprint names the exact shingle set: equal for verbatim copies.
    fingerprint = _int63(b"\n".join(sorted(grams)))
    return Signature(values=raw, bands=bands, fingerprint=fingerprint)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two items from their MinHash values."""
    if len(a) != len(b) or not a:
        return 0.0
    va = np.frombuffer(a, dtype="<u4")
    vb = np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(va == vb)) / len(va)


def best_match(
    mine: bytes, candidates: dict[int, bytes], threshold: float = THRESHOLD
) -> int | None:
    """The candidate (by id) most similar to ``mine`` at or above ``threshold``; the oldest
    (lowest id) on a tie."""
    best: tuple[float, int] | None = None
    for item_id, values in sorted(candidates.items()):
        score = similarity(mine, values)
        if score >= threshold and (best is None or score > best[0]):
            best = (score, item_id)
    return best[1] if best else None
