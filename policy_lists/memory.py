"""Handing freed memory back to the system, where the C library allows it.

glibc keeps freed blocks of its heap for reuse rather than returning them, and Python's own
allocator takes fresh memory for small objects (an index's millions of int keys) instead of
reusing those blocks: text freed while an index grows still counts in the process's peak
unless it is handed back explicitly (``malloc_trim``). Elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def give_back() -> None:
    """Return the heap's free pages to the system (glibc); a no-op where that call is missing."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
