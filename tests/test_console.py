"""The terminal chat as a user drives it: commands typed in, replies and alerts read back."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from conftest import process_env
from feeds import relevant, rss, unrelated
from feedserver import FeedServer

from bot.app import App
from bot.models import Request
from handlers import COMMANDS, dispatch

ROOT = Path(__file__).resolve().parent.parent


async def chat(lines: list[str], tmp_path: Path, ledger_url: str, **env: str) -> str:
    """Run `claimwatch chat` with piped input, as a user would; return what it printed."""
    environment = process_env(tmp_path, ledger_url, **{"ALLOW_PRIVATE_SOURCES": "1", **env})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "chat",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(proc.communicate("\n".join(lines).encode() + b"\n"), 60)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    return out.decode()


async def test_addsource_baseline_then_only_new_relevant_items_then_restart(
    tmp_path: Path, ledger_url: str, feed_server: FeedServer
) -> None:
    route = feed_server.serve("/feed", rss([relevant(1), unrelated(1)]), etag='"1"')
    url = feed_server.url("/feed")
    first = await chat([f"!addsource {url}", "!poll", "!latest"], tmp_path, ledger_url)
    assert "Added #1 Test Wire" in first
    assert "baseline: 2 current items" in first.lower()
    assert "[ALERT]" not in first

    route.body = rss([relevant(2), unrelated(2), relevant(1), unrelated(1)])
    route.etag = '"2"'
    second = await chat(["!poll"], tmp_path, ledger_url)
    assert second.count("[ALERT]") == 1
    assert relevant(2).title in second and relevant(1).title not in second
    assert "2 new items, 1 relevant" in second

    third = await chat(["!poll", "!sources"], tmp_path, ledger_url)
    assert "[ALERT]" not in third
    assert "0 new items" in third


async def test_unknown_and_malformed_commands_get_a_usage_line(
    tmp_path: Path, ledger_url: str
) -> None:
    out = await chat(
        [
            "!nonsense",
            "!latest many",
            "!removesource",
            "!status nowhere",
            "!addsource 'unbalanced",
            "!why",
        ],
        tmp_path,
        ledger_url,
    )
    assert "I don't know !nonsense" in out
    assert out.count("Usage:") >= 4
    assert "Sorry" not in out


HOSTILE = [
    "",
    " ",
    "'",
    '"unbalanced',
    "a" * 5000,
    "<!channel>",
    "@everyone",
    "\x00",
    "../../etc/passwd",
    "http://127.0.0.2/feed",
    "javascript:alert(1)",
    "🙂" * 300,
    "#99999999999999999999999",
    "-1",
    "digest instant",
    "file:///etc/passwd",
]


async def test_every_command_survives_hostile_arguments(app: App) -> None:
    for name in sorted(COMMANDS):
        if name == "poll":
            continue  # takes no arguments; polling is covered elsewhere
        for args in HOSTILE:
            reply = await dispatch(Request(command=name, args=args, is_admin=True), app.services)
            assert reply.title != "Sorry", (name, args[:30], reply.lines)


async def test_admin_commands_refuse_non_admins_and_are_audited(app: App) -> None:
    admin_only = sorted(name for name, c in COMMANDS.items() if c.admin)
    assert {
        "addsource",
        "removesource",
        "pausesource",
        "resumesource",
        "poll",
        "subscribe",
        "unsubscribe",
    } <= set(admin_only)
    for name in admin_only:
        reply = await dispatch(
            Request(command=name, args="http://127.0.0.1:9/x", user_id="mallory", is_admin=False),
            app.services,
        )
        assert reply.kind == "error" and reply.title == "Not allowed", name
    assert await app.ledger.list_sources(app.pack.id) == []
    log = await app.ledger.audit_log(limit=50)
    assert {row["command"] for row in log} == set(admin_only)
    assert all(row["who"] == "console:mallory" and row["result"] == "error" for row in log)


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_status_from_the_archive_on_a_fresh_ledger(tmp_path: Path, ledger_url: str) -> None:
    out = await chat(["!status"], tmp_path, ledger_url, LOAD_ARCHIVE="1")
    for question in ("troops.count", "troops.combat", "casualties", "prisoners"):
        assert question in out
    assert "Russia" in out or "ru.government" in out
