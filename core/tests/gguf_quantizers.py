"""Test-side encoders for the ggml K-quant block layouts (the ``gguf`` package can dequantise
Q4_K/Q5_K/Q6_K but not quantise them). Plain min/max scaling, not llama.cpp's optimised search;
their bytes are checked against the ``gguf`` package's own dequantiser before being trusted."""

from __future__ import annotations

import numpy as np


def _f16_bytes(values: np.ndarray) -> np.ndarray:
    return values.astype(np.float16).reshape(-1, 1).view(np.uint8)


def _k_scale_bytes(scales: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """8 six-bit scales and mins per block -> the 12 packed bytes."""
    sc, mn = scales.astype(np.uint8), mins.astype(np.uint8)
    low = (sc[:, :4] & 63) | ((sc[:, 4:] >> 4) << 6)
    mid = (mn[:, :4] & 63) | ((mn[:, 4:] >> 4) << 6)
    high = (sc[:, 4:] & 15) | ((mn[:, 4:] & 15) << 4)
    return np.concatenate((low, mid, high), axis=1)


def _k_scales(x: np.ndarray, levels: int):
    """x [n, 8, 32] -> (d, dmin, sc, m, q) with x ~ d*sc*q - dmin*m."""
    lo = np.minimum(x.min(-1), 0.0)
    hi = x.max(-1)
    step = (hi - lo) / levels
    d = np.maximum(step.max(-1), 1e-8) / 63
    dmin = np.maximum((-lo).max(-1), 1e-8) / 63
    d, dmin = d.astype(np.float16).astype(np.float32), dmin.astype(np.float16).astype(np.float32)
    sc = np.clip(np.round(step / d[:, None]), 1, 63)
    m = np.clip(np.round(-lo / dmin[:, None]), 0, 63)
    scale = (d[:, None] * sc)[..., None]
    q = np.clip(np.round((x + (dmin[:, None] * m)[..., None]) / scale), 0, levels).astype(np.uint8)
    return d, dmin, sc, m, q


def quantize_q4_k(values: np.ndarray) -> np.ndarray:
    x = values.reshape(-1, 8, 32).astype(np.float32)
    d, dmin, sc, m, q = _k_scales(x, 15)
    qs = (q[:, 0::2] | (q[:, 1::2] << 4)).reshape(len(x), 128)
    return np.concatenate((_f16_bytes(d), _f16_bytes(dmin), _k_scale_bytes(sc, m), qs), axis=1)


def quantize_q5_k(values: np.ndarray) -> np.ndarray:
    x = values.reshape(-1, 8, 32).astype(np.float32)
    d, dmin, sc, m, q = _k_scales(x, 31)
    low = q & 15
    qs = (low[:, 0::2] | (low[:, 1::2] << 4)).reshape(len(x), 128)
    qh = np.zeros((len(x), 32), dtype=np.uint8)
    for j in range(8):
        qh |= ((q[:, j] >> 4) & 1) << j
    return np.concatenate((_f16_bytes(d), _f16_bytes(dmin), _k_scale_bytes(sc, m), qh, qs), axis=1)


def quantize_q6_k(values: np.ndarray) -> np.ndarray:
    x = values.reshape(-1, 16, 16).astype(np.float32)  # 16 groups of 16 values
    group = np.maximum(np.abs(x).max(-1), 1e-8) / 31
    d = (group.max(-1) / 127).astype(np.float16).astype(np.float32)
    sc = np.clip(np.round(group / d[:, None]), 1, 127)
    q = np.clip(np.round(x / (d[:, None] * sc)[..., None]) + 32, 0, 63).astype(np.uint8).reshape(-1, 2, 4, 32)
    low, high = q & 15, q >> 4  # [n, half, k, l]
    ql = np.stack((low[:, :, 0] | (low[:, :, 2] << 4), low[:, :, 1] | (low[:, :, 3] << 4)), axis=2)
    qh = high[:, :, 0] | (high[:, :, 1] << 2) | (high[:, :, 2] << 4) | (high[:, :, 3] << 6)
    n = len(x)
    return np.concatenate((ql.reshape(n, 128), qh.reshape(n, 64), sc.astype(np.int8).view(np.uint8),
                           _f16_bytes(d)), axis=1)


K_QUANTIZERS = {"Q4_K": quantize_q4_k, "Q5_K": quantize_q5_k, "Q6_K": quantize_q6_k}
