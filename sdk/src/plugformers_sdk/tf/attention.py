"""Attention: scaled dot-product attention, additive masks, and a multi-head attention layer.

The math is that of ``torch.nn.functional.scaled_dot_product_attention``: ``softmax(q k^T * scale
+ mask) v``, with grouped key/value heads repeated to the query heads. In bfloat16/float16 the
scores and the softmax are computed in float32. Masks are additive, holding the dtype's most
negative finite value where a key is hidden, never ``-inf``, so a fully padded row stays finite.
No Python branch depends on a tensor's value, so everything compiles under
``tf.function(jit_compile=True)``.
"""

from __future__ import annotations

import math
from typing import Any

from plugformers.errors import ConfigError

from .canonical import CanonicalLayer
from .framework import keras, tf
from .layers import Dropout, Linear
from .rotary import apply_rotary_pos_emb

_LOW_PRECISION = (tf.bfloat16, tf.float16)


def scaled_dot_product_attention(query, key, value, attention_mask=None, *, dropout_p: float = 0.0,
                                 scale: float | None = None, training: bool = False, seed: Any = None):
    """``query`` ``[b, h, q, d]``, ``key``/``value`` ``[b, kvh, k, d]`` -> ``[b, h, q, d]``.

    ``kvh`` must divide ``h`` (grouped-query attention: each key/value head serves ``h // kvh``
    query heads). ``attention_mask`` is additive, broadcastable to ``[b, h, q, k]``, or None.
    ``seed`` is a ``keras.random.SeedGenerator`` for attention dropout (only used when training).
    """
    heads, kv_heads = query.shape[1], key.shape[1]
    if heads != kv_heads:
        if heads % kv_heads:
            raise ConfigError(f"num_key_value_heads={kv_heads} must divide num_attention_heads={heads}")
        key = tf.repeat(key, heads // kv_heads, axis=1)
        value = tf.repeat(value, heads // kv_heads, axis=1)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    dtype = query.dtype
    compute = tf.float32 if dtype in _LOW_PRECISION else dtype
    scores = tf.matmul(tf.cast(query, compute), tf.cast(key, compute), transpose_b=True) * scale
    if attention_mask is not None:
        scores = scores + tf.cast(attention_mask, compute)
    probs = tf.nn.softmax(scores, axis=-1)
    if training and dropout_p > 0.0:
        probs = keras.random.dropout(probs, dropout_p, seed=seed)
    return tf.matmul(tf.cast(probs, value.dtype), value)


def make_attention_mask(attention_mask, *, batch_size, query_length, key_length, dtype, causal: bool,
                        past_length=0):
    """The additive mask ``[b, 1, q, k]`` for a 2D 0/1 ``attention_mask`` ``[b, key_length]`` (or None).

    Causal: query ``i`` (absolute position ``past_length + i``) sees keys ``j <= past_length + i``.
    Returns None when nothing can be masked, decided from Python values only (no mask given and
    not causal, or causal with a single query that sees every key); a given 2D mask is always
    applied, whatever its values, since inspecting them would not compile.
    """
    dtype = tf.as_dtype(keras.backend.standardize_dtype(dtype))
    if attention_mask is None and not causal:
        return None
    if (attention_mask is None and causal and isinstance(query_length, int) and isinstance(key_length, int)
            and isinstance(past_length, int) and query_length == 1 and key_length <= past_length + 1):
        return None
    allowed = None
    if attention_mask is not None:
        attention_mask = tf.convert_to_tensor(attention_mask)
        static_keys = attention_mask.shape[-1] if len(attention_mask.shape) == 2 else None
        if len(attention_mask.shape) != 2 or (isinstance(key_length, int) and static_keys not in (None, key_length)):
            raise ValueError(
                f"attention_mask must be [batch, {key_length}] (past + current length), "
                f"got {tuple(attention_mask.shape)}"
            )
        allowed = tf.cast(attention_mask, tf.bool)[:, None, None, :]  # [b, 1, 1, k]
    if causal:
        queries = tf.range(query_length)[:, None] + tf.cast(past_length, tf.int32)
        keys = tf.range(key_length)[None, :]
        visible = (keys <= queries)[None, None, :, :]  # [1, 1, q, k]
        allowed = visible if allowed is None else tf.logical_and(allowed, visible)
    allowed = tf.broadcast_to(allowed, tf.stack([batch_size, 1, query_length, key_length]))
    return tf.where(allowed, tf.zeros((), dtype), tf.constant(dtype.min, dtype))


class MultiHeadAttention(CanonicalLayer):
    """Multi-head (and grouped-query) attention with projections named by ``names``.

    Call: ``(hidden_states, attention_mask=None, *, position_embeddings=None, key_value_states=None,
    past_key_value=None, use_cache=False, training=False) -> (attn_output, present_or_None)``.
    ``attention_mask`` is additive (see :func:`make_attention_mask`); ``position_embeddings`` is
    ``(cos, sin)`` applied to queries and keys; ``key_value_states`` makes it cross-attention, in
    which case a given ``past_key_value`` is reused as the keys and values.
    """

    def __init__(self, hidden_size: int, num_heads: int, *, num_key_value_heads: int | None = None,
                 head_dim: int | None = None, bias: bool = True, output_bias: bool | None = None,
                 dropout: float = 0.0, names: tuple[str, str, str, str] = ("q_proj", "k_proj", "v_proj", "o_proj"),
                 kv_input_size: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        num_key_value_heads = num_heads if num_key_value_heads is None else num_key_value_heads
        if head_dim is None:
            if hidden_size % num_heads:
                raise ConfigError(f"hidden_size={hidden_size} is not a multiple of num_attention_heads={num_heads}")
            head_dim = hidden_size // num_heads
        if num_heads % num_key_value_heads:
            raise ConfigError(
                f"num_key_value_heads={num_key_value_heads} must divide num_attention_heads={num_heads}"
            )
        self.num_heads = int(num_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.head_dim = int(head_dim)
        self.dropout = float(dropout)
        self.names = tuple(names)
        kv_input_size = hidden_size if kv_input_size is None else kv_input_size
        output_bias = bias if output_bias is None else output_bias
        q, k, v, o = self.names
        setattr(self, q, Linear(hidden_size, self.num_heads * self.head_dim, bias=bias))
        setattr(self, k, Linear(kv_input_size, self.num_key_value_heads * self.head_dim, bias=bias))
        setattr(self, v, Linear(kv_input_size, self.num_key_value_heads * self.head_dim, bias=bias))
        setattr(self, o, Linear(self.num_heads * self.head_dim, hidden_size, bias=output_bias))
        self.attention_dropout = Dropout(self.dropout)  # the model's seed generator, tracked by the model
        self.built = True

    def _heads(self, x, heads):
        """[b, s, heads * d] -> [b, heads, s, d]."""
        shape = tf.shape(x)
        x = tf.reshape(x, tf.stack([shape[0], shape[1], heads, self.head_dim]))
        return tf.transpose(x, (0, 2, 1, 3))

    def call(self, hidden_states, attention_mask=None, *, position_embeddings=None, key_value_states=None,
             past_key_value=None, use_cache: bool = False, training: bool = False):
        q_name, k_name, v_name, o_name = self.names
        query = self._heads(getattr(self, q_name)(hidden_states), self.num_heads)
        if key_value_states is not None:
            if past_key_value is not None:
                key, value = past_key_value
            else:
                key = self._heads(getattr(self, k_name)(key_value_states), self.num_key_value_heads)
                value = self._heads(getattr(self, v_name)(key_value_states), self.num_key_value_heads)
        else:
            key = self._heads(getattr(self, k_name)(hidden_states), self.num_key_value_heads)
            value = self._heads(getattr(self, v_name)(hidden_states), self.num_key_value_heads)
            if position_embeddings is not None:
                cos, sin = position_embeddings
                query, key = apply_rotary_pos_emb(query, key, cos, sin)
            if past_key_value is not None:
                key = tf.concat([tf.cast(past_key_value[0], key.dtype), key], axis=2)
                value = tf.concat([tf.cast(past_key_value[1], value.dtype), value], axis=2)
        present = (key, value) if use_cache else None
        seed = self.attention_dropout.seed_generator
        attended = scaled_dot_product_attention(query, key, value, attention_mask, dropout_p=self.dropout,
                                                training=bool(training), seed=seed)  # Keras passes a Python bool
        shape = tf.shape(attended)
        attended = tf.reshape(tf.transpose(attended, (0, 2, 1, 3)),
                              tf.stack([shape[0], shape[2], self.num_heads * self.head_dim]))
        return getattr(self, o_name)(attended), present
