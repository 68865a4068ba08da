"""`claimwatch extract`: read items as JSON lines, print one JSON object per claim per line.

Only I/O and argument shapes live here; extraction itself is `bot.claims.extract.Extractor`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from bot.claims.extract import Extractor
from bot.claims.pack import load_pack
from bot.errors import ConfigError

FIELDS = (
    "item_id", "question", "actor", "stance", "value", "value_high", "qualifier", "speaker",
    "quote", "confidence",
)  # fmt: skip


class BadLine(ValueError):
    """A line that is not an item; its message says why (shown with the line number)."""


def parse_item(line: str) -> dict[str, Any]:
    """An item from one JSON line: either ``{"item": {...}, ...}`` or the bare item object."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if isinstance(obj, dict) and isinstance(obj.get("item"), dict):
        obj = obj["item"]
    if not isinstance(obj, dict):
        raise BadLine('expected a JSON object (an item, or {"item": {...}})')
    for key in ("title", "text"):
        if key in obj and obj[key] is not None and not isinstance(obj[key], str):
            raise BadLine(f"'{key}' must be a string")
    if not obj.get("title") and not obj.get("text"):
        raise BadLine("the item has neither 'title' nor 'text'")
    return obj


def parse_published(value: Any) -> dt.datetime | dt.date | None:
    """ISO 8601 (a trailing Z allowed); None when absent. Raises BadLine when unreadable."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadLine("'published' must be an ISO 8601 string")
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadLine(f"'published' is not ISO 8601: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def run_extract(path: str, story: str, out: TextIO) -> int:
    """Extract claims from a JSONL file (or ``-`` for stdin); 1 if any line was bad, else 0."""
    try:
        extractor = Extractor(load_pack(story))
    except ConfigError as exc:
        print(f"claimwatch extract: {exc}", file=sys.stderr)
        return 2
    try:
        if path == "-":
            return _run(extractor, sys.stdin, out)
        with open(path, encoding="utf-8") as f:
            return _run(extractor, f, out)
    except OSError as exc:
        print(f"claimwatch extract: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def _run(extractor: Extractor, lines: Iterable[str], out: TextIO) -> int:
    bad = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = parse_item(line)
            published = parse_published(item.get("published"))
        except BadLine as exc:
            bad += 1
            print(f"claimwatch extract: line {number}: {exc}", file=sys.stderr)
            continue
        claims = extractor.extract(
            item.get("title") or "", item.get("text") or "", published, item.get("outlet")
        )
        for c in claims:
            row = {
                "item_id": item.get("id"),
                "question": c.question,
                "actor": c.actor,
                "stance": c.stance,
                "value": _num(c.value),
                "value_high": _num(c.value_high),
                "qualifier": c.qualifier,
                "speaker": c.speaker,
                "quote": c.quote,
                "confidence": c.confidence,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if bad:
        print(f"claimwatch extract: {bad} bad line(s) skipped", file=sys.stderr)
    return 1 if bad else 0


def _num(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
