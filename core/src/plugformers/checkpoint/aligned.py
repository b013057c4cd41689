"""NumPy arrays on 64-byte boundaries.

Frameworks that adopt a NumPy buffer without copying it (TensorFlow through DLPack) require
their tensors to start on a 64-byte boundary and abort the process otherwise; NumPy only
promises 16. :func:`aligned_empty` allocates with the stricter alignment.
"""

from __future__ import annotations

from typing import Any

ALIGNMENT = 64


def aligned_empty(shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialised C-contiguous array of ``shape`` whose data starts on a 64-byte boundary
    (an empty array has no data to align)."""
    import numpy as np

    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes == 0:
        return np.empty(shape, dtype)
    raw = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = (-raw.ctypes.data) % ALIGNMENT
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def is_aligned(array: Any) -> bool:
    """Whether ``array``'s data starts on a 64-byte boundary (always true of an empty array)."""
    return array.size == 0 or array.ctypes.data % ALIGNMENT == 0


def aligned_copy(array: Any, dtype: Any = None) -> Any:
    """A fresh C-contiguous copy of ``array`` (cast to ``dtype`` if given) on a 64-byte boundary."""
    copy = aligned_empty(array.shape, array.dtype if dtype is None else dtype)
    copy[...] = array
    return copy
