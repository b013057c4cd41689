"""``read_numpy``: a writable, 64-byte-aligned array that no other call returns -- the file's
copy-on-write map for a safetensors tensor on a 64-byte boundary (first read), else a fresh copy.

Frameworks adopt these arrays as their own memory (TensorFlow through DLPack aborts the process
on data that is not 64-byte aligned), so every format must honour the contract.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from plugformers.checkpoint import CheckpointReader, save_checkpoint
from plugformers.checkpoint.aligned import ALIGNMENT, aligned_copy, aligned_empty, is_aligned
from plugformers.errors import CheckpointError

# "big" (64 bytes, written first: the largest item size) starts the 64-byte-aligned data
# section; the odd sizes after it put most other tensors at offsets that are not multiples of 64.
TENSORS = {
    "big": np.arange(8, dtype=np.float64) / 3,
    "a": np.arange(7, dtype=np.float32),
    "b": np.arange(3 * 5, dtype=np.float32).reshape(3, 5) / 7,
    "c": np.arange(11, dtype=np.int64),
    "d": np.arange(6, dtype=np.float16).reshape(2, 3),
    "empty": np.zeros((0, 4), dtype=np.float32),
}


@pytest.fixture
def checkpoint(tmp_path):
    save_checkpoint(TENSORS, tmp_path)
    return tmp_path


def _check(array, expected):
    assert array.size == 0 or array.ctypes.data % ALIGNMENT == 0
    assert array.flags.writeable and array.flags.c_contiguous
    assert array.dtype == expected.dtype and array.shape == expected.shape
    np.testing.assert_array_equal(array, expected)


def test_safetensors_read_numpy_lends_the_map_once_where_aligned_and_copies_elsewhere(checkpoint):
    path = checkpoint / "model.safetensors"
    original = path.read_bytes()
    with CheckpointReader.open(checkpoint) as reader:
        mapped = {name: reader.get_numpy(name) for name in TENSORS}
        aligned = {name for name, view in mapped.items() if view.size and view.ctypes.data % ALIGNMENT == 0}
        assert "big" in aligned and aligned != set(mapped) - {"empty"}, aligned  # both cases are exercised
        for name, expected in TENSORS.items():
            array = reader.read_numpy(name)
            _check(array, expected)
            assert np.shares_memory(array, mapped[name]) == (name in aligned)
            array[...] = 0  # private: neither the file nor a later read sees it
            again = reader.read_numpy(name)
            _check(again, expected)
            assert not np.shares_memory(again, array)
    assert path.read_bytes() == original


def test_saved_data_section_starts_on_a_64_byte_boundary(tmp_path):
    import struct

    for count in range(1, 40, 7):  # header lengths vary with the names
        save_checkpoint({"t" * count: np.zeros(3, np.float32)}, tmp_path / str(count))
        with open(tmp_path / str(count) / "model.safetensors", "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
        assert (8 + length) % ALIGNMENT == 0


def test_legacy_bin_read_numpy(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is needed to write a legacy .bin checkpoint")
    torch.save({name: torch.from_numpy(value.copy()) for name, value in TENSORS.items()},
               tmp_path / "pytorch_model.bin")
    with CheckpointReader.open(tmp_path) as reader:
        for name, expected in TENSORS.items():
            _check(reader.read_numpy(name), expected)


def test_file_truncated_after_opening_is_a_checkpoint_error(checkpoint):
    path = checkpoint / "model.safetensors"
    with CheckpointReader.open(checkpoint) as reader:
        os.truncate(path, path.stat().st_size - 8)
        with pytest.raises(CheckpointError, match="model.safetensors.*(ends inside tensor|changed size)"):
            for name in TENSORS:
                reader.read_numpy(name)


@pytest.mark.parametrize("shape", [(0,), (1,), (3, 5), (1000, 7)])
def test_aligned_helpers(shape):
    empty = aligned_empty(shape, np.float32)
    assert empty.shape == shape and is_aligned(empty)
    assert empty.size == 0 or empty.ctypes.data % ALIGNMENT == 0
    source = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    copy = aligned_copy(source.T, np.float32)
    assert copy.dtype == np.float32 and copy.flags.c_contiguous and is_aligned(copy)
    np.testing.assert_array_equal(copy, source.T.astype(np.float32))
