"""Attention in PyTorch: masks, scaled dot-product attention (grouped-query aware) and a
multi-head attention block with rotary, cross-attention and a key/value cache."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from plugformers.errors import ConfigError

from .layers import Linear
from .rotary import apply_rotary_pos_emb


def _repeat_kv(x: torch.Tensor, times: int) -> torch.Tensor:
    return x if times == 1 else torch.repeat_interleave(x, times, dim=1)


def scaled_dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                                 attention_mask: torch.Tensor | None = None, *, dropout_p: float = 0.0,
                                 scale: float | None = None, training: bool = False) -> torch.Tensor:
    """``softmax(q k^T * scale + mask) v`` through ``torch.nn.functional.scaled_dot_product_attention``.

    query [b, h, q, d]; key/value [b, kvh, k, d] with kvh dividing h (each kv head serves h/kvh
    query heads); ``attention_mask`` additive, broadcastable to [b, h, q, k]. Returns [b, h, q, d].
    """
    heads, kv_heads = query.shape[1], key.shape[1]
    if heads % kv_heads:
        raise ValueError(f"scaled_dot_product_attention: {kv_heads} key/value heads do not divide {heads} query heads")
    key = _repeat_kv(key, heads // kv_heads)
    value = _repeat_kv(value, heads // kv_heads)
    if attention_mask is not None and attention_mask.dtype != query.dtype:
        attention_mask = attention_mask.to(query.dtype)
    return F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask,
                                          dropout_p=dropout_p if training else 0.0, scale=scale)


def _tracing() -> bool:
    return torch.compiler.is_compiling() or torch.jit.is_tracing()


def make_attention_mask(attention_mask: torch.Tensor | None, *, batch_size: int, query_length: int,
                        key_length: int, dtype: torch.dtype, causal: bool,
                        past_length: int = 0) -> torch.Tensor | None:
    """Additive mask [b, 1, q, k]: 0 where attended, ``finfo(dtype).min`` where masked (never -inf,
    so fully padded rows stay finite); ``None`` when nothing can be masked.

    ``attention_mask`` is the user's [b, key_length] 0/1 mask (or None). With ``causal``, query i
    (absolute position ``past_length + i``) sees keys j <= past_length + i. Under ``torch.compile``
    / ``torch.export`` / ``torch.jit.trace``, whether to return None is decided from shapes only,
    so the function traces without data-dependent branches; run eagerly, an all-ones mask without
    causality is also None (attention without a mask is faster).
    """
    causal_masks_something = causal and key_length > past_length + 1
    if attention_mask is not None and not causal_masks_something and not _tracing():
        if attention_mask.dim() == 2 and attention_mask.shape[-1] == key_length and bool(attention_mask.all()):
            attention_mask = None
    if attention_mask is None and not causal_masks_something:
        return None
    device = attention_mask.device if attention_mask is not None else None
    allowed = torch.ones((batch_size, 1, query_length, key_length), dtype=torch.bool, device=device)
    if attention_mask is not None:
        if attention_mask.dim() != 2 or attention_mask.shape[-1] != key_length:
            raise ValueError(
                f"attention_mask must be [batch, {key_length}] (past + current length), got {tuple(attention_mask.shape)}"
            )
        allowed = allowed & attention_mask.to(torch.bool)[:, None, None, :]
    if causal_masks_something:
        query_positions = torch.arange(query_length, device=device) + past_length
        key_positions = torch.arange(key_length, device=device)
        allowed = allowed & (key_positions[None, :] <= query_positions[:, None])
    zero = torch.zeros((), dtype=dtype, device=device)
    masked = torch.full((), torch.finfo(dtype).min, dtype=dtype, device=device)
    return torch.where(allowed, zero, masked)


class MultiHeadAttention(nn.Module):
    """Multi-head (and grouped-query) attention with projections named by ``names``.

    ``forward(hidden_states, attention_mask=None, *, position_embeddings=None,
    key_value_states=None, past_key_value=None, use_cache=False, training=None)`` returns
    ``(attn_output, present_key_value)``; ``present_key_value`` is ``(k, v)`` [b, kvh, t, d] when
    ``use_cache`` else None. ``attention_mask`` is additive (:func:`make_attention_mask`).
    ``position_embeddings=(cos, sin)`` rotates q and the new k (self-attention only).
    With ``key_value_states`` it is cross-attention; a given ``past_key_value`` is then reused
    as is. ``training=None`` follows the module's mode.
    """

    def __init__(self, hidden_size: int, num_heads: int, *, num_key_value_heads: int | None = None,
                 head_dim: int | None = None, bias: bool = True, output_bias: bool | None = None,
                 dropout: float = 0.0, names: tuple[str, str, str, str] = ("q_proj", "k_proj", "v_proj", "o_proj"),
                 kv_input_size: int | None = None):
        super().__init__()
        num_key_value_heads = num_key_value_heads or num_heads
        head_dim = head_dim or hidden_size // num_heads
        if num_heads % num_key_value_heads:
            raise ConfigError(f"num_key_value_heads={num_key_value_heads} must divide num_heads={num_heads}")
        self.num_heads, self.num_key_value_heads, self.head_dim = num_heads, num_key_value_heads, head_dim
        self.dropout = dropout
        self.names = tuple(names)
        kv_input_size = kv_input_size or hidden_size
        q, k, v, o = self.names
        setattr(self, q, Linear(hidden_size, num_heads * head_dim, bias=bias))
        setattr(self, k, Linear(kv_input_size, num_key_value_heads * head_dim, bias=bias))
        setattr(self, v, Linear(kv_input_size, num_key_value_heads * head_dim, bias=bias))
        setattr(self, o, Linear(num_heads * head_dim, hidden_size, bias=bias if output_bias is None else output_bias))

    def _split(self, x: torch.Tensor, heads: int) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
                position_embeddings: tuple[torch.Tensor, torch.Tensor] | None = None,
                key_value_states: torch.Tensor | None = None,
                past_key_value: tuple[torch.Tensor, torch.Tensor] | None = None,
                use_cache: bool = False, training: bool | None = None):
        training = self.training if training is None else training
        q_proj, k_proj, v_proj, o_proj = (getattr(self, n) for n in self.names)
        query = self._split(q_proj(hidden_states), self.num_heads)
        if key_value_states is not None:
            if past_key_value is not None:
                key, value = past_key_value
            else:
                key = self._split(k_proj(key_value_states), self.num_key_value_heads)
                value = self._split(v_proj(key_value_states), self.num_key_value_heads)
        else:
            key = self._split(k_proj(hidden_states), self.num_key_value_heads)
            value = self._split(v_proj(hidden_states), self.num_key_value_heads)
            if position_embeddings is not None:
                cos, sin = position_embeddings
                query, key = apply_rotary_pos_emb(query, key, cos, sin)
            if past_key_value is not None:
                key = torch.cat((past_key_value[0], key), dim=2)
                value = torch.cat((past_key_value[1], value), dim=2)
        out = scaled_dot_product_attention(query, key, value, attention_mask, dropout_p=self.dropout,
                                           training=training)
        out = out.transpose(1, 2).reshape(hidden_states.shape[0], hidden_states.shape[1], -1)
        return o_proj(out), ((key, value) if use_cache else None)
