"""Attention for Flax: scaled dot-product attention, additive masks, and multi-head attention.

The math is PyTorch's ``scaled_dot_product_attention``: ``softmax(q k^T * scale + mask) v``.
Scores and softmax are computed in float32 whatever the input dtype, then the probabilities are
cast to the value dtype. Masks are additive and use the dtype's most negative finite value (never
``-inf``), so a fully padded row stays finite. Key/value heads are repeated for grouped-query
attention.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx

from plugformers.errors import ConfigError

from .layers import Dropout, Linear
from .rotary import apply_rotary_pos_emb


def repeat_kv(states: jax.Array, num_heads: int, argument: str = "key") -> jax.Array:
    """Repeat [b, kvh, t, d] key/value heads to [b, num_heads, t, d]."""
    kv_heads = states.shape[1]
    if num_heads % kv_heads:
        raise ConfigError(f"{argument} has {kv_heads} heads, which does not divide the {num_heads} query heads")
    return states if kv_heads == num_heads else jnp.repeat(states, num_heads // kv_heads, axis=1)


def scaled_dot_product_attention(
    query: jax.Array,
    key: jax.Array,
    value: jax.Array,
    attention_mask: jax.Array | None = None,
    *,
    dropout_p: float = 0.0,
    scale: float | None = None,
    training: bool = False,
    dropout_rng: jax.Array | None = None,
) -> jax.Array:
    """Attention over query [b, h, q, d] and key/value [b, kvh, k, d] -> [b, h, q, d].

    ``attention_mask`` is additive, broadcastable to [b, h, q, k]. Dropout on the attention
    probabilities applies only when ``training`` and ``dropout_p > 0``, and needs ``dropout_rng``.
    """
    num_heads = query.shape[1]
    key = repeat_kv(key, num_heads, "key")
    value = repeat_kv(value, num_heads, "value")
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = jnp.einsum("bhqd,bhkd->bhqk", query, key, preferred_element_type=jnp.float32) * scale
    if attention_mask is not None:
        scores = scores + attention_mask.astype(jnp.float32)
    probs = jax.nn.softmax(scores, axis=-1)
    if training and dropout_p > 0.0:
        if dropout_rng is None:
            raise ConfigError("scaled_dot_product_attention: dropout_rng is required when training with dropout_p > 0")
        keep = jax.random.bernoulli(dropout_rng, 1.0 - dropout_p, probs.shape)
        probs = jnp.where(keep, probs / (1.0 - dropout_p), 0.0)
    return jnp.einsum("bhqk,bhkd->bhqd", probs.astype(value.dtype), value).astype(query.dtype)


def make_attention_mask(
    attention_mask: jax.Array | None,
    *,
    batch_size: int,
    query_length: int,
    key_length: int,
    dtype,
    causal: bool,
    past_length: int = 0,
) -> jax.Array | None:
    """Additive mask [b, 1, q, k] from the user's 2D 0/1 ``attention_mask`` [b, key_length].

    Query ``i`` sits at absolute position ``past_length + i``; when ``causal`` it sees keys
    ``j <= past_length + i``. Returns ``None`` when nothing can be masked (no padding mask, and no
    causal constraint that bites). Decided from shapes only, so it is the same under ``jit``.
    """
    allowed = None
    if attention_mask is not None:
        mask = jnp.asarray(attention_mask)
        if mask.ndim != 2 or mask.shape[1] != key_length or mask.shape[0] not in (1, batch_size):
            raise ConfigError(
                f"attention_mask must have shape [batch, key_length] = [{batch_size}, {key_length}], "
                f"got {list(mask.shape)}"
            )
        allowed = (mask != 0)[:, None, None, :]
    if causal and key_length > past_length + 1:
        query_pos = past_length + jnp.arange(query_length)[:, None]
        causal_allowed = (jnp.arange(key_length)[None, :] <= query_pos)[None, None]
        allowed = causal_allowed if allowed is None else allowed & causal_allowed
    if allowed is None:
        return None
    allowed = jnp.broadcast_to(allowed, (batch_size, 1, query_length, key_length))
    return jnp.where(allowed, 0.0, jnp.finfo(dtype).min).astype(dtype)


class MultiHeadAttention(nnx.Module):
    """Multi-head (and grouped-query) attention with rotary, cross-attention and a KV cache.

    The four projections are attributes named by ``names`` (``q_proj``, ``k_proj``, ``v_proj``,
    ``o_proj`` by default). ``__call__`` returns ``(attn_output, present_key_value)``, where the
    present is ``(key, value)`` [b, kvh, t, d] when ``use_cache`` and ``None`` otherwise.
    """

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        *,
        num_key_value_heads: int | None = None,
        head_dim: int | None = None,
        bias: bool = True,
        output_bias: bool | None = None,
        dropout: float = 0.0,
        names: tuple[str, str, str, str] = ("q_proj", "k_proj", "v_proj", "o_proj"),
        kv_input_size: int | None = None,
        rngs: nnx.Rngs,
        initializer_range: float | None = None,
    ):
        num_key_value_heads = num_key_value_heads or num_heads
        if head_dim is None:
            if hidden_size % num_heads:
                raise ConfigError(f"hidden_size={hidden_size} is not a multiple of num_heads={num_heads}")
            head_dim = hidden_size // num_heads
        if num_heads % num_key_value_heads:
            raise ConfigError(
                f"num_key_value_heads={num_key_value_heads} must divide num_heads={num_heads}"
            )
        if len(names) != 4:
            raise ConfigError(f"names must give 4 projection names (q, k, v, o), got {names!r}")
        self.num_heads = num_heads
        self.num_key_value_heads = num_key_value_heads
        self.head_dim = head_dim
        self.names = tuple(names)
        self.dropout_p = float(dropout)
        kv_in = kv_input_size or hidden_size
        kw = {"rngs": rngs, "initializer_range": initializer_range}
        q_name, k_name, v_name, o_name = self.names
        setattr(self, q_name, Linear(hidden_size, num_heads * head_dim, bias, **kw))
        setattr(self, k_name, Linear(kv_in, num_key_value_heads * head_dim, bias, **kw))
        setattr(self, v_name, Linear(kv_in, num_key_value_heads * head_dim, bias, **kw))
        setattr(self, o_name, Linear(num_heads * head_dim, hidden_size, bias if output_bias is None else output_bias, **kw))
        # Holds the dropout rng stream and follows model.train()/model.eval(); has no tensors.
        self.attention_dropout = Dropout(dropout, rngs=rngs)

    def _heads(self, x: jax.Array, heads: int) -> jax.Array:
        b, t, _ = x.shape
        return x.reshape(b, t, heads, self.head_dim).transpose(0, 2, 1, 3)

    def __call__(
        self,
        hidden_states: jax.Array,
        attention_mask: jax.Array | None = None,
        *,
        position_embeddings: tuple[jax.Array, jax.Array] | None = None,
        key_value_states: jax.Array | None = None,
        past_key_value: tuple[jax.Array, jax.Array] | None = None,
        use_cache: bool = False,
        training: bool | None = None,
    ) -> tuple[jax.Array, tuple[jax.Array, jax.Array] | None]:
        """``training=None`` follows the module mode (``model.train()`` / ``model.eval()``)."""
        q_proj, k_proj, v_proj, o_proj = (getattr(self, n) for n in self.names)
        batch, q_len, _ = hidden_states.shape
        query = self._heads(q_proj(hidden_states), self.num_heads)
        cross = key_value_states is not None
        if cross and past_key_value is not None:
            key, value = past_key_value  # cross-attention keys/values do not change between steps
        else:
            source = key_value_states if cross else hidden_states
            key = self._heads(k_proj(source), self.num_key_value_heads)
            value = self._heads(v_proj(source), self.num_key_value_heads)
            if position_embeddings is not None and not cross:
                cos, sin = position_embeddings
                query, key = apply_rotary_pos_emb(query, key, cos, sin)
            if past_key_value is not None:
                key = jnp.concatenate([past_key_value[0].astype(key.dtype), key], axis=2)
                value = jnp.concatenate([past_key_value[1].astype(value.dtype), value], axis=2)
        if training is None:
            training = not self.attention_dropout.deterministic
        rng = None
        if training and self.dropout_p > 0.0:
            rng = self.attention_dropout.rngs()
        attn = scaled_dot_product_attention(
            query, key, value, attention_mask, dropout_p=self.dropout_p, training=training, dropout_rng=rng
        )
        attn = attn.transpose(0, 2, 1, 3).reshape(batch, q_len, self.num_heads * self.head_dim)
        present = (key, value) if use_cache else None
        return o_proj(attn), present
