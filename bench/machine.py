"""The machine a benchmark ran on: CPU, cores, RAM, Python, SQLite, PostgreSQL, date."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import sqlite3
import subprocess
import sys


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _postgres(url: str | None) -> str:
    """The server's version when a URL is given, else the local client's, else 'not found'."""
    if url:
        try:
            import asyncio

            import asyncpg

            async def ask() -> str:
                conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
                try:
                    return str(await conn.fetchval("SHOW server_version"))
                finally:
                    await conn.close()

            return f"{asyncio.run(ask())} (server)"
        except Exception as exc:  # the table still prints without it
            return f"unavailable ({type(exc).__name__})"
    for tool in ("postgres", "psql"):
        path = shutil.which(tool)
        if path:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
            version = out.stdout.strip().rsplit(" ", 1)[-1] if out.stdout else "?"
            words = out.stdout.split()
            version = words[2] if len(words) >= 3 else version
            return f"{version} ({tool} binary; not used unless --postgres)"
    return "not installed"


def load() -> str:
    """1, 5 and 15 minute load averages: other work on the machine shows in wall times."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def describe(postgres_url: str | None = None) -> dict[str, str]:
    ram = _ram_gb()
    return {
        "CPU": _cpu_model(),
        "cores": f"{os.cpu_count()} logical",
        "RAM": f"{ram:.1f} GiB" if ram else "?",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": sys.version.split()[0],
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": _postgres(postgres_url),
        "load average at start": load(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
