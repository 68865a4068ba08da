"""The import rules of DESIGN.md, checked on the source: who may import what."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDKS = {"discord", "slack_bolt", "slack_sdk"}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def modules(*parts: str) -> list[Path]:
    return sorted((ROOT.joinpath(*parts)).rglob("*.py"))


def test_handlers_import_no_sdk_no_http_no_sql() -> None:
    for path in modules("handlers"):
        bad = top(imports(path)) & (SDKS | {"aiohttp", "sqlalchemy", "bot.platforms"})
        assert not bad, f"{path.name} imports {bad}"
        assert not any(n.startswith("bot.platforms") for n in imports(path)), path.name


def test_core_never_imports_handlers_or_platforms() -> None:
    core = [
        p
        for p in modules("bot")
        if "platforms" not in p.parts and p.name not in ("__main__.py", "app.py")
    ]
    for path in core:
        names = imports(path)
        assert "handlers" not in top(names), path
        assert not any(n.startswith("bot.platforms") for n in names), path
        assert not top(names) & SDKS, path


def test_each_sdk_lives_in_its_own_platform_module() -> None:
    for path in modules("bot", "platforms"):
        used = top(imports(path)) & SDKS
        if path.stem.startswith("discord"):
            assert used <= {"discord"}, path
        elif path.stem.startswith("slack"):
            assert used <= {"slack_bolt", "slack_sdk"}, path
        else:
            assert not used, path


def test_sql_stays_in_the_ledger() -> None:
    for path in modules("bot"):
        if "ledger" in path.parts:
            continue
        assert "sqlalchemy" not in top(imports(path)), path


def test_plain_modules_import_only_the_standard_library_and_pydantic() -> None:
    for name in ("config.py", "errors.py", "models.py"):
        third_party = {
            n
            for n in top(imports(ROOT / "bot" / name))
            if n not in ("pydantic", "pydantic_settings", "bot", "__future__")
        }
        assert third_party <= set(sys.stdlib_module_names), (name, third_party)
