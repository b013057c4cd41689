"""A tiny Llama-style model built only from the SDK's Flax layers (test helper, not a test file).

Its module tree mirrors Transformers' ``LlamaForCausalLM`` attribute by attribute, so the tests
can load the same canonical weights into Transformers (the PyTorch oracle) and compare.
"""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from plugformers.configuration import PretrainedConfig
from plugformers.outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from plugformers_sdk.flax import (
    Embedding,
    GatedMLP,
    Linear,
    MultiHeadAttention,
    PreTrainedModel,
    RMSNorm,
    RotaryEmbedding,
    cross_entropy,
    make_attention_mask,
)


class TinyLlamaConfig(PretrainedConfig):
    model_type = "tiny-llama"
    vocab_size: int = 64
    hidden_size: int = 32
    intermediate_size: int = 48
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    hidden_act: str = "silu"
    max_position_embeddings: int = 64
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    rope_scaling: dict | None = None
    attention_bias: bool = False
    attention_dropout: float = 0.0
    tie_word_embeddings: bool = False


class TinyLlamaDecoderLayer(nnx.Module):
    def __init__(self, config: TinyLlamaConfig, *, rngs: nnx.Rngs):
        self.self_attn = MultiHeadAttention(
            config.hidden_size, config.num_attention_heads, num_key_value_heads=config.num_key_value_heads,
            bias=config.attention_bias, dropout=config.attention_dropout, rngs=rngs,
        )
        self.mlp = GatedMLP(config.hidden_size, config.intermediate_size, config.hidden_act, rngs=rngs)
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)

    def __call__(self, hidden, mask, position_embeddings, past_key_value, use_cache):
        attn, present = self.self_attn(self.input_layernorm(hidden), mask, position_embeddings=position_embeddings,
                                       past_key_value=past_key_value, use_cache=use_cache)
        hidden = hidden + attn
        return hidden + self.mlp(self.post_attention_layernorm(hidden)), present


class TinyLlamaModel(PreTrainedModel):
    config_class = TinyLlamaConfig
    base_model_prefix = "model"

    def __init__(self, config: TinyLlamaConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.embed_tokens = Embedding(config.vocab_size, config.hidden_size, config.pad_token_id, rngs=rngs)
        self.layers = nnx.List([TinyLlamaDecoderLayer(config, rngs=rngs) for _ in range(config.num_hidden_layers)])
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(
            config.hidden_size // config.num_attention_heads, max_position_embeddings=config.max_position_embeddings,
            base=config.rope_theta, rope_scaling=config.rope_scaling,
        )
        self.post_init()

    def get_input_embeddings(self):
        return self.embed_tokens

    def __call__(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=False):
        batch, length = input_ids.shape
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        if position_ids is None:
            position_ids = jnp.broadcast_to(jnp.arange(past, past + length), (batch, length))
        hidden = self.embed_tokens(input_ids)
        mask = make_attention_mask(attention_mask, batch_size=batch, query_length=length, key_length=past + length,
                                   dtype=hidden.dtype, causal=True, past_length=past)
        position_embeddings = self.rotary_emb(position_ids, dtype=hidden.dtype)
        presents = []
        for index, layer in enumerate(self.layers):
            layer_past = None if past_key_values is None else past_key_values[index]
            hidden, present = layer(hidden, mask, position_embeddings, layer_past, use_cache)
            presents.append(present)
        return BaseModelOutputWithPast(last_hidden_state=self.norm(hidden),
                                       past_key_values=tuple(presents) if use_cache else None)


class TinyLlamaForCausalLM(PreTrainedModel):
    config_class = TinyLlamaConfig
    base_model_prefix = "model"
    tied_weights = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: TinyLlamaConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.model = TinyLlamaModel(config, rngs=rngs)
        self.lm_head = Linear(config.hidden_size, config.vocab_size, bias=False, rngs=rngs)
        self.post_init()

    def __call__(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=False,
                 labels=None):
        out = self.model(input_ids, attention_mask, position_ids, past_key_values, use_cache)
        logits = self.lm_head(out.last_hidden_state)
        loss = None
        if labels is not None:
            loss = cross_entropy(logits[:, :-1], labels[:, 1:])
        return CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=out.past_key_values)


def hf_config(config: TinyLlamaConfig):
    """The equivalent Transformers ``LlamaConfig`` (oracle)."""
    from transformers import LlamaConfig

    rope = {"rope_type": "default", "rope_theta": config.rope_theta}
    if config.rope_scaling:
        rope = {**config.rope_scaling, "rope_theta": config.rope_theta}
        rope.setdefault("rope_type", rope.pop("type", "default"))
    return LlamaConfig(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_key_value_heads, max_position_embeddings=config.max_position_embeddings,
        rms_norm_eps=config.rms_norm_eps, rope_parameters=rope, tie_word_embeddings=config.tie_word_embeddings,
        attention_bias=config.attention_bias, hidden_act=config.hidden_act,
    )
