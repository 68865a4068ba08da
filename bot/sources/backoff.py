"""Exponential backoff with full jitter for failing sources and deliveries.

A pure function of its arguments (the random generator is passed in); it sleeps on nothing.
"""

from __future__ import annotations

import random

# Past this many doublings every delay is at the cap anyway; stopping here keeps 2**n small.
_MAX_DOUBLINGS = 64
_RNG = random.Random()


def backoff_delay(
    failures: int,
    base_s: float = 60.0,
    cap_s: float = 6 * 3600.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after ``failures`` failures in a row: uniform in [0, min(cap, base·2^(n-1))].

    "Full jitter" spreads retries of many sources failing together (one outage) over the whole
    window instead of bunching them: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
    No failures means no wait. Pass a seeded ``random.Random`` for reproducible results.
    """
    if failures <= 0 or base_s <= 0 or cap_s <= 0:
        return 0.0
    ceiling = min(cap_s, base_s * 2.0 ** min(failures - 1, _MAX_DOUBLINGS))
    return (rng or _RNG).uniform(0.0, ceiling)
