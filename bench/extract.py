"""The extraction benchmark: items per second through ``Extractor.extract`` on one core.

Uses ``bench/bench_extract.py`` (its own synthetic ~300-word items) when it is there; otherwise
times the extractor here on the polling benchmark's synthetic items (bench/feeds.py).
"""

from __future__ import annotations

import importlib
import time
from typing import Any


def run_extract(n_items: int = 2000, seed: int = 1) -> dict[str, Any]:
    try:
        module = importlib.import_module("bench.bench_extract")
    except ImportError:
        module = None
    if module is not None and hasattr(module, "run"):
        result = dict(module.run(n_items=n_items, seed=seed))
        result["how"] = "bench/bench_extract.py"
        return result
    return _fallback(n_items)


def _fallback(n_items: int) -> dict[str, Any]:
    from bench.feeds import ITEMS_PER_FEED, item
    from bot.claims.extract import Extractor
    from bot.claims.pack import load_pack

    extractor = Extractor(load_pack())
    # Relevant and other items as the feeds mix them; extract() returns early on the others.
    items = [item(i // ITEMS_PER_FEED, i % ITEMS_PER_FEED) for i in range(n_items)]
    for it in items[:50]:  # warm-up
        extractor.extract(it["title"], it["text"])
    started = time.process_time()  # CPU time of this process: one core
    for it in items:
        extractor.extract(it["title"], it["text"])
    seconds = time.process_time() - started
    return {
        "items": n_items,
        "seconds": seconds,
        "items_per_s": n_items / seconds,
        "how": "fallback on bench/feeds.py items: bench/bench_extract.py was not found",
    }
