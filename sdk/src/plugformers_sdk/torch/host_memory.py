"""Keep freed large CPU buffers for reuse (glibc malloc thresholds), once per process.

PyTorch allocates CPU tensors with ``malloc``. glibc serves blocks above its mmap threshold with
fresh mappings and gives freed heap memory back to the system once more than its trim threshold is
free, so a forward pass over a large batch faults the pages of its activations in again, layer
after layer and call after call (MiniLM at 32 x 128 tokens: about 0.5 GB of page faults, 7% of its
forward time on two cores). Raising the mmap threshold to 32 MiB (glibc's own ceiling for its
dynamic threshold) and the trim threshold to 256 MiB keeps freed activations in the heap, where
the next layer and the next call reuse them.

Applied when the first PyTorch model is built, on Linux with glibc only. The cost: up to 256 MiB
of freed memory can stay resident. ``PLUGFORMERS_MALLOC_TUNING=0`` leaves malloc as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

ENV_SWITCH = "PLUGFORMERS_MALLOC_TUNING"
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
_applied: bool | None = None


def keep_freed_buffers() -> bool:
    """Set glibc's malloc thresholds (see the module doc) the first time it is called in this
    process; later calls do nothing. Returns whether the thresholds are in effect."""
    global _applied
    if _applied is None:
        _applied = _set_thresholds()
    return _applied


def _set_thresholds() -> bool:
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success; the mmap threshold is set first (setting either one turns
    # glibc's dynamic threshold off, and a trim threshold alone would leave it at 128 KiB)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
