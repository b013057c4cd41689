"""Rotary position embeddings in PyTorch, from the shared NumPy frequencies (``plugformers_sdk.rope``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ..rope import rope_parameters
from .buffers import register_computed_buffer


class RotaryEmbedding(nn.Module):
    """``(cos, sin)`` tables for position ids; no canonical tensors (``inv_freq`` is not saved).

    Frequencies stay float32 whatever the model dtype; cos/sin are computed in float32, scaled by
    the rope type's attention scaling, then cast to the requested dtype. A ``dynamic`` rope grows
    its base once the largest position exceeds ``max_position_embeddings`` -- computed without a
    data-dependent branch, so it traces under ``torch.compile`` and ``torch.export``.
    """

    def __init__(self, head_dim: int, *, max_position_embeddings: int = 2048, base: float = 10000.0,
                 rope_scaling: Mapping[str, Any] | None = None, partial_rotary_factor: float = 1.0):
        super().__init__()
        self.params = rope_parameters(head_dim, base=base, max_position_embeddings=max_position_embeddings,
                                      rope_scaling=rope_scaling, partial_rotary_factor=partial_rotary_factor)
        self.rot_dim = self.params.rot_dim
        self.attention_scaling = self.params.attention_scaling
        inv_freq = self.params.inv_freq.copy()
        register_computed_buffer(self, "inv_freq", lambda: torch.from_numpy(inv_freq.copy()))

    def _apply(self, fn, recurse: bool = True):
        # Keep the frequencies float32 when the model is cast to half precision.
        super()._apply(fn, recurse)
        if self.inv_freq.dtype != torch.float32 and not self.inv_freq.is_meta:
            self.inv_freq = torch.from_numpy(self.params.inv_freq.copy()).to(self.inv_freq.device)
        return self

    def _frequencies(self, position_ids: torch.Tensor) -> torch.Tensor:
        inv_freq = self.inv_freq.to(torch.float32)
        p = self.params
        if not p.is_dynamic:
            return inv_freq
        seq_len = position_ids.max().to(torch.float32) + 1
        growth = torch.clamp(p.factor * seq_len / p.max_position_embeddings - (p.factor - 1), min=1.0)
        exponent = p.rot_dim / (p.rot_dim - 2) if p.rot_dim > 2 else 1.0
        base = p.base * growth ** exponent
        steps = torch.arange(0, p.rot_dim, 2, dtype=torch.float32, device=inv_freq.device) / p.rot_dim
        return 1.0 / torch.pow(base, steps)

    def forward(self, position_ids: torch.Tensor, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        inv_freq = self._frequencies(position_ids)
        freqs = position_ids.to(torch.float32)[..., None] * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos = emb.cos() * self.attention_scaling
        sin = emb.sin() * self.attention_scaling
        return cos.to(dtype), sin.to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary_pos_emb(q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor,
                         sin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate ``q`` [b, h, s, d] and ``k`` [b, kvh, s, d] by cos/sin [b, s, rot_dim] (rotate_half
    convention); with partial rotary only the first ``rot_dim`` features turn."""
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    rot_dim = cos.shape[-1]

    def rotate(x: torch.Tensor) -> torch.Tensor:
        if rot_dim == x.shape[-1]:
            return x * cos + rotate_half(x) * sin
        turned, kept = x[..., :rot_dim], x[..., rot_dim:]
        return torch.cat((turned * cos + rotate_half(turned) * sin, kept), dim=-1)

    return rotate(q), rotate(k)
