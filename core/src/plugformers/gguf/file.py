"""``GGUFFile``: one GGUF file, its metadata and its raw (memory-mapped) tensors.

The layout is llama.cpp's GGUF v2/v3, little-endian: magic ``GGUF``, version, tensor count,
metadata count; the metadata key/value pairs; the tensor descriptions (name, dimensions, type,
offset); then, aligned to ``general.alignment`` (32 by default), the tensor data.

The value-type and quantisation-type codes and block sizes come from the ``gguf`` package
(imported when a file is opened). The header itself is parsed here rather than with
``gguf.GGUFReader``, which builds one NumPy array per array element and takes ~10 s on a
49k-token vocabulary; this parser reads numeric arrays with one ``np.frombuffer`` and strings
with ``struct``, in well under a second. Every failure is a
:class:`~plugformers.errors.CheckpointError` naming the file.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError, MissingDependencyError

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# GGUF metadata value types: code -> struct format, for the fixed-size ones.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B",
            10: "<Q", 11: "<q", 12: "<d"}  # struct formats, also valid NumPy dtypes
_BOOL, _STRING, _ARRAY = 7, 8, 9


@dataclass(frozen=True)
class GGUFTensorInfo:
    """One tensor of a GGUF file: its GGUF name, quantisation type name and NumPy-order shape."""

    name: str
    type_name: str
    shape: tuple[int, ...]
    raw: np.ndarray  # the stored bytes, memory-mapped (uint8)


def import_gguf() -> Any:
    """The ``gguf`` package, or a MissingDependencyError saying what to install."""
    try:
        import gguf
    except ImportError:
        raise MissingDependencyError("reading GGUF files needs the 'gguf' package: pip install gguf") from None
    return gguf


class _Cursor:
    """Sequential little-endian reads over the file's bytes; running past the end is a CheckpointError."""

    def __init__(self, data: np.ndarray, path: Path) -> None:
        self.data = data
        self.buffer = memoryview(data)
        self.pos = 0
        self.path = path

    def take(self, size: int) -> memoryview:
        if size < 0 or self.pos + size > len(self.buffer):
            raise CheckpointError(f"{self.path}: truncated GGUF file (needed {size} bytes at offset {self.pos})")
        view = self.buffer[self.pos:self.pos + size]
        self.pos += size
        return view

    def scalar(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size))[0]

    def string(self) -> str:
        length = self.scalar("<Q")
        raw = self.take(length)
        try:
            return str(raw, "utf-8")
        except UnicodeDecodeError:
            raise CheckpointError(f"{self.path}: a GGUF string at offset {self.pos - length} is not UTF-8") from None

    def value(self, value_type: int, key: str) -> Any:
        if value_type in _SCALARS:
            item = self.scalar(_SCALARS[value_type])
            return bool(item) if value_type == _BOOL else item
        if value_type == _STRING:
            return self.string()
        if value_type == _ARRAY:
            item_type, count = self.scalar("<I"), self.scalar("<Q")
            if item_type in _SCALARS:
                dtype = np.dtype(_SCALARS[item_type])
                items = np.frombuffer(self.take(count * dtype.itemsize), dtype=dtype)
                return [bool(v) for v in items] if item_type == _BOOL else items.tolist()
            if count > len(self.buffer):
                raise CheckpointError(f"{self.path}: metadata array {key!r} claims {count} items")
            return [self.value(item_type, key) for _ in range(count)]
        raise CheckpointError(f"{self.path}: metadata key {key!r} has unknown value type {value_type}")


class GGUFFile:
    """A GGUF file: ``metadata`` (key -> Python value) and ``tensors`` (GGUF name -> info)."""

    def __init__(self, path: Path, version: int, metadata: dict[str, Any], tensors: dict[str, GGUFTensorInfo]) -> None:
        self.path = path
        self.version = version
        self.metadata = metadata
        self.tensors = tensors

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> GGUFFile:
        path = Path(path)
        try:
            with path.open("rb") as handle:
                magic = handle.read(4)
        except FileNotFoundError:
            raise CheckpointError(f"{path}: no such GGUF file") from None
        except OSError as error:
            raise CheckpointError(f"{path}: cannot be read ({error})") from None
        if magic != GGUF_MAGIC:
            raise CheckpointError(f"{path}: not a GGUF file (magic number {magic!r}, expected {GGUF_MAGIC!r})")
        gguf = import_gguf()
        data = np.memmap(path, dtype=np.uint8, mode="r")
        cursor = _Cursor(data, path)
        cursor.take(4)
        version = cursor.scalar("<I")
        if version not in (2, 3):
            raise CheckpointError(f"{path}: GGUF version {version} is not supported (2 and 3 are; big-endian files are not)")
        tensor_count, kv_count = cursor.scalar("<Q"), cursor.scalar("<Q")
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = cursor.string()
            metadata[key] = cursor.value(cursor.scalar("<I"), key)
        described = []
        for _ in range(tensor_count):
            name = cursor.string()
            n_dims = cursor.scalar("<I")
            dims = [cursor.scalar("<Q") for _ in range(n_dims)]
            described.append((name, dims, cursor.scalar("<I"), cursor.scalar("<Q")))
        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(alignment, int) or alignment <= 0:
            raise CheckpointError(f"{path}: general.alignment={alignment!r} is not a positive integer")
        start = -(-cursor.pos // alignment) * alignment
        tensors = {}
        for name, dims, type_code, offset in described:
            try:
                qtype = gguf.GGMLQuantizationType(type_code)
            except ValueError:
                raise CheckpointError(f"{path}: tensor {name!r} has unknown quantisation type code {type_code}") from None
            block, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
            count = int(np.prod(dims, dtype=np.int64)) if dims else 1
            nbytes = count // block * block_bytes
            begin = start + offset
            if count % block or begin + nbytes > data.size:
                raise CheckpointError(f"{path}: tensor {name!r} ({qtype.name}, {dims}) lies outside the file")
            tensors[name] = GGUFTensorInfo(name, qtype.name, tuple(int(d) for d in reversed(dims)),
                                           data[begin:begin + nbytes])
        return cls(path, version, metadata, tensors)

    @property
    def architecture(self) -> str:
        """``general.architecture`` (``"llama"``); CheckpointError when the file does not say."""
        value = self.metadata.get("general.architecture")
        if not isinstance(value, str) or not value:
            raise CheckpointError(f"{self.path}: no 'general.architecture' in the GGUF metadata")
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)
