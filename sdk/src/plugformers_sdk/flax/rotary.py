"""Rotary position embeddings for Flax.

Frequencies come from :mod:`plugformers_sdk.rope` (NumPy, shared by every framework); this file
only turns them into cos/sin and rotates queries and keys (rotate_half, non-interleaved
convention; partial rotary rotates the first ``rot_dim`` features). Nothing here is a canonical
tensor: ``inv_freq`` is kept as a constant of the compiled program, not saved.

``dynamic`` (NTK) rope recomputes frequencies from the largest position id when it exceeds the
original length. With concrete positions that is a direct call of
:func:`plugformers_sdk.rope.dynamic_inv_freq`; under ``jit`` the same function runs through
``jax.pure_callback``, so the formula still lives in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from plugformers_sdk.rope import RopeParameters, dynamic_inv_freq, rope_parameters


def _frozen(value: Any) -> Any:
    """A hashable copy of a rope_scaling dict (module attributes must stay static and comparable)."""
    if isinstance(value, Mapping):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


class RotaryEmbedding(nnx.Module):
    """cos/sin tables for position ids: ``__call__(position_ids [b, s]) -> (cos, sin)`` [b, s, rot_dim]."""

    def __init__(self, head_dim: int, *, max_position_embeddings: int = 2048, base: float = 10000.0,
                 rope_scaling: Mapping[str, Any] | None = None, partial_rotary_factor: float = 1.0):
        params = rope_parameters(head_dim, base=base, max_position_embeddings=max_position_embeddings,
                                 rope_scaling=rope_scaling, partial_rotary_factor=partial_rotary_factor)
        self.head_dim = head_dim
        self.max_position_embeddings = max_position_embeddings
        self.base = base
        self.rope_scaling = _frozen(rope_scaling)
        self.partial_rotary_factor = partial_rotary_factor
        self.rope_type = params.rope_type
        self.rot_dim = params.rot_dim
        self.attention_scaling = params.attention_scaling
        self.inv_freq = tuple(float(f) for f in params.inv_freq)  # exact float32 values, static

    def rope_parameters(self) -> RopeParameters:
        scaling = None if self.rope_scaling is None else dict(self.rope_scaling)
        return rope_parameters(self.head_dim, base=self.base, max_position_embeddings=self.max_position_embeddings,
                               rope_scaling=scaling, partial_rotary_factor=self.partial_rotary_factor)

    def _inv_freq(self, position_ids: jax.Array) -> jax.Array:
        if self.rope_type != "dynamic":
            return jnp.asarray(self.inv_freq, jnp.float32)
        params = self.rope_parameters()
        seq_len = jnp.max(position_ids) + 1

        def host(length: np.ndarray) -> np.ndarray:
            return np.asarray(dynamic_inv_freq(params, int(length)), np.float32)

        if not isinstance(seq_len, jax.core.Tracer):
            return jnp.asarray(host(np.asarray(seq_len)))
        shape = jax.ShapeDtypeStruct((self.rot_dim // 2,), jnp.float32)
        return jax.pure_callback(host, shape, seq_len)

    def __call__(self, position_ids: jax.Array, dtype=jnp.float32) -> tuple[jax.Array, jax.Array]:
        position_ids = jnp.asarray(position_ids)
        inv_freq = self._inv_freq(position_ids)
        freqs = position_ids.astype(jnp.float32)[..., None] * inv_freq
        emb = jnp.concatenate([freqs, freqs], axis=-1)
        cos = jnp.cos(emb) * self.attention_scaling
        sin = jnp.sin(emb) * self.attention_scaling
        return cos.astype(dtype), sin.astype(dtype)


def rotate_half(x: jax.Array) -> jax.Array:
    """``[-x2, x1]`` for ``x = [x1, x2]`` split in halves along the last axis."""
    half = x.shape[-1] // 2
    return jnp.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rotary_pos_emb(q: jax.Array, k: jax.Array, cos: jax.Array, sin: jax.Array,
                         unsqueeze_dim: int = 1) -> tuple[jax.Array, jax.Array]:
    """Rotate q and k [b, h, s, d] by cos/sin [b, s, rot_dim]; features past rot_dim pass through."""
    cos = jnp.expand_dims(cos, unsqueeze_dim)
    sin = jnp.expand_dims(sin, unsqueeze_dim)
    rot_dim = cos.shape[-1]

    def rotate(x: jax.Array) -> jax.Array:
        x_rot, x_pass = x[..., :rot_dim], x[..., rot_dim:]
        rotated = (x_rot * cos + rotate_half(x_rot) * sin).astype(x.dtype)
        return rotated if x_pass.shape[-1] == 0 else jnp.concatenate([rotated, x_pass], axis=-1)

    return rotate(q), rotate(k)
