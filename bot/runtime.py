"""Process-wide tuning: at start (before threads are started), and once started.

glibc's malloc gives each thread that contends for the heap an arena of its own (up to 8 per
core) and keeps freed memory in them: with the database threads (one per pooled SQLite
connection, aiosqlite) and the resolver's threads, that was most of the bot's resident memory
beyond the Python objects (bench/NOTES.md). Two arenas are plenty for one event loop and a few
helper threads.

Python's full garbage collections walk every tracked object, including the ~110,000 that
importing claimwatch and opening the app create and that live as long as the process: ~57 ms
each on the 2-core benchmark machine, and one landed in about one `!status` of forty, which
made its p99 (bench/NOTES.md). ``freeze_startup_heap`` moves those objects out of the
collector's sight (``gc.freeze``), so a full collection walks only what came after.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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
    """What is tuned at start; call first thing in main()."""
    limit_malloc_arenas()


def freeze_startup_heap() -> None:
    """Once the app is open (modules imported, ledger, pack and platforms built): collect
    what start-up left, and keep the rest out of later collections."""
    gc.collect()
    gc.freeze()
