"""Parse and validate a safetensors header before anything is mapped or allocated.

Layout of a ``.safetensors`` file: 8 bytes little-endian ``N``, then ``N`` bytes of JSON
(``{"__metadata__": {str: str}, name: {"dtype": code, "shape": [...], "data_offsets": [b, e]}}``),
then the data buffer; offsets are relative to the start of the buffer. Every check here runs on
the header alone, so a corrupt or hostile file is refused before its declared sizes are trusted.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CheckpointError
from .dtypes import DTYPES

# Same bound as the safetensors library: a larger header is refused without reading it.
MAX_HEADER_SIZE = 100_000_000


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in a safetensors file (offsets relative to the data buffer)."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.begin

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class SafetensorsHeader:
    """The validated header of one safetensors file."""

    path: Path
    entries: dict[str, TensorEntry]
    metadata: dict[str, str] = field(default_factory=dict)
    data_start: int = 8
    file_size: int = 8


def read_safetensors_header(path: str | os.PathLike[str]) -> SafetensorsHeader:
    """Read and validate the header of ``path``; CheckpointError naming the file on any defect."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            file_size = os.fstat(handle.fileno()).st_size
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise CheckpointError(
                    f"{path}: truncated safetensors file ({file_size} bytes, shorter than the 8-byte header length)"
                )
            (header_size,) = struct.unpack("<Q", prefix)
            _check_header_size(path, header_size, file_size)
            header_bytes = handle.read(header_size)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint file not found") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a directory, not a safetensors file") from None
    except CheckpointError:
        raise
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read safetensors file: {error}") from error
    if len(header_bytes) != header_size:
        raise CheckpointError(f"{path}: truncated safetensors header ({len(header_bytes)} of {header_size} bytes)")
    return parse_safetensors_header(header_bytes, path=path, file_size=file_size)


def _check_header_size(path: Path, header_size: int, file_size: int) -> None:
    if header_size > MAX_HEADER_SIZE:
        raise CheckpointError(
            f"{path}: corrupt safetensors file: header length {header_size} exceeds the {MAX_HEADER_SIZE}-byte limit"
        )
    if 8 + header_size > file_size:
        raise CheckpointError(
            f"{path}: truncated or corrupt safetensors file: header length {header_size} runs past the end of"
            f" the file ({file_size} bytes)"
        )


def parse_safetensors_header(header_bytes: bytes, *, path: Path, file_size: int) -> SafetensorsHeader:
    """Validate the JSON header of ``path`` against the file size; see the module docstring."""
    _check_header_size(path, len(header_bytes), file_size)
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: corrupt safetensors header, not valid UTF-8 JSON: {error}") from None
    if not isinstance(header, dict):
        raise CheckpointError(
            f"{path}: corrupt safetensors header: expected a JSON object, got {type(header).__name__}"
        )
    data_start = 8 + len(header_bytes)
    data_size = file_size - data_start
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise CheckpointError(f"{path}: corrupt safetensors header: __metadata__ must map strings to strings")
    entries = {name: _parse_entry(path, name, value, data_size) for name, value in header.items()}
    _check_no_overlap(path, entries)
    return SafetensorsHeader(
        path=path, entries=entries, metadata=dict(metadata), data_start=data_start, file_size=file_size
    )


def _parse_entry(path: Path, name: str, value: object, data_size: int) -> TensorEntry:
    where = f"{path}: tensor {name!r}"
    if not isinstance(value, dict):
        raise CheckpointError(f"{where}: header entry must be an object with dtype, shape and data_offsets")
    dtype, shape, offsets = value.get("dtype"), value.get("shape"), value.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise CheckpointError(f"{where}: unknown dtype {dtype!r}; known: {', '.join(DTYPES)}")
    if not isinstance(shape, list) or not all(_is_count(dim) for dim in shape):
        raise CheckpointError(f"{where}: shape must be a list of non-negative integers, got {shape!r}")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_count(offset) for offset in offsets)
        or offsets[0] > offsets[1]
    ):
        raise CheckpointError(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end, got {offsets!r}")
    begin, end = offsets
    expected = math.prod(shape) * DTYPES[dtype].itemsize
    if end - begin != expected:
        raise CheckpointError(
            f"{where}: byte size {end - begin} does not match shape {tuple(shape)} x {dtype} ({expected} bytes)"
        )
    if end > data_size:
        raise CheckpointError(
            f"{where}: declared data [{begin}, {end}) exceeds the file's data buffer ({data_size} bytes);"
            " the file is truncated or corrupt"
        )
    return TensorEntry(name=name, dtype=dtype, shape=tuple(shape), begin=begin, end=end)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_no_overlap(path: Path, entries: dict[str, TensorEntry]) -> None:
    previous: TensorEntry | None = None
    for entry in sorted((e for e in entries.values() if e.nbytes), key=lambda e: e.begin):
        if previous is not None and entry.begin < previous.end:
            raise CheckpointError(
                f"{path}: corrupt safetensors header: tensors {previous.name!r} [{previous.begin}, {previous.end})"
                f" and {entry.name!r} [{entry.begin}, {entry.end}) overlap"
            )
        previous = entry
