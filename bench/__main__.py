"""``python -m bench``: run the benchmarks, print one table, write bench/RESULTS.md.

python -m bench [--feeds N] [--claims N] [--only polling,status,extract]
                [--postgres URL] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

from bench.extract import run_extract
from bench.machine import describe, load
from bench.polling import PASSES, run_polling
from bench.scaleout import run as run_scaleout
from bench.status import run_status

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
Row = tuple[str, str, str, str]  # figure, value, target, verdict

TARGETS = {"new": 8.0, "unchanged": 10.0}
PEAK_MB = 150.0
STATUS_P99_MS = 50.0
EXTRACT_PER_S = 2_000.0


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def scaleout_rows(results: list[dict[str, Any]]) -> list[Row]:
    """The all-new pass on PostgreSQL by the number of `claimwatch worker` processes."""
    rows: list[Row] = []
    for res in results:
        k = res["workers"]
        rows.append(
            (
                f"poll new · PostgreSQL, {k} worker{'s' if k > 1 else ''}",
                f"{res['wall_s']:.2f} s wall, {res['feeds_per_s']:.1f} feeds/s",
                "",
                f"worker CPU {res['worker_cpu_s']:.1f} s, "
                f"PostgreSQL CPU {res['postgres_cpu_s']:.1f} s; {res['items']} items",
            )
        )
    return rows


def polling_rows(res: dict[str, dict[str, Any]], n: int, full: bool) -> list[Row]:
    cw, rd = res["claimwatch"], res.get("reader")
    rows: list[Row] = []
    for name in PASSES:
        c = cw["passes"][name]
        what = f"{c['new_items']} new items, {c['claims']} claims; server {c['server']}"
        rows.append(
            (
                f"poll {name} · claimwatch",
                f"{c['wall_s']:.2f} s wall, {c['cpu_s']:.2f} s CPU",
                "",
                what,
            )
        )
        if rd is None:
            continue
        r = rd["passes"][name]
        rows.append(
            (
                f"poll {name} · reader",
                f"{r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU",
                "",
                f"{r['new_items']} new entries; server {r['server']}",
            )
        )
        ratio, cpu_ratio = r["wall_s"] / c["wall_s"], r["cpu_s"] / max(c["cpu_s"], 1e-9)
        target = TARGETS.get(name)
        verdict = "" if target is None else _verdict(ratio >= target)
        if target is not None and not full:
            verdict += f" (N={n}; the target is for N=1000)"
        rows.append(
            (
                f"poll {name} · reader / claimwatch",
                f"{ratio:.2f}x wall, {cpu_ratio:.2f}x CPU",
                f">= {target:g}x wall" if target else "",
                verdict,
            )
        )
    verdict = _verdict(cw["peak_mb"] < PEAK_MB) + ("" if full else f" (N={n})")
    rows.append(
        ("peak memory · claimwatch", f"{cw['peak_mb']:.0f} MB", f"< {PEAK_MB:g} MB", verdict)
    )
    if rd is not None:
        rows.append(("peak memory · reader", f"{rd['peak_mb']:.0f} MB", "", ""))
    return rows


def status_rows(res: dict[str, Any], engine: str) -> list[Row]:
    rows: list[Row] = []
    for name, q in res["queries"].items():
        # The target is judged on both !status figures: cold (a ledger read every run) and
        # cached (bench/status.py).
        target = f"p99 < {STATUS_P99_MS:g} ms" if name.startswith("!status") else ""
        verdict = _verdict(q["p99_ms"] < STATUS_P99_MS) if target else ""
        if target and res["claims"] < 1_000_000:
            verdict += f" ({res['claims']:,} claims; the target is for 1,000,000)"
        rows.append(
            (
                f"{name} · {engine}, {res['claims']:,} claims",
                f"p50 {q['p50_ms']:.1f} ms, p99 {q['p99_ms']:.1f} ms ({q['runs']} runs)",
                target,
                verdict,
            )
        )
    return rows


def extract_rows(res: dict[str, Any]) -> list[Row]:
    rate = res["items_per_s"]
    what = f"{res['items']} items in {res['seconds']:.2f} s ({res['how']})"
    if "fastest_items_per_s" in res:
        what += (
            f"; median of {res['passes']} passes over new items each,"
            f" fastest {res['fastest_items_per_s']:,.0f}/s"
        )
    if "written_items_per_s" in res:
        what += f"; written items: {res['written_items_per_s']:,.0f}/s"
    if "reference_mloops_per_s" in res:
        what += f"; this machine: {res['reference_mloops_per_s']:.1f} M Python loops/s"
    verdict = f"{_verdict(rate >= EXTRACT_PER_S)}: {what}"
    return [("extraction, one core", f"{rate:,.0f} items/s", f">= {EXTRACT_PER_S:,.0f}/s", verdict)]


def table(rows: list[Row]) -> str:
    head: Row = ("figure", "measured", "target", "result / notes")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join([line, sep, *body])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--feeds", type=int, default=None, help="feeds to poll (1000)")
    parser.add_argument("--claims", type=int, default=None, help="claims in the ledger (1e6)")
    parser.add_argument("--only", default="polling,status,extract")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also time the status queries there, and the all-new pass with 1 and 2 workers",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 feeds, 50k claims")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per chat command")
    args = parser.parse_args(argv)
    feeds = args.feeds or (100 if args.quick else 1_000)
    n_claims = args.claims or (50_000 if args.quick else 1_000_000)
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    unknown = only - {"polling", "status", "extract"}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    machine = describe(args.postgres)
    rows: list[Row] = []
    started = time.perf_counter()
    if "polling" in only:
        contenders = ("claimwatch", "reader") if _has_reader() else ("claimwatch",)
        print(f"polling {feeds} feeds: {', '.join(contenders)} ...", file=sys.stderr)
        rows += polling_rows(run_polling(feeds, WORK, contenders), feeds, feeds >= 1_000)
    if "status" in only:
        print(f"status on {n_claims:,} claims (SQLite) ...", file=sys.stderr)
        rows += status_rows(run_status(WORK, n_claims, runs=args.runs), "SQLite")
        if args.postgres:
            print(f"status on {n_claims:,} claims (PostgreSQL) ...", file=sys.stderr)
            res = run_status(WORK, n_claims, runs=args.runs, url=args.postgres)
            rows += status_rows(res, "PostgreSQL")
    if "polling" in only and args.postgres:
        print(f"polling {feeds} feeds on PostgreSQL, 1 and 2 workers ...", file=sys.stderr)
        rows += scaleout_rows(run_scaleout(args.postgres, feeds, (1, 2)))
    if "extract" in only:
        print("extraction ...", file=sys.stderr)
        rows += extract_rows(run_extract())
    text = table(rows)
    print(text)
    elapsed = time.perf_counter() - started
    write_results(machine, text, elapsed, argv if argv is not None else sys.argv[1:])
    return 0


#: Findings from profiling the misses, kept with the figures (edit when the code changes).
NOTES = (HERE / "NOTES.md").read_text(encoding="utf-8") if (HERE / "NOTES.md").exists() else ""


def _has_reader() -> bool:
    return importlib.util.find_spec("reader") is not None


def write_results(machine: dict[str, str], text: str, elapsed: float, argv: list[str]) -> None:
    lines = ["# Benchmark results", "", "Written by `python -m bench` (see README.md).", ""]
    lines += [f"- **{k}**: {v}" for k, v in machine.items()]
    command = " ".join(["python -m bench", *argv])
    lines += [f"- **command**: `{command}`"]
    lines += [f"- **load average at end**: {load()}", f"- **took**: {elapsed:.0f} s", "", text]
    lines += ["", NOTES] if NOTES else []
    lines += [""]
    (HERE / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
