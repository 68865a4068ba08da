"""Who may poll and deliver: on SQLite one process per ledger file, on PostgreSQL any number.

A SQLite ledger is guarded by an exclusive ``flock`` on ``<db>.worker.lock`` held for the life
of the process (the kernel drops it when the process dies, even by SIGKILL). Standard library
only; the CLI takes the lock before opening anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.errors import ConfigError


def sqlite_path(ledger_url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    if not ledger_url.startswith("sqlite"):
        return None
    path = ledger_url.split(":///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


class WorkerLock:
    """``with WorkerLock(settings.ledger_url):`` refuses a second polling process on one
    SQLite file with a message naming PostgreSQL; a no-op on PostgreSQL."""

    def __init__(self, ledger_url: str) -> None:
        db = sqlite_path(ledger_url)
        self.path = db.with_name(db.name + ".worker.lock") if db else None
        self._fd: int | None = None

    def acquire(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            db = self.path.with_name(self.path.name.removesuffix(".worker.lock"))
            raise ConfigError(
                f"another claimwatch worker{holder} is already polling the SQLite ledger {db}. "
                "A SQLite ledger takes one worker (`claimwatch run` or `claimwatch worker`); "
                "`claimwatch chat` and `claimwatch poll` work beside it. To run several "
                "workers, use PostgreSQL: DATABASE_URL=postgresql+asyncpg://user@host/claimwatch "
                "(see docs/scale-out.md)."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WorkerLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read(fd: int) -> str:
    """' (pid N)' from the lock file, if the holder wrote it."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode().strip())
        return f" (pid {pid})"
    return ""
