"""bot/dedupe.py computes datasketch's MinHash itself: the values must stay the same bit for
bit, or signatures stored by earlier versions would stop matching new items."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from bot.dedupe import MIN_WORDS, NUM_PERM, SEED, shingles, signature, words

TEXTS = [
    ("Kremlin denies troop figures", "The Kremlin on Tuesday denied reports " * 5),
    ("Ünïcode títle", "Zelensky said 1,200 soldiers crossed; officials in Seoul disagreed. " * 3),
]


def _random_text(rng: random.Random) -> str:
    vocab = [f"w{i}" for i in range(400)]
    return " ".join(rng.choice(vocab) for _ in range(rng.randint(MIN_WORDS, 300)))


def test_values_equal_datasketch() -> None:
    datasketch = pytest.importorskip("datasketch")
    rng = random.Random(7)
    cases = TEXTS + [("", _random_text(rng)) for _ in range(50)]
    for title, text in cases:
        sig = signature(title, text)
        assert sig is not None
        m = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED)
        m.update_batch(sorted(shingles(words(title, text))))
        expected = np.asarray(m.hashvalues, dtype="<u4").tobytes()
        assert sig.values == expected


def test_no_scipy_import() -> None:
    code = (
        "import sys; from bot.dedupe import signature; "
        "signature('t', ' '.join(str(i) for i in range(40))); "
        "print('scipy' in sys.modules, 'datasketch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]
