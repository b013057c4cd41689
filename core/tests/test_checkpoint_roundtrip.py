"""Round trips through save_checkpoint / CheckpointReader for every dtype, NumPy and torch.

The safetensors library (its own reader and writer) is the independent check of the format.
"""

from __future__ import annotations

import json
import struct
import sys

import numpy as np
import pytest

from plugformers.checkpoint import CheckpointReader, save_checkpoint
from plugformers.errors import CheckpointError, ConfigError

try:
    import ml_dtypes
except ImportError:  # the bfloat16/float8 cases are left out (and skipped, see below)
    ml_dtypes = None

NUMPY_DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U64": np.uint64,
    "U32": np.uint32,
    "U16": np.uint16,
    "U8": np.uint8,
    "BOOL": np.bool_,
    "C64": np.complex64,
}
ML_DTYPES = {
    "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
    "F8_E4M3FNUZ": "float8_e4m3fnuz",
    "F8_E5M2FNUZ": "float8_e5m2fnuz",
    "F8_E8M0": "float8_e8m0fnu",
}
if ml_dtypes is not None:
    NUMPY_DTYPES.update(
        {code: getattr(ml_dtypes, name) for code, name in ML_DTYPES.items() if hasattr(ml_dtypes, name)}
    )


def test_ml_dtypes_cases_are_present():
    if ml_dtypes is None:
        pytest.skip("ml_dtypes is not installed: bfloat16/float8 NumPy round trips not run")
    assert {"BF16", "F8_E4M3", "F8_E5M2"} <= set(NUMPY_DTYPES)


def test_missing_ml_dtypes_is_a_clear_checkpoint_error(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    save_checkpoint({"h": torch.ones(2, dtype=torch.bfloat16), "f": torch.ones(2)}, tmp_path)
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)  # makes "import ml_dtypes" fail
    with CheckpointReader.open(tmp_path) as reader:
        assert reader.get_numpy("f").tolist() == [1.0, 1.0]
        with pytest.raises(CheckpointError, match="pip install ml_dtypes"):
            reader.get_numpy("h")
        assert reader.get_torch("h").dtype == torch.bfloat16


def _sample(dtype, shape=(3, 5), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype is np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -100), min(info.max, 100), size=shape, endpoint=True).astype(dtype)
    if dtype is np.complex64:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if np.dtype(dtype).name == "float8_e8m0fnu":  # powers of two only
        return np.exp2(rng.integers(-5, 5, size=shape)).astype(dtype)
    return (rng.standard_normal(shape) * 4).astype(dtype)


@pytest.mark.parametrize("code", sorted(NUMPY_DTYPES))
def test_numpy_round_trip_every_dtype(tmp_path, code):
    dtype = NUMPY_DTYPES[code]
    tensors = {"x": _sample(dtype), "scalar": _sample(dtype, shape=()), "empty": _sample(dtype, shape=(0, 4))}
    save_checkpoint(tensors, tmp_path)
    with CheckpointReader.open(tmp_path) as reader:
        assert sorted(reader.keys()) == ["empty", "scalar", "x"]
        for name, expected in tensors.items():
            got = reader.get_numpy(name)
            assert reader.dtype(name) == code
            assert reader.shape(name) == expected.shape
            assert got.dtype == np.dtype(dtype) and got.shape == expected.shape
            assert got.tobytes() == expected.tobytes()
            assert not got.flags.writeable


def test_file_is_read_by_the_safetensors_library(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    tensors = {"a": _sample(np.float32), "b": _sample(np.int8), "c": _sample(np.float64, shape=(2,))}
    save_checkpoint(tensors, tmp_path, metadata={"note": "hello"})
    loaded = safetensors_numpy.load_file(tmp_path / "model.safetensors")
    assert loaded.keys() == tensors.keys()
    for name in tensors:
        np.testing.assert_array_equal(loaded[name], tensors[name])
    from safetensors import safe_open

    with safe_open(tmp_path / "model.safetensors", framework="np") as handle:
        assert handle.metadata() == {"format": "pt", "note": "hello"}


def test_header_is_aligned_and_tensors_fill_the_buffer(tmp_path):
    tensors = {"f16": _sample(np.float16, (3,)), "f64": _sample(np.float64, (3,)), "u8": _sample(np.uint8, (5,))}
    save_checkpoint(tensors, tmp_path)
    raw = (tmp_path / "model.safetensors").read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    assert size % 8 == 0
    header = json.loads(raw[8 : 8 + size])
    spans = sorted(tuple(entry["data_offsets"]) for name, entry in header.items() if name != "__metadata__")
    assert spans[0][0] == 0 and spans[-1][1] == len(raw) - 8 - size
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    for name, entry in header.items():
        if name != "__metadata__":
            assert (8 + size + entry["data_offsets"][0]) % tensors[name].itemsize == 0


def test_reads_files_written_by_the_safetensors_library(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    tensors = {"w": _sample(np.float32, (4, 4)), "ids": _sample(np.int64, (7,)), "flag": _sample(np.bool_, (2,))}
    safetensors_numpy.save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "np"})
    with CheckpointReader.open(tmp_path) as reader:
        for name, expected in tensors.items():
            np.testing.assert_array_equal(reader.get_numpy(name), expected)


def test_big_endian_and_non_contiguous_numpy_arrays(tmp_path):
    base = np.arange(24, dtype=">f4").reshape(4, 6)
    tensors = {"big_endian": base, "strided": np.arange(30, dtype=np.int32).reshape(5, 6)[::2, 1::2]}
    save_checkpoint(tensors, tmp_path)
    with CheckpointReader.open(tmp_path) as reader:
        np.testing.assert_array_equal(reader.get_numpy("big_endian"), base.astype("<f4"))
        np.testing.assert_array_equal(reader.get_numpy("strided"), tensors["strided"])


class TestTorch:
    torch = pytest.importorskip("torch")

    TORCH_DTYPES = [
        "float64",
        "float32",
        "float16",
        "bfloat16",
        "int64",
        "int32",
        "int16",
        "int8",
        "uint8",
        "bool",
        "float8_e4m3fn",
        "float8_e5m2",
    ]

    @pytest.mark.parametrize("dtype_name", TORCH_DTYPES)
    def test_torch_round_trip(self, tmp_path, dtype_name):
        torch = self.torch
        dtype = getattr(torch, dtype_name)
        source = torch.randn(4, 6) * 3
        tensor = source.to(dtype) if dtype != torch.bool else source > 0
        save_checkpoint({"t": tensor}, tmp_path)
        with CheckpointReader.open(tmp_path) as reader:
            got = reader.get_torch("t")
            assert got.dtype == dtype and tuple(got.shape) == (4, 6)
            assert torch.equal(got.view(torch.uint8), tensor.view(torch.uint8))
            # NumPy view of the same bytes (bfloat16 / float8 through ml_dtypes)
            assert reader.get_numpy("t").tobytes() == tensor.contiguous().view(torch.uint8).numpy().tobytes()
        safetensors_torch = pytest.importorskip("safetensors.torch")
        loaded = safetensors_torch.load_file(tmp_path / "model.safetensors")
        assert torch.equal(loaded["t"].view(torch.uint8), tensor.view(torch.uint8))

    def test_non_contiguous_and_shared_storage_tensors_write_their_own_bytes(self, tmp_path):
        torch = self.torch
        storage = torch.arange(48, dtype=torch.float32).reshape(6, 8)
        tensors = {
            "full": storage,
            "transposed": storage.t(),
            "row_slice": storage[2:4],
            "column_slice": storage[:, 3],
            "same_storage": storage.view(8, 6),
        }
        save_checkpoint(tensors, tmp_path)
        assert (tmp_path / "model.safetensors").stat().st_size < 8 + 1024 + 4 * (48 * 3 + 16 + 6)
        with CheckpointReader.open(tmp_path) as reader:
            for name, expected in tensors.items():
                assert torch.equal(reader.get_torch(name), expected), name
                assert reader.shape(name) == tuple(expected.shape)

    def test_get_torch_is_writable_without_touching_the_file(self, tmp_path):
        torch = self.torch
        save_checkpoint({"w": torch.ones(3)}, tmp_path)
        before = (tmp_path / "model.safetensors").read_bytes()
        with CheckpointReader.open(tmp_path) as reader:
            tensor = reader.get_torch("w")
            tensor += 1
            assert torch.equal(tensor, torch.full((3,), 2.0))
        assert (tmp_path / "model.safetensors").read_bytes() == before

    def test_mixed_numpy_and_torch(self, tmp_path):
        torch = self.torch
        save_checkpoint({"np": np.ones(2, dtype=np.float32), "pt": torch.zeros(2, dtype=torch.int64)}, tmp_path)
        with CheckpointReader.open(tmp_path) as reader:
            assert reader.dtype("np") == "F32" and reader.dtype("pt") == "I64"


def test_save_rejects_bad_input_naming_it(tmp_path):
    with pytest.raises(CheckpointError, match="'w'.*list"):
        save_checkpoint({"w": [1, 2, 3]}, tmp_path)
    with pytest.raises(CheckpointError, match="'o'.*object"):
        save_checkpoint({"o": np.array(["a"], dtype=object)}, tmp_path)
    with pytest.raises(ConfigError, match="metadata"):
        save_checkpoint({"w": np.ones(1)}, tmp_path, metadata={"a": 1})
    with pytest.raises(ConfigError, match="max_shard_size"):
        save_checkpoint({"w": np.ones(1)}, tmp_path, max_shard_size="5XB")
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_reader_errors_name_file_and_tensor(tmp_path):
    save_checkpoint({"w": np.ones(2, dtype=np.float32)}, tmp_path)
    with CheckpointReader.open(tmp_path) as reader:
        assert "w" in reader and len(reader) == 1 and reader.files == [tmp_path / "model.safetensors"]
        with pytest.raises(CheckpointError, match=r"model\.safetensors.*'missing'"):
            reader.get_numpy("missing")


def test_missing_directory_and_empty_directory(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        CheckpointReader.open(tmp_path / "absent")
    with pytest.raises(CheckpointError, match="no weights found"):
        CheckpointReader.open(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="not a directory"):
        CheckpointReader.open(tmp_path / "file")
