"""Syndicated copies: MinHash signatures and LSH band keys of an item's text (pure).

A wire story reappears across outlets with small edits (another headline, a trimmed last
paragraph, a byline). Word 3-shingles of the normalized text go into a MinHash; its 128 values
are cut into 32 bands of 4, and each band hashes to one 63-bit key. The ledger stores (band
key, item) for recent items, so finding candidates is an indexed lookup, and a candidate is
kept only when its full signatures agree on at least ``THRESHOLD`` of the values (the
estimated Jaccard similarity of the shingle sets). No I/O here.

With 32 bands of 4 rows, a pair at Jaccard 0.5 shares a band with probability
1 - (1 - 0.5^4)^32 ≈ 0.87, at 0.6 ≈ 0.99, at 0.7 ≈ 0.9999; at 0.2 about 0.05 (then rejected
by the full comparison).

The MinHash is datasketch's (2.x, scheme "affine32", seed 1: SHA-1 of each shingle, first 4
bytes little-endian, MurmurHash3's 32-bit finalizer, then ``a*h + b`` mod 2^32 per
permutation), computed here with numpy directly: the values are the same bit for bit, so
signatures stored by earlier versions still match (tests/test_syndication.py checks it
against datasketch), while a signature costs about half as much and datasketch's import of
scipy (about a second and 40 MB) is never paid.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np

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
_U32 = np.uint32
# MurmurHash3's 32-bit finalizer (fmix32): shifts and multipliers.
_FMIX = (_U32(16), _U32(0x85EBCA6B), _U32(13), _U32(0xC2B2AE35), _U32(16))
_sha1 = hashlib.sha1


@cache
def permutations() -> tuple[np.ndarray, np.ndarray]:
    """The ``a`` (odd) and ``b`` of the 128 affine permutations, as datasketch draws them."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=_U32) * _U32(2) + _U32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=_U32)
    return a, b


def minhash(grams: Iterable[bytes]) -> np.ndarray:
    """The MinHash values (uint32) of a non-empty set of shingles."""
    hv = np.frombuffer(b"".join([_sha1(g).digest()[:4] for g in grams]), dtype="<u4")
    s1, m1, s2, m2, s3 = _FMIX
    hv = hv ^ (hv >> s1)
    hv *= m1
    hv ^= hv >> s2
    hv *= m2
    hv ^= hv >> s3
    a, b = permutations()
    out: np.ndarray = (hv[:, None] * a + b).min(axis=0)
    return out


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
    grams = sorted(shingles(tokens))
    raw = minhash(grams).astype("<u4", copy=False).tobytes()
    bands = tuple(_int63(bytes([b]) + raw[b * ROWS * 4 : (b + 1) * ROWS * 4]) for b in range(BANDS))
    # The fingerprint names the exact shingle set: equal for verbatim copies.
    fingerprint = _int63(b"\n".join(grams))
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
