"""LLaMA in Flax (NNX): decoder layer, model, then the heads.

The module tree mirrors the PyTorch one (``modeling_torch.py``) attribute by attribute
(``model.layers.0.self_attn.q_proj``), so checkpoints load by walking it. A tied LM head is a
Linear tied to ``model.embed_tokens`` (it then holds no kernel of its own).

Decoding works as in PyTorch: ``past_key_values`` in and out (per layer ``(key, value)`` of
``[batch, kv_heads, past_length, head_dim]``), ``attention_mask`` over past + current tokens,
``position_ids`` counted from the mask when not given. Nothing branches on an array's value, so
forward passes run under ``nnx.jit``. Dropout follows ``model.train()`` / ``model.eval()``.
"""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from plugformers.errors import ConfigError
from plugformers.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)
from plugformers_sdk.flax import (
    Dropout,
    Embedding,
    GatedMLP,
    Linear,
    MultiHeadAttention,
    PreTrainedModel,
    RMSNorm,
    RotaryEmbedding,
    cross_entropy,
    make_attention_mask,
    sequence_classification_loss,
)
from plugformers_sdk.generation import CausalLMGeneration, cached_length

from .configuration import LlamaConfig


def positions_from_mask(attention_mask, length: int, past_length: int):
    """Position ids [b, length]: running count of attended tokens minus one (padding gets 1), or
    ``past_length + arange`` without a mask."""
    if attention_mask is None:
        return jnp.arange(past_length, past_length + length)[None, :]
    mask = jnp.asarray(attention_mask).astype(jnp.int32)
    positions = jnp.where(mask == 0, 1, jnp.cumsum(mask, axis=-1) - 1)
    return positions[:, positions.shape[1] - length:]


class FlaxLlamaDecoderLayer(nnx.Module):
    """Pre-norm block: ``x + attn(norm(x))``, then ``x + mlp(norm(x))``."""

    def __init__(self, config: LlamaConfig, *, rngs: nnx.Rngs):
        init = {"rngs": rngs, "initializer_range": config.initializer_range}
        self.self_attn = MultiHeadAttention(
            config.hidden_size, config.num_attention_heads, num_key_value_heads=config.num_key_value_heads,
            head_dim=config.head_dim, bias=config.attention_bias, dropout=config.attention_dropout, **init,
        )
        self.mlp = GatedMLP(config.hidden_size, config.intermediate_size, activation=config.hidden_act,
                            bias=config.mlp_bias, **init)
        self.input_layernorm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)

    def __call__(self, hidden_states, attention_mask=None, position_embeddings=None, past_key_value=None,
                 use_cache: bool = False):
        attended, present = self.self_attn(
            self.input_layernorm(hidden_states), attention_mask, position_embeddings=position_embeddings,
            past_key_value=past_key_value, use_cache=use_cache,
        )
        hidden_states = hidden_states + attended
        hidden_states = hidden_states + self.mlp(self.post_attention_layernorm(hidden_states))
        return hidden_states, present


class FlaxLlamaPreTrainedModel(PreTrainedModel):
    """Shared settings of the LLaMA models."""

    config_class = LlamaConfig
    base_model_prefix = "model"

    def get_input_embeddings(self) -> Embedding:
        return getattr(self, type(self).base_model_prefix, self).embed_tokens


class FlaxLlamaModel(FlaxLlamaPreTrainedModel):
    """Token embeddings, the decoder layers and a final RMSNorm; returns the last hidden states."""

    def __init__(self, config: LlamaConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.embed_tokens = Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id,
                                      rngs=rngs, initializer_range=config.initializer_range)
        self.layers = nnx.List([FlaxLlamaDecoderLayer(config, rngs=rngs) for _ in range(config.num_hidden_layers)])
        self.norm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(
            config.head_dim, max_position_embeddings=config.max_position_embeddings, base=config.rope_theta,
            rope_scaling=config.rope_scaling,
        )
        self.post_init()

    def get_input_embeddings(self) -> Embedding:
        return self.embed_tokens

    def __call__(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                 inputs_embeds=None, use_cache=None, output_hidden_states=None, return_dict=None):
        config = self.config
        use_cache = config.use_cache if use_cache is None else use_cache
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        return_dict = config.return_dict if return_dict is None else return_dict
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("FlaxLlamaModel: give exactly one of input_ids or inputs_embeds")
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(jnp.asarray(input_ids))
        if past_key_values is not None and len(past_key_values) != len(self.layers):
            raise ValueError(f"past_key_values has {len(past_key_values)} layers, the model {len(self.layers)}")
        batch_size, length = inputs_embeds.shape[:2]
        past_length = cached_length(past_key_values)
        if attention_mask is not None:
            attention_mask = jnp.asarray(attention_mask)
        position_ids = (positions_from_mask(attention_mask, length, past_length) if position_ids is None
                        else jnp.asarray(position_ids))
        mask = make_attention_mask(attention_mask, batch_size=batch_size, query_length=length,
                                   key_length=past_length + length, dtype=inputs_embeds.dtype, causal=True,
                                   past_length=past_length)
        position_embeddings = self.rotary_emb(position_ids, dtype=inputs_embeds.dtype)
        hidden_states = inputs_embeds
        all_hidden = () if output_hidden_states else None
        presents = () if use_cache else None
        for index, layer in enumerate(self.layers):
            if output_hidden_states:
                all_hidden += (hidden_states,)
            past = past_key_values[index] if past_key_values else None
            hidden_states, present = layer(hidden_states, mask, position_embeddings, past, use_cache)
            if use_cache:
                presents += (present,)
        hidden_states = self.norm(hidden_states)
        if output_hidden_states:
            all_hidden += (hidden_states,)
        output = BaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents,
                                         hidden_states=all_hidden)
        return output if return_dict else output.to_tuple()


class FlaxLlamaForCausalLM(CausalLMGeneration, FlaxLlamaPreTrainedModel):
    """LLaMA with a language-modelling head ``lm_head`` (tied to ``model.embed_tokens`` when configured)."""

    tied_weights = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: LlamaConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.model = FlaxLlamaModel(config, rngs=rngs)
        self.lm_head = Linear(config.hidden_size, config.vocab_size, bias=False, rngs=rngs,
                              initializer_range=config.initializer_range)
        self.post_init()

    def get_output_embeddings(self) -> Linear:
        return self.lm_head

    def __call__(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                 inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None, return_dict=None,
                 logits_to_keep: int = 0):
        """``labels``: the input ids (position t predicts token t+1; -100 ignored).
        ``logits_to_keep=n``: logits of the last n positions only (0: all)."""
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.model(input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=use_cache,
                             output_hidden_states=output_hidden_states, return_dict=True)
        hidden = outputs.last_hidden_state
        logits = self.lm_head(hidden[:, -logits_to_keep:] if logits_to_keep else hidden)
        loss = None
        if labels is not None:
            loss = cross_entropy(logits[:, :-1], jnp.asarray(labels)[:, 1:])
        output = CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                        hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


def last_token_indices(input_ids, batch_size: int, length: int, pad_token_id, model: str):
    """Each row's rightmost token that is not ``pad_token_id`` (the last one when padding cannot be seen)."""
    if pad_token_id is None and batch_size != 1:
        raise ConfigError(f"{model}: batches of more than one row need config.pad_token_id")
    if pad_token_id is None or input_ids is None:
        return jnp.full((batch_size,), length - 1)
    keep = (jnp.asarray(input_ids) != pad_token_id).astype(jnp.int32)
    return jnp.argmax(jnp.arange(length)[None, :] * keep, axis=-1)


class FlaxLlamaForSequenceClassification(FlaxLlamaPreTrainedModel):
    """Scores the last non-padding token of each row (``score``, no bias)."""

    def __init__(self, config: LlamaConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.model = FlaxLlamaModel(config, rngs=rngs)
        self.score = Linear(config.hidden_size, config.num_labels, bias=False, rngs=rngs,
                            initializer_range=config.initializer_range)
        self.post_init()

    def __call__(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                 inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None, return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.model(input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=use_cache,
                             output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.score(outputs.last_hidden_state)
        batch, length = logits.shape[:2]
        last = last_token_indices(input_ids, batch, length, self.config.pad_token_id, type(self).__name__)
        pooled = logits[jnp.arange(batch), last]
        loss = sequence_classification_loss(pooled, labels, self.config) if labels is not None else None
        output = SequenceClassifierOutputWithPast(loss=loss, logits=pooled, past_key_values=outputs.past_key_values,
                                                  hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


def _classifier_dropout(config: LlamaConfig) -> float:
    for key in ("classifier_dropout", "hidden_dropout"):
        value = getattr(config, key, None)
        if value is not None:
            return value
    return 0.1


class FlaxLlamaForTokenClassification(FlaxLlamaPreTrainedModel):
    """A label per token (``score``, with bias unless ``token_classification_bias`` is false)."""

    def __init__(self, config: LlamaConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.model = FlaxLlamaModel(config, rngs=rngs)
        self.dropout = Dropout(_classifier_dropout(config), rngs=rngs)
        self.score = Linear(config.hidden_size, config.num_labels, getattr(config, "token_classification_bias", True),
                            rngs=rngs, initializer_range=config.initializer_range)
        self.post_init()

    def __call__(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                 inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None, return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.model(input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=use_cache,
                             output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.score(self.dropout(outputs.last_hidden_state))
        loss = cross_entropy(logits, labels) if labels is not None else None
        output = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


class FlaxLlamaForQuestionAnswering(FlaxLlamaPreTrainedModel):
    """Span start/end logits (``qa_outputs``). The base model is ``transformer``, as in Transformers."""

    base_model_prefix = "transformer"

    def __init__(self, config: LlamaConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.transformer = FlaxLlamaModel(config, rngs=rngs)
        self.qa_outputs = Linear(config.hidden_size, 2, rngs=rngs, initializer_range=config.initializer_range)
        self.post_init()

    def __call__(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                 inputs_embeds=None, start_positions=None, end_positions=None, output_hidden_states=None,
                 return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, attention_mask=attention_mask, position_ids=position_ids,
                                   past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=False,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.qa_outputs(outputs.last_hidden_state)
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        loss = None
        if start_positions is not None and end_positions is not None:
            length = start_logits.shape[1]
            start = jnp.clip(jnp.asarray(start_positions).reshape(-1), 0, length)
            end = jnp.clip(jnp.asarray(end_positions).reshape(-1), 0, length)
            loss = (cross_entropy(start_logits, start, ignore_index=length)
                    + cross_entropy(end_logits, end, ignore_index=length)) / 2
        output = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                              hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


__all__ = [
    "FlaxLlamaPreTrainedModel", "FlaxLlamaModel", "FlaxLlamaForCausalLM", "FlaxLlamaForSequenceClassification",
    "FlaxLlamaForTokenClassification", "FlaxLlamaForQuestionAnswering",
]
