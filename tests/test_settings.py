"""Settings: every key of .env.example is a setting, bad values are all reported at once,
secrets never show."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def example_keys() -> list[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.M)


def test_env_example_lists_every_setting_with_a_comment() -> None:
    keys = example_keys()
    assert sorted(k.lower() for k in keys) == sorted(Settings.model_fields)
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            assert lines[i - 1].startswith("#"), f"{line} has no comment above it"


def test_env_example_loads_as_is() -> None:
    s = load_settings(_env_file=ROOT / ".env.example")
    assert s.platforms == [] and s.is_sqlite


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(
            _env_file=None,
            poll_interval_s=1,
            database_url="mysql://x",
            allow_private_sources="nonsense",
            log_level="LOUD",
        )
    text = str(err.value)
    for key in ("POLL_INTERVAL_S", "DATABASE_URL", "ALLOW_PRIVATE_SOURCES", "LOG_LEVEL"):
        assert key in text


def test_secrets_do_not_show(tmp_path: Path) -> None:
    s = load_settings(_env_file=None, discord_token="very-secret-token")
    assert "very-secret-token" not in repr(s) and "very-secret-token" not in str(s)
    assert s.platforms == ["discord"]


def test_invalid_settings_stop_start_up_with_one_message(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "POLL_INTERVAL_S": "5",
        "DATABASE_URL": "oracle://x",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )
    assert done.returncode == 2
    assert "POLL_INTERVAL_S" in done.stderr and "DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [key for key in example_keys() if f"`{key}`" not in readme]
    assert not missing
