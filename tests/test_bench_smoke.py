"""The benchmarks still run: a tiny polling run (5 loopback feeds), a tiny status run and a
tiny extraction run.

Not a timing test: it checks the shape of the results, so `make bench` does not break unseen.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# bench/ is not an installed package (it is run as `python -m bench` from the repository root).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import feeds, machine, polling, status
from bench.__main__ import extract_rows, polling_rows, status_rows, table
from bench.extract import run_extract


@pytest.mark.timeout(60)
def test_polling_bench_on_five_feeds(tmp_path: Path) -> None:
    contenders = ("claimwatch", "reader") if importlib.util.find_spec("reader") else ("claimwatch",)
    results = polling.run_polling(5, tmp_path, contenders)
    assert set(results) == set(contenders)
    for name, res in results.items():
        assert res["peak_mb"] > 0
        assert set(res["passes"]) == set(polling.PASSES)
        for p in res["passes"].values():
            assert {"wall_s", "cpu_s", "server", "new_items", "failed"} <= set(p)
            assert p["wall_s"] > 0 and p["cpu_s"] >= 0 and p["failed"] == 0
        passes = res["passes"]
        assert passes["new"]["new_items"] == 5 * feeds.ITEMS_PER_FEED, name
        assert passes["new"]["server"] == "200=5 304=0", name
        assert passes["unchanged"]["new_items"] == 0 and passes["unchanged"]["server"] == (
            "200=0 304=5"
        ), name
        # Feed 0 of the five is the one that changes (every 10th feed).
        assert passes["changed"]["new_items"] == feeds.NEW_ITEMS, name
    assert results["claimwatch"]["passes"]["new"]["claims"] > 0
    assert "poll new" in table(polling_rows(results, 5, full=False))


def test_status_bench_on_two_thousand_claims(tmp_path: Path) -> None:
    res = status.run_status(tmp_path, n_claims=2_000, runs=10)
    assert res["claims"] == 2_000 and res["build_s"] > 0
    assert set(res["queries"]) == {"!status", "!status (cached)", "!claims", "!claims casualties"}
    for q in res["queries"].values():
        assert q["p50_ms"] > 0 and q["p99_ms"] >= q["p50_ms"] and q["lines"] > 0
    again = status.run_status(tmp_path, n_claims=2_000, runs=3)  # the cached ledger
    assert again["build_s"] == 0
    assert "!status" in table(status_rows(res, "SQLite"))


def test_machine_description() -> None:
    info = machine.describe()
    assert {"CPU", "cores", "RAM", "Python", "SQLite", "PostgreSQL", "date"} <= set(info)


def test_extraction_bench_on_forty_items() -> None:
    res = run_extract(n_items=40)
    assert res["how"] == "bench/bench_extract.py" and res["passes"] == 5
    assert res["fastest_items_per_s"] >= res["items_per_s"] > 0
    assert res["written_items_per_s"] > 0 and res["reference_mloops_per_s"] > 0
    assert "extraction, one core" in table(extract_rows(res))
