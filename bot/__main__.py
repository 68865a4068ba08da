"""The `claimwatch` command: run | chat | poll | extract | worker ... Wires everything together.

This is the only place that builds the object graph (settings, ledger, fetcher, platforms).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claimwatch",
        description="Follow a contested news story and keep a ledger of who claimed what.",
    )
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND")

    p = sub.add_parser("extract", help="print the claims found in items given as JSON lines")
    p.add_argument("file", nargs="?", default="-", help="a JSONL file of items, or - for stdin")
    p.add_argument("--story", default=None, help="story pack id or path (default: settings)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.cmd is None:
        args = parser.parse_args(["run", *(argv or [])]) if "run" in _commands(parser) else args
    if args.cmd == "extract":
        from bot.claims.cli import run_extract

        return run_extract(args.file, story=args.story or "nk-troops", out=sys.stdout)
    parser.print_help()
    return 2


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        choices = getattr(action, "choices", None)
        if choices:
            return set(choices)
    return set()


if __name__ == "__main__":
    sys.exit(main())
