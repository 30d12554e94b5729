"""Fewer glibc heap arenas, so that arrays freed by worker threads do not pile up in fragmented heaps.

An account allocates and frees arrays of one chunk or one tile (1–16 MB) many thousand times
from several threads (dask's and the tiled routing's, :mod:`gepcalc.tiles`). glibc gives each
thread that contends for memory an arena of its own (up to 8 per core) and, after a large block
it mapped is freed, raises its mmap threshold (up to 32 MB), so later chunks come from those
arenas, where freed memory stays with the process and fragments. Measured on the all-services
account at 8000² on 2 cores, one quiet machine, one fresh process each (docs/benchmarks.md,
"Out-of-core tiled routing"): peak RSS 1,163 MiB in 68.7 s with glibc's defaults; 957 MiB in
65.9 s with two arenas (``MALLOC_ARENA_MAX=2``); 941 MiB in 88.0 s with the mmap threshold fixed
at 4 MiB (every chunk mapped and zeroed anew).

:func:`limit_malloc_arenas` sets ``mallopt(M_ARENA_MAX, 2)``, as the ``MALLOC_ARENA_MAX``
environment variable would at start-up (dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` on its
workers for the same family of reasons). :func:`gepcalc.account` and
:func:`gepcalc.tiles.route_tiled` call it before they allocate. It acts on the whole process,
once, only where the C library is glibc, and not where ``MALLOC_ARENA_MAX`` or
``GEPCALC_MALLOC=default`` says otherwise. No numbers change.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading

__all__ = ["ARENAS", "limit_malloc_arenas"]

#: heap arenas of the process (glibc's default: 8 per core)
ARENAS = 2
_M_ARENA_MAX = -8  # from glibc's malloc.h
_done = False
_lock = threading.Lock()


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Limit glibc's heap arenas to ``arenas`` for this process (once); True if it was set.

    Does nothing (returns False) off Linux/glibc, when it was already done, or when the user set
    ``MALLOC_ARENA_MAX`` or ``GEPCALC_MALLOC=default`` in the environment.
    """
    global _done
    with _lock:
        if _done:
            return False
        _done = True
        if not sys.platform.startswith("linux") or os.environ.get("GEPCALC_MALLOC") == "default":
            return False
        if "MALLOC_ARENA_MAX" in os.environ:
            return False
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # pragma: no cover - not glibc (musl has no mallopt)
            return False
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        mallopt.restype = ctypes.c_int
        return bool(mallopt(_M_ARENA_MAX, int(arenas)))
