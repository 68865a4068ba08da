"""Settings, from the environment and `.env`. The only module that reads the environment.

Invalid settings raise one ConfigError listing every problem, so start-up stops with a message
an operator can act on. Secrets are SecretStr: they never appear in logs or reprs.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- ledger and story ---
    data_dir: Path = Path("data")
    database_url: str | None = None
    story: str = "nk-troops"
    seed_sources: bool = True
    load_archive: bool = True

    # --- polling ---
    poll_interval_s: int = Field(900, ge=30, le=86_400)
    poll_tick_s: int = Field(30, ge=1, le=3_600)
    poll_concurrency: int = Field(8, ge=1, le=256)
    fetch_timeout_s: float = Field(20.0, gt=0, le=300)
    fetch_max_bytes: int = Field(5_000_000, ge=10_000, le=100_000_000)
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    fetch_per_host: int = Field(2, ge=1, le=64)
    backoff_base_s: int = Field(60, ge=1)
    backoff_max_s: int = Field(6 * 3600, ge=60)
    allow_private_sources: str = ""
    user_agent: str = "claimwatch/0.1 (+https://github.com/claimwatch/claimwatch)"

    # --- delivery ---
    delivery_interval_s: float = Field(5.0, gt=0, le=3_600)
    delivery_max_attempts: int = Field(8, ge=1, le=100)
    digest_interval_min: int = Field(60, ge=1, le=7 * 24 * 60)
    admin_channel: str | None = None  # "platform:channel" for health warnings
    webhook_url: SecretStr | None = None  # alerts POSTed as JSON (bot/platforms/webhook.py)

    # --- workers (PostgreSQL) ---
    worker_id: str | None = None
    lease_s: int = Field(120, ge=5, le=3_600)

    # --- Discord ---
    discord_token: SecretStr | None = None
    discord_admin_role: str | None = None
    discord_prefix: str = "!"
    discord_message_content: bool = True

    # --- Slack ---
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_admin_users: str = ""
    slack_port: int = Field(3000, ge=1, le=65_535)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator(
        "database_url",
        "discord_token",
        "discord_admin_role",
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "worker_id",
        "admin_channel",
        "webhook_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) else v

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if v.startswith(("postgres://", "postgresql://")):
            # asyncpg is the one driver we ship for PostgreSQL.
            v = "postgresql+asyncpg://" + v.split("://", 1)[1]
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with postgresql+asyncpg:// or sqlite+aiosqlite://")
        return v

    @field_validator("allow_private_sources")
    @classmethod
    def _allow_private(cls, v: str) -> str:
        v = v.strip()
        if v.lower() in ("", "0", "false", "no", "1", "true", "yes"):
            return v
        for part in v.split(","):
            try:
                ipaddress.ip_network(part.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"{part.strip()!r} is not an address or network") from exc
        return v

    @field_validator("admin_channel")
    @classmethod
    def _admin_channel(cls, v: str | None) -> str | None:
        if v and ":" not in v:
            raise ValueError("must look like platform:channel, e.g. slack:C0123456")
        return v or None

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v

    @model_validator(mode="after")
    def _pairs(self) -> Settings:
        if self.slack_bot_token and not (self.slack_app_token or self.slack_signing_secret):
            raise ValueError(
                "SLACK_BOT_TOKEN needs SLACK_APP_TOKEN (Socket Mode) "
                "or SLACK_SIGNING_SECRET (HTTP mode)"
            )
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("BACKOFF_MAX_S must be at least BACKOFF_BASE_S")
        return self

    # --- derived ---

    @property
    def ledger_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'claimwatch.db').resolve()}"

    @property
    def log_level_no(self) -> int:
        return int(logging.getLevelName(self.log_level))

    @property
    def is_sqlite(self) -> bool:
        return self.ledger_url.startswith("sqlite")

    @property
    def slack_admins(self) -> frozenset[str]:
        return frozenset(u.strip() for u in self.slack_admin_users.split(",") if u.strip())

    @property
    def platforms(self) -> list[str]:
        found = []
        if self.discord_token:
            found.append("discord")
        if self.slack_bot_token:
            found.append("slack")
        return found


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise ConfigError naming every invalid one."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]).upper() or "settings"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"  {where}: {msg}")
        raise ConfigError("invalid settings:\n" + "\n".join(problems)) from None
