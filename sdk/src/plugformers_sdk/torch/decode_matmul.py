"""Faster one-token matmuls while decoding on CPU.

A decoding step multiplies one row per sequence by every weight matrix: a matrix-vector product
bound by memory bandwidth. On CPU, PyTorch's default path (MKL) runs these on one core; oneDNN's
inner product (``torch.ops.mkldnn._linear_pointwise``, what ``torch.compile`` uses on CPU) spreads
them over all cores and reads the same weights, in place, about 1.5x faster (GPT-2 small: ~25 ->
~35 tokens/s on 2 cores). Results differ from MKL's only in summation order (float32 rounding).

It is used only inside :func:`decoding_matmuls` — which ``generate`` enters for its decode
steps — for float32 CPU inputs of at most :data:`MAX_ROWS` rows, without autograd, outside
``torch.compile``/``torch.export``; everywhere else ``Linear`` and ``Conv1D`` are unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

import torch

MAX_ROWS = 16
_ACTIVE: ContextVar[bool] = ContextVar("plugformers_decoding_matmuls", default=False)
_available: bool | None = None


def _onednn_available() -> bool:
    global _available
    if _available is None:
        _available = bool(torch.backends.mkldnn.is_available()) and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    return _available


@contextlib.contextmanager
def decoding_matmuls() -> Iterator[None]:
    """Within this block, small float32 CPU linear layers use oneDNN (see the module doc)."""
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def decode_linear(x: torch.Tensor, weight_out_in: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor | None:
    """``x @ weight_out_in.T + bias`` through oneDNN when decoding applies, else None (the caller
    then computes it as usual). ``weight_out_in`` may be a transposed view (Conv1D): no copy."""
    global _available
    if torch.compiler.is_compiling():  # first: under torch.compile / torch.export, nothing else is looked at
        return None
    if not _ACTIVE.get() or x.device.type != "cpu" or x.dtype != torch.float32:
        return None
    if weight_out_in.dtype != torch.float32 or x.numel() > MAX_ROWS * x.shape[-1] or torch.is_grad_enabled():
        return None
    if not _onednn_available():
        return None
    try:
        return torch.ops.mkldnn._linear_pointwise(x, weight_out_in, bias, "none", [], "")
    except RuntimeError:  # an unsupported layout or build: fall back for good
        _available = False
        return None
