"""Compiles the claim extractor's hot modules to C with mypyc (metadata lives in pyproject.toml).

Extraction is pure Python spread over many small steps (no single hot spot left to rewrite),
and mypyc runs the same typed code over twice as fast. The modules stay plain Python too:
``CLAIMWATCH_PURE=1`` at install time, or a machine without a C compiler, gives the
interpreted build, with the same output.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

HOT = [
    "bot/claims/attribution.py",
    "bot/claims/clause.py",
    "bot/claims/extract.py",
    "bot/claims/gates.py",
    "bot/claims/lexicon.py",
    "bot/claims/numbers.py",
    "bot/claims/scan.py",
    "bot/claims/sentences.py",
    "bot/claims/stance.py",
    "bot/claims/tokens.py",
]


def _extensions() -> list[object]:
    if os.environ.get("CLAIMWATCH_PURE", "") not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify

        return list(mypycify(HOT, opt_level="3", group_name="claimwatch_claims"))
    except Exception as exc:  # no mypy, or no compiler: the interpreted build still works
        print(f"claimwatch: extraction stays interpreted ({exc})", file=sys.stderr)
        return []


setup(ext_modules=_extensions())
