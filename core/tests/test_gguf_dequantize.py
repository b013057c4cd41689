"""Dequantisation of every supported GGUF type against the ``gguf`` package's reference
dequantiser (bit-exact), and against the original float data within the quantisation error."""

from __future__ import annotations

import numpy as np
import pytest

gguf = pytest.importorskip("gguf", reason="the gguf package is not installed: pip install gguf")
from gguf_quantizers import K_QUANTIZERS  # noqa: E402

from plugformers.errors import CheckpointError  # noqa: E402
from plugformers.gguf import SUPPORTED_TYPES, dequantize  # noqa: E402
from plugformers.gguf.dequantize import BLOCK_LAYOUTS  # noqa: E402

QUANTISED = [t for t in SUPPORTED_TYPES if BLOCK_LAYOUTS[t][0] > 1]
# fp16 fields (byte offsets) of each block: given finite values so random blocks stay finite.
FP16_FIELDS = {"Q8_0": (0,), "Q4_0": (0,), "Q4_1": (0, 2), "Q4_K": (0, 2), "Q5_K": (0, 2), "Q6_K": (208,)}
# root-mean-square error / standard deviation of normal data allowed per type
RELATIVE_RMSE = {"Q8_0": 0.01, "Q4_0": 0.15, "Q4_1": 0.12, "Q4_K": 0.12, "Q5_K": 0.06, "Q6_K": 0.03,
                 "BF16": 0.005, "F16": 0.001, "F32": 0.0}


def _qtype(name: str):
    return gguf.GGMLQuantizationType[name]


def _random_blocks(name: str, blocks: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(blocks, BLOCK_LAYOUTS[name][1]), dtype=np.uint8)
    for offset in FP16_FIELDS[name]:
        raw[:, offset:offset + 2] = rng.uniform(-2, 2, size=(blocks, 1)).astype(np.float16).view(np.uint8)
    return raw


@pytest.mark.parametrize("name", QUANTISED)
def test_random_blocks_match_the_gguf_reference_exactly(name):
    per_block = BLOCK_LAYOUTS[name][0]
    raw = _random_blocks(name, blocks=12, seed=len(name))
    shape = (3, 4 * per_block)
    expected = gguf.quants.dequantize(raw.reshape(3, -1), _qtype(name))
    got = dequantize(raw, name, shape)
    assert got.dtype == np.float32 and got.shape == shape
    np.testing.assert_array_equal(got, expected)


def _quantise(name: str, values: np.ndarray) -> np.ndarray:
    if name in K_QUANTIZERS:
        return K_QUANTIZERS[name](values).reshape(values.shape[0], -1)
    if name == "F32":
        return values.astype("<f4").view(np.uint8)
    if name == "F16":
        return values.astype("<f2").view(np.uint8)
    return gguf.quants.quantize(values, _qtype(name))


@pytest.mark.parametrize("name", SUPPORTED_TYPES)
def test_quantised_floats_come_back_within_the_quantisation_error(name):
    values = np.random.default_rng(1).standard_normal((4, 512)).astype(np.float32)
    raw = _quantise(name, values)
    got = dequantize(raw, name, values.shape)
    if name not in ("F32", "F16"):  # the reference dequantiser agrees on the very same bytes
        np.testing.assert_array_equal(got, gguf.quants.dequantize(raw, _qtype(name)))
    rmse = float(np.sqrt(np.mean((got - values) ** 2)))
    assert rmse <= RELATIVE_RMSE[name] * float(values.std()), (name, rmse)
    if name == "F32":
        np.testing.assert_array_equal(got, values)


def test_float16_output():
    values = np.random.default_rng(2).standard_normal((2, 64)).astype(np.float32)
    raw = gguf.quants.quantize(values, _qtype("Q8_0"))
    half = dequantize(raw, "Q8_0", values.shape, dtype="float16")
    assert half.dtype == np.float16
    np.testing.assert_allclose(half, dequantize(raw, "Q8_0", values.shape), atol=2e-3)


def test_unsupported_type_names_the_source_and_the_type():
    with pytest.raises(CheckpointError, match=r"model\.gguf: tensor 'x'.*Q2_K is not supported"):
        dequantize(np.zeros(84, np.uint8), "Q2_K", (256,), source="model.gguf: tensor 'x'")


def test_wrong_byte_count_is_a_checkpoint_error():
    with pytest.raises(CheckpointError, match="do not hold"):
        dequantize(np.zeros(33, np.uint8), "Q8_0", (32,))
