"""Write one safetensors file from :class:`TensorSource` objects.

Tensors are laid out by decreasing item size, then by name -- the layout the safetensors library
writes, which keeps every tensor aligned to its item size so it can be memory-mapped without a
copy. The header is padded with spaces so the data starts on a 64-byte boundary of the file (the
library pads to 8): a tensor whose offset is then a multiple of 64 can be adopted from the map by
frameworks that need that alignment (TensorFlow through DLPack) instead of copied.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import BinaryIO

from .dtypes import lookup
from .tensor_bytes import TensorSource

DATA_ALIGNMENT = 64  # the data section starts on this boundary of the file


def ordered(sources: Sequence[TensorSource]) -> list[TensorSource]:
    return sorted(sources, key=lambda source: (-lookup(source.dtype).itemsize, source.name))


def header_bytes(sources: Sequence[TensorSource], metadata: dict[str, str] | None) -> bytes:
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    for source in ordered(sources):
        header[source.name] = {
            "dtype": source.dtype,
            "shape": list(source.shape),
            "data_offsets": [offset, offset + source.nbytes],
        }
        offset += source.nbytes
    encoded = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    encoded += b" " * (-(8 + len(encoded)) % DATA_ALIGNMENT)  # 8: the length field before the header
    return encoded


def write_safetensors(handle: BinaryIO, sources: Sequence[TensorSource], metadata: dict[str, str] | None) -> int:
    """Write the file to ``handle``; returns the number of tensor data bytes written."""
    header = header_bytes(sources, metadata)
    handle.write(struct.pack("<Q", len(header)))
    handle.write(header)
    written = 0
    for source in ordered(sources):
        data = source.to_bytes()
        if data.nbytes != source.nbytes:  # defensive: the header promised exactly this many bytes
            raise AssertionError(f"tensor {source.name!r}: {data.nbytes} bytes, header says {source.nbytes}")
        handle.write(data)
        written += data.nbytes
        del data
    return written
