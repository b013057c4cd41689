"""Rotary position embeddings: cos/sin from ``plugformers_sdk.rope`` frequencies, and their application.

The inverse frequencies (and the attention scaling) come from the framework-neutral
:func:`plugformers_sdk.rope.rope_parameters`, so TensorFlow, PyTorch and Flax rotate by the same
angles. Cos/sin use the ``cat(freqs, freqs)`` layout and :func:`apply_rotary_pos_emb` the
``rotate_half`` (non-interleaved) convention; with a partial rotary factor only the first
``rot_dim`` features of each head are rotated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..rope import rope_parameters
from .framework import keras, tf


class RotaryEmbedding(keras.layers.Layer):
    """``__call__(position_ids [b, s], dtype="float32") -> (cos, sin)``, each ``[b, s, rot_dim]``. No weights.

    For ``dynamic`` (NTK) scaling the frequencies are recomputed in the graph from the longest
    position in ``position_ids``: with ``growth = factor * seq_len / max_pos - (factor - 1)``, the
    grown base ``base * growth ** (rot_dim / (rot_dim - 2))`` gives
    ``inv_freq[i] * growth ** (-2i / (rot_dim - 2))``, which equals
    :func:`plugformers_sdk.rope.dynamic_inv_freq` (tested) without leaving the graph.
    """

    def __init__(self, head_dim: int, *, max_position_embeddings: int = 2048, base: float = 10000.0,
                 rope_scaling: Mapping[str, Any] | None = None, partial_rotary_factor: float = 1.0, **kwargs: Any):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.rope = rope_parameters(head_dim, base=base, max_position_embeddings=max_position_embeddings,
                                    rope_scaling=rope_scaling, partial_rotary_factor=partial_rotary_factor)
        rot_dim = self.rope.rot_dim
        self._dynamic_exponents = (np.arange(0, rot_dim, 2, dtype=np.float64) / max(rot_dim - 2, 1)).astype(np.float32)
        self.built = True

    @property
    def rot_dim(self) -> int:
        return self.rope.rot_dim

    def inv_freq(self, position_ids):
        """The inverse frequencies for these positions (constant except for ``dynamic`` scaling)."""
        inv_freq = tf.constant(self.rope.inv_freq, tf.float32)
        if not self.rope.is_dynamic:
            return inv_freq
        seq_len = tf.cast(tf.reduce_max(position_ids) + 1, tf.float32)
        original = float(self.rope.max_position_embeddings)
        growth = self.rope.factor * seq_len / original - (self.rope.factor - 1.0)
        grown = inv_freq * tf.pow(growth, -tf.constant(self._dynamic_exponents))
        return tf.where(seq_len > original, grown, inv_freq)

    def call(self, position_ids, dtype="float32"):
        position_ids = tf.convert_to_tensor(position_ids)
        positions = tf.cast(position_ids, tf.float32)
        freqs = positions[..., None] * self.inv_freq(position_ids)  # [b, s, rot_dim // 2]
        emb = tf.concat([freqs, freqs], axis=-1)
        scaling = self.rope.attention_scaling
        cos, sin = tf.cos(emb), tf.sin(emb)
        if scaling != 1.0:
            cos, sin = cos * scaling, sin * scaling
        dtype = tf.as_dtype(keras.backend.standardize_dtype(dtype))
        return tf.cast(cos, dtype), tf.cast(sin, dtype)


def rotate_half(x):
    """``[x1, x2] -> [-x2, x1]`` over the last axis."""
    half = x.shape[-1] // 2
    return tf.concat([-x[..., half:], x[..., :half]], axis=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    """Rotate ``q`` ``[b, h, s, d]`` and ``k`` ``[b, kvh, s, d]`` by ``cos``/``sin`` ``[b, s, rot_dim]``."""
    cos = tf.cast(cos[:, None, :, :], q.dtype)
    sin = tf.cast(sin[:, None, :, :], q.dtype)
    rot_dim = cos.shape[-1]

    def rotate(x):
        if rot_dim == x.shape[-1]:
            return x * cos + rotate_half(x) * sin
        rot, passed = x[..., :rot_dim], x[..., rot_dim:]
        return tf.concat([rot * cos + rotate_half(rot) * sin, passed], axis=-1)

    return rotate(q), rotate(k)
