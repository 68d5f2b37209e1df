"""Keep the memory a pipeline call frees for the next one (glibc's malloc tuned once per process).

Every generator call allocates the same few dozen activation buffers (tens of MB each at 1024 px).
glibc serves blocks above its mmap threshold (at most 32 MB, adapted at run time) with fresh
mmap()s and gives freed heap tops back to the kernel beyond its trim threshold, so every call
page-faults its buffers in again, zeroed by the kernel: ~17k faults (70 MB) per 1024² style call,
~120k per 2048² one; ~12 % of a call's time on this project's 2-core VM (one thread, measured
A/B in separate processes). Raising both thresholds keeps those buffers in the heap instead.

Blocks above MMAP_THRESHOLD (whole output arrays, volumes) still get their own mappings and go back
to the system when freed; what the heap keeps is bounded by the largest call's working set.
Set STYLEFUSE_MALLOC_TUNING=0 to leave malloc alone (e.g. for memory profiling). Elsewhere than
glibc (musl, macOS, Windows) this does nothing.
"""

import ctypes
import ctypes.util
import os

MMAP_THRESHOLD = 128 * 1024 * 1024  # larger blocks keep their own mapping (returned on free)
TRIM_THRESHOLD = 1024 * 1024 * 1024  # free heap top kept before any is returned
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # <malloc.h>

_tuned: bool | None = None


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for repeated large calls (once per process); True when it took effect."""
    global _tuned
    if _tuned is None:
        _tuned = False
        if os.environ.get("STYLEFUSE_MALLOC_TUNING", "1") != "0":
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                mallopt = libc.mallopt
            except (OSError, AttributeError):
                return False
            mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
            _tuned = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
    return _tuned
