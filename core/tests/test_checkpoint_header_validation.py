"""Corrupt, truncated and hostile safetensors files are refused with a CheckpointError naming
the file (and the tensor), before anything of their declared size is allocated or mapped."""

from __future__ import annotations

import json
import struct
import tracemalloc

import numpy as np
import pytest

from plugformers.checkpoint import CheckpointReader, save_checkpoint
from plugformers.checkpoint.safetensors_file import SafetensorsFile
from plugformers.errors import CheckpointError


def _write(path, header: dict | bytes, data: bytes = b"", header_size: int | None = None) -> None:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    size = len(raw) if header_size is None else header_size
    path.write_bytes(struct.pack("<Q", size) + raw + data)


def _entry(dtype="F32", shape=(2,), offsets=(0, 8)) -> dict:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


CASES = {
    "empty file": (lambda p: p.write_bytes(b""), "truncated"),
    "shorter than the length prefix": (lambda p: p.write_bytes(b"\x05\x00\x00"), "truncated"),
    "header length past end of file": (lambda p: _write(p, b"{}", header_size=1000), "runs past the end"),
    "absurd header length": (lambda p: _write(p, b"{}", header_size=2**62), "exceeds"),
    "bad json": (lambda p: _write(p, b"{not json"), "not valid UTF-8 JSON"),
    "not utf-8": (lambda p: _write(p, b"\xff\xfe{}"), "not valid UTF-8 JSON"),
    "json list": (lambda p: _write(p, b"[1, 2]"), "expected a JSON object"),
    "metadata not str->str": (lambda p: _write(p, {"__metadata__": {"a": 1}}), "__metadata__"),
    "entry not an object": (lambda p: _write(p, {"w": [1, 2]}, b"\0" * 8), "'w'.*must be an object"),
    "unknown dtype": (lambda p: _write(p, {"w": _entry(dtype="F12")}, b"\0" * 8), "'w'.*unknown dtype 'F12'"),
    "negative dim": (lambda p: _write(p, {"w": _entry(shape=(-2,))}, b"\0" * 8), "'w'.*shape"),
    "float dim": (lambda p: _write(p, {"w": _entry(shape=(2.0,))}, b"\0" * 8), "'w'.*shape"),
    "bool offsets": (lambda p: _write(p, {"w": _entry(offsets=(False, 8))}, b"\0" * 8), "'w'.*data_offsets"),
    "reversed offsets": (lambda p: _write(p, {"w": _entry(offsets=(8, 0))}, b"\0" * 8), "'w'.*data_offsets"),
    "three offsets": (lambda p: _write(p, {"w": {**_entry(), "data_offsets": [0, 4, 8]}}, b"\0" * 8), "'w'"),
    "byte size != shape x dtype": (
        lambda p: _write(p, {"w": _entry(shape=(3,), offsets=(0, 8))}, b"\0" * 12),
        r"'w'.*byte size 8 does not match shape \(3,\) x F32 \(12 bytes\)",
    ),
    "tensor past end of file": (
        lambda p: _write(p, {"w": _entry(shape=(4,), offsets=(0, 16))}, b"\0" * 8),
        "'w'.*exceeds the file's data buffer",
    ),
    "huge declared tensor": (
        lambda p: _write(p, {"w": _entry(shape=(2**40,), offsets=(0, 2**42))}, b"\0" * 8),
        "'w'.*exceeds",
    ),
    "overlapping tensors": (
        lambda p: _write(p, {"a": _entry(offsets=(0, 8)), "b": _entry(offsets=(4, 12))}, b"\0" * 12),
        "'a'.*'b'.*overlap",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_corrupt_file_is_refused_naming_it(tmp_path, case):
    make, message = CASES[case]
    path = tmp_path / "model.safetensors"
    make(path)
    with pytest.raises(CheckpointError, match=message) as info:
        CheckpointReader.open(tmp_path)
    assert str(path) in str(info.value)


def test_refused_before_allocating(tmp_path):
    """A header claiming terabytes costs nothing: the refusal happens on the header alone."""
    path = tmp_path / "model.safetensors"
    _write(path, {"w": _entry(shape=(2**38,), offsets=(0, 2**40))}, b"\0" * 64)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError):
            SafetensorsFile(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    _write(path, b"{}", header_size=2**40)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="exceeds"):
            SafetensorsFile(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_truncated_copy_of_a_valid_file(tmp_path):
    good = tmp_path / "good"
    save_checkpoint({"a": np.arange(100, dtype=np.float32), "b": np.ones(10, dtype=np.int64)}, good)
    raw = (good / "model.safetensors").read_bytes()
    for cut in (4, 20, len(raw) - 1):
        bad = tmp_path / f"cut{cut}"
        bad.mkdir()
        (bad / "model.safetensors").write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match=str(bad / "model.safetensors")):
            CheckpointReader.open(bad)


def test_zero_size_tensors_and_gaps_are_fine(tmp_path):
    header = {"__metadata__": {"format": "pt"}, "e": _entry(shape=(0, 3), offsets=(8, 8)), "w": _entry()}
    _write(tmp_path / "model.safetensors", header, np.array([1.5, 2.5], dtype=np.float32).tobytes())
    with CheckpointReader.open(tmp_path) as reader:
        assert reader.shape("e") == (0, 3)
        np.testing.assert_array_equal(reader.get_numpy("w"), [1.5, 2.5])
