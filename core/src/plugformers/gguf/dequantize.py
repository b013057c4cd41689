"""Dequantisation of GGUF tensors to NumPy, vectorised over blocks (our own implementation of the
ggml block layouts; the ``gguf`` package's reference dequantiser is the test oracle).

Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K. Each quantised layout is a
sequence of fixed-size blocks of little-endian bytes:

- ``Q8_0`` (32 values, 34 bytes): fp16 scale ``d``, 32 int8 ``q``; ``x = d * q``.
- ``Q4_0`` (32, 18): ``d``, 16 bytes of nibbles (low nibbles are values 0-15, high 16-31); ``x = d * (q - 8)``.
- ``Q4_1`` (32, 20): ``d``, fp16 minimum ``m``, the nibbles; ``x = d * q + m``.
- ``Q4_K`` (256, 144): ``d``, ``dmin``, 12 bytes of packed 6-bit sub-block scales and minimums,
  128 bytes of nibbles; 8 sub-blocks of 32: ``x = d * sc * q - dmin * mn``.
- ``Q5_K`` (256, 176): as ``Q4_K`` plus 32 bytes holding the fifth bit of every value.
- ``Q6_K`` (256, 210): 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8 scales
  (one per 16 values), fp16 ``d``; ``x = d * scale * (q - 32)``.
"""

from __future__ import annotations

import numpy as np

from ..errors import CheckpointError

# type name -> (values per block, bytes per block)
BLOCK_LAYOUTS: dict[str, tuple[int, int]] = {
    "F32": (1, 4),
    "F16": (1, 2),
    "BF16": (1, 2),
    "Q8_0": (32, 34),
    "Q4_0": (32, 18),
    "Q4_1": (32, 20),
    "Q4_K": (256, 144),
    "Q5_K": (256, 176),
    "Q6_K": (256, 210),
}
SUPPORTED_TYPES = tuple(BLOCK_LAYOUTS)


def _f16(blocks: np.ndarray, start: int) -> np.ndarray:
    """The fp16 at byte ``start`` of every block, as float32 [n, 1]."""
    return blocks[:, start:start + 2].copy().view(np.float16).astype(np.float32)


def _nibbles(packed: np.ndarray) -> np.ndarray:
    """[n, k] bytes -> [n, 2k]: all low nibbles, then all high nibbles."""
    return np.concatenate((packed & 0x0F, packed >> 4), axis=1)


def _k_scales(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 8 six-bit scales and 8 six-bit minimums packed in 12 bytes ([n, 12] -> 2 x [n, 8])."""
    low, mid, high = packed[:, 0:4], packed[:, 4:8], packed[:, 8:12]
    scales = np.concatenate((low & 63, (high & 0x0F) | ((low >> 6) << 4)), axis=1)
    mins = np.concatenate((mid & 63, (high >> 4) | ((mid >> 6) << 4)), axis=1)
    return scales.astype(np.float32), mins.astype(np.float32)


def _q8_0(b: np.ndarray) -> np.ndarray:
    return _f16(b, 0) * b[:, 2:34].view(np.int8).astype(np.float32)


def _q4_0(b: np.ndarray) -> np.ndarray:
    return _f16(b, 0) * (_nibbles(b[:, 2:18]).astype(np.float32) - 8.0)


def _q4_1(b: np.ndarray) -> np.ndarray:
    return _f16(b, 0) * _nibbles(b[:, 4:20]).astype(np.float32) + _f16(b, 2)


def _k_quant_4_or_5(b: np.ndarray, high_bits: np.ndarray | None, qs_start: int) -> np.ndarray:
    n = b.shape[0]
    d, dmin = _f16(b, 0), _f16(b, 2)
    scales, mins = _k_scales(b[:, 4:16])
    qs = b[:, qs_start:qs_start + 128].reshape(n, 4, 32)
    q = np.stack((qs & 0x0F, qs >> 4), axis=2).reshape(n, 8, 32).astype(np.float32)  # sub-block order
    if high_bits is not None:  # bit j of byte l is the fifth bit of value l of sub-block j
        bits = (high_bits[:, None, :] >> np.arange(8, dtype=np.uint8)[None, :, None]) & 1
        q += 16.0 * bits.astype(np.float32)
    out = (d * scales)[:, :, None] * q - (dmin * mins)[:, :, None]
    return out.reshape(n, 256)


def _q4_k(b: np.ndarray) -> np.ndarray:
    return _k_quant_4_or_5(b, None, 16)


def _q5_k(b: np.ndarray) -> np.ndarray:
    return _k_quant_4_or_5(b, b[:, 16:48], 48)


def _q6_k(b: np.ndarray) -> np.ndarray:
    n = b.shape[0]
    ql = b[:, 0:128].reshape(n, 2, 2, 32)  # [half, first/second 32 bytes, l]
    qh = b[:, 128:192].reshape(n, 2, 32)  # [half, l]
    scales = b[:, 192:208].view(np.int8).astype(np.float32).reshape(n, 2, 8)
    d = _f16(b, 208)
    # In each half of 128 values, value 32*k + l (k = 0..3) takes its low nibble from
    # ql[k % 2][l] (low nibble for k < 2, high nibble otherwise) and its top two bits from
    # bits 2k, 2k+1 of qh[l].
    low = np.stack((ql[:, :, 0] & 0x0F, ql[:, :, 1] & 0x0F, ql[:, :, 0] >> 4, ql[:, :, 1] >> 4), axis=2)
    high = (qh[:, :, None, :] >> (2 * np.arange(4, dtype=np.uint8))[None, None, :, None]) & 3
    q = (low | (high << 4)).astype(np.float32) - 32.0  # [n, 2, 4, 32]
    scale = np.repeat(scales.reshape(n, 2, 4, 2), 16, axis=3)  # one scale per 16 values
    return (d[:, :, None, None] * scale * q).reshape(n, 256)


_BLOCK_DEQUANTISERS = {"Q8_0": _q8_0, "Q4_0": _q4_0, "Q4_1": _q4_1, "Q4_K": _q4_k, "Q5_K": _q5_k, "Q6_K": _q6_k}


def dequantize(raw: np.ndarray, type_name: str, shape: tuple[int, ...], *, dtype: str = "float32",
               source: str = "GGUF tensor") -> np.ndarray:
    """The values of a stored tensor as a NumPy array of ``shape`` (float32 or float16).

    ``raw``: the stored data (bytes as uint8, or the elements of a float type); ``shape`` in NumPy
    order. Unsupported types are a CheckpointError naming ``source`` and the type.
    """
    if type_name not in BLOCK_LAYOUTS:
        raise CheckpointError(
            f"{source}: quantisation type {type_name} is not supported (supported: {', '.join(SUPPORTED_TYPES)})"
        )
    if dtype not in ("float32", "float16"):
        raise ValueError(f"dequantize: dtype must be 'float32' or 'float16', got {dtype!r}")
    count = int(np.prod(shape, dtype=np.int64))
    per_block, block_bytes = BLOCK_LAYOUTS[type_name]
    data = np.ascontiguousarray(raw).reshape(-1).view(np.uint8)
    if count % per_block or data.size != count // per_block * block_bytes:
        raise CheckpointError(
            f"{source}: {data.size} bytes do not hold {count} {type_name} values of shape {shape}"
        )
    if type_name == "F32":
        values = data.view("<f4")
    elif type_name == "F16":
        values = data.view("<f2")
    elif type_name == "BF16":
        values = (data.view("<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        values = _BLOCK_DEQUANTISERS[type_name](data.reshape(-1, block_bytes))
    return values.reshape(shape).astype(dtype, copy=False)
