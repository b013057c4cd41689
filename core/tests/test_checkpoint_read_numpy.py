"""``read_numpy``: a fresh, writable, 64-byte-aligned copy read with plain file reads.

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

# Odd sizes so most tensors start at offsets that are not multiples of 64 in the file.
TENSORS = {
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


def test_safetensors_read_numpy_is_an_aligned_writable_copy(checkpoint):
    with CheckpointReader.open(checkpoint) as reader:
        offsets = {name: reader.get_numpy(name).ctypes.data % ALIGNMENT for name in ("a", "b", "c", "d")}
        assert any(offsets.values()), "the fixture should have misaligned tensors in the file"
        for name, expected in TENSORS.items():
            array = reader.read_numpy(name)
            _check(array, expected)
            array[...] = 0  # a copy: the file and later reads are unchanged
            _check(reader.read_numpy(name), expected)


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
        with pytest.raises(CheckpointError, match="model.safetensors.*ends inside tensor"):
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
