"""Process-wide tuning, applied once at start (before threads are started).

glibc's malloc gives each thread that contends for the heap an arena of its own (up to 8 per
core) and keeps freed memory in them: with the database threads (one per pooled SQLite
connection, aiosqlite) and the resolver's threads, that was most of the bot's resident memory
beyond the Python objects (bench/NOTES.md). Two arenas are plenty for one event loop and a few
helper threads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import platform

log = logging.getLogger(__name__)

#: mallopt() parameter number of M_ARENA_MAX in glibc's malloc.h.
M_ARENA_MAX = -8
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas; True if it was applied. A no-op elsewhere (musl, macOS),
    and when MALLOC_ARENA_MAX is already set in the environment, which then decides."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # pragma: no cover - no such libc
        log.debug("mallopt is not available")
        return False


def tune_process() -> None:
    """Everything this module tunes; call first thing in main()."""
    limit_malloc_arenas()
