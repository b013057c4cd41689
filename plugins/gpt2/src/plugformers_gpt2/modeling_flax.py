"""GPT-2 in Flax (NNX): attention, MLP, block, the stack, then the heads.

The module tree mirrors the PyTorch one (``modeling_torch.py``) attribute by attribute
(``transformer.h.0.attn.c_attn``), so checkpoints load by walking it. A tied LM head is a Linear
tied to ``transformer.wte`` (it then holds no kernel of its own).

Decoding works as in PyTorch: ``past_key_values`` in and out (per layer ``(key, value)`` of
``[batch, heads, past_length, head_dim]``), ``attention_mask`` over past + current tokens, and
``position_ids`` derived from the mask when not given. Nothing branches on an array's value, so
forward passes run under ``nnx.jit``. Dropout follows ``model.train()`` / ``model.eval()``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from plugformers.errors import ConfigError
from plugformers.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)
from plugformers_sdk.flax import (
    Conv1D,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    PreTrainedModel,
    cross_entropy,
    get_activation,
    make_attention_mask,
    register_model_output,
    scaled_dot_product_attention,
    sequence_classification_loss,
)
from plugformers_sdk.generation import CausalLMGeneration, cached_length

from .configuration import GPT2Config
from .outputs import GPT2DoubleHeadsModelOutput

register_model_output(GPT2DoubleHeadsModelOutput)

# -- one block ---------------------------------------------------------------------------------


class FlaxGPT2Attention(nnx.Module):
    """Causal self-attention with fused query/key/value projection ``c_attn`` and output ``c_proj``."""

    def __init__(self, config: GPT2Config, layer_idx: int, *, rngs: nnx.Rngs):
        self.embed_dim = config.n_embd
        self.num_heads = config.n_head
        self.head_dim = config.head_dim
        self.scale = config.attention_scale(layer_idx)
        self.attn_pdrop = config.attn_pdrop
        init = {"rngs": rngs, "initializer_range": config.initializer_range}
        self.c_attn = Conv1D(self.embed_dim, 3 * self.embed_dim, **init)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim, **init)
        self.attn_dropout = Dropout(config.attn_pdrop, rngs=rngs)  # holds the rng stream; no tensors
        self.resid_dropout = Dropout(config.resid_pdrop, rngs=rngs)

    def _heads(self, x: jax.Array) -> jax.Array:
        return x.reshape(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def __call__(self, hidden_states: jax.Array, attention_mask: jax.Array | None = None,
                 past_key_value: tuple[jax.Array, jax.Array] | None = None, use_cache: bool = False):
        query, key, value = jnp.split(self.c_attn(hidden_states), 3, axis=-1)
        query, key, value = self._heads(query), self._heads(key), self._heads(value)
        if past_key_value is not None:
            key = jnp.concatenate([past_key_value[0].astype(key.dtype), key], axis=2)
            value = jnp.concatenate([past_key_value[1].astype(value.dtype), value], axis=2)
        training = not self.attn_dropout.deterministic
        rng = self.attn_dropout.rngs() if training and self.attn_pdrop > 0.0 else None
        attended = scaled_dot_product_attention(query, key, value, attention_mask, dropout_p=self.attn_pdrop,
                                                scale=self.scale, training=training, dropout_rng=rng)
        batch, length = hidden_states.shape[:2]
        attended = attended.transpose(0, 2, 1, 3).reshape(batch, length, self.embed_dim)
        output = self.resid_dropout(self.c_proj(attended))
        return output, ((key, value) if use_cache else None)


class FlaxGPT2MLP(nnx.Module):
    """``c_proj(act(c_fc(x)))`` then dropout."""

    def __init__(self, config: GPT2Config, *, rngs: nnx.Rngs):
        init = {"rngs": rngs, "initializer_range": config.initializer_range}
        self.c_fc = Conv1D(config.n_embd, config.inner_size, **init)
        self.c_proj = Conv1D(config.inner_size, config.n_embd, **init)
        self.act = get_activation(config.activation_function)
        self.dropout = Dropout(config.resid_pdrop, rngs=rngs)

    def __call__(self, hidden_states: jax.Array) -> jax.Array:
        return self.dropout(self.c_proj(self.act(self.c_fc(hidden_states))))


class FlaxGPT2Block(nnx.Module):
    """Pre-norm residual block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, config: GPT2Config, layer_idx: int, *, rngs: nnx.Rngs):
        self.ln_1 = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = FlaxGPT2Attention(config, layer_idx, rngs=rngs)
        self.ln_2 = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = FlaxGPT2MLP(config, rngs=rngs)

    def __call__(self, hidden_states: jax.Array, attention_mask: jax.Array | None = None,
                 past_key_value: tuple[jax.Array, jax.Array] | None = None, use_cache: bool = False):
        attended, present = self.attn(self.ln_1(hidden_states), attention_mask, past_key_value, use_cache)
        hidden_states = hidden_states + attended
        hidden_states = hidden_states + self.mlp(self.ln_2(hidden_states))
        return hidden_states, present


# -- base class and the stack ------------------------------------------------------------------


def position_ids_from_mask(attention_mask: jax.Array, query_length: int) -> jax.Array:
    """Positions of the last ``query_length`` tokens: running count of attended tokens minus one
    (padding gets 1, as in Transformers' ``generate``). ``attention_mask`` is [b, past + query]."""
    mask = jnp.asarray(attention_mask).astype(jnp.int32)
    positions = jnp.cumsum(mask, axis=-1) - 1
    positions = jnp.where(mask == 0, 1, positions)
    return positions[:, positions.shape[1] - query_length:]


class FlaxGPT2PreTrainedModel(PreTrainedModel):
    """Shared by every GPT-2 model: config class, base-model prefix, ignored legacy tensors."""

    config_class = GPT2Config
    base_model_prefix = "transformer"
    ignore_on_load_unexpected = (r"(^|\.)attn\.bias$", r"(^|\.)attn\.masked_bias$",
                                 r"(^|\.)crossattention\.bias$", r"(^|\.)crossattention\.masked_bias$")


class FlaxGPT2Model(FlaxGPT2PreTrainedModel):
    """Token + position embeddings, ``n_layer`` blocks, final LayerNorm ``ln_f``."""

    def __init__(self, config: GPT2Config, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        if config.add_cross_attention:
            raise ConfigError("GPT2Config.add_cross_attention=True (GPT-2 as a decoder with cross-attention) "
                              "is not supported")
        init = {"rngs": rngs, "initializer_range": config.initializer_range}
        self.wte = Embedding(config.vocab_size, config.n_embd, **init)
        self.wpe = Embedding(config.n_positions, config.n_embd, **init)
        self.drop = Dropout(config.embd_pdrop, rngs=rngs)
        self.h = nnx.List([FlaxGPT2Block(config, i, rngs=rngs) for i in range(config.n_layer)])
        self.ln_f = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.post_init()

    def get_input_embeddings(self) -> Embedding:
        return self.wte

    def __call__(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
                 position_ids=None, inputs_embeds=None, use_cache=None, output_hidden_states=None,
                 return_dict=None):
        """Inputs may have extra leading dimensions ([batch, choices, seq]); they are flattened
        into the batch and restored on ``last_hidden_state``."""
        config = self.config
        use_cache = config.use_cache if use_cache is None else use_cache
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        return_dict = config.return_dict if return_dict is None else return_dict
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("FlaxGPT2Model: pass exactly one of input_ids and inputs_embeds")
        if input_ids is not None:
            input_ids = jnp.asarray(input_ids)
            input_shape = input_ids.shape
            inputs_embeds = self.wte(input_ids.reshape(-1, input_shape[-1]))
        else:
            inputs_embeds = jnp.asarray(inputs_embeds)
            input_shape = inputs_embeds.shape[:-1]
            inputs_embeds = inputs_embeds.reshape(-1, input_shape[-1], inputs_embeds.shape[-1])
        batch_size, length = inputs_embeds.shape[:2]
        past_length = cached_length(past_key_values)
        if past_key_values is not None and len(past_key_values) != len(self.h):
            raise ValueError(f"FlaxGPT2Model: past_key_values has {len(past_key_values)} layers, "
                             f"the model {len(self.h)}")
        if attention_mask is not None:
            attention_mask = jnp.asarray(attention_mask).reshape(batch_size, -1)
        if position_ids is None:
            if attention_mask is not None:
                position_ids = position_ids_from_mask(attention_mask, length)
            else:
                position_ids = jnp.arange(past_length, past_length + length)[None, :]
        else:
            position_ids = jnp.asarray(position_ids).reshape(-1, length)
        hidden_states = inputs_embeds + self.wpe(position_ids).astype(inputs_embeds.dtype)
        if token_type_ids is not None:
            hidden_states = hidden_states + self.wte(jnp.asarray(token_type_ids).reshape(-1, length))
        hidden_states = self.drop(hidden_states)
        mask = make_attention_mask(attention_mask, batch_size=batch_size, query_length=length,
                                   key_length=past_length + length, dtype=hidden_states.dtype, causal=True,
                                   past_length=past_length)

        all_hidden_states = () if output_hidden_states else None
        presents = () if use_cache else None
        for index, block in enumerate(self.h):
            if output_hidden_states:
                all_hidden_states += (hidden_states.reshape(*input_shape, -1),)
            past = past_key_values[index] if past_key_values is not None else None
            hidden_states, present = block(hidden_states, mask, past, use_cache)
            if use_cache:
                presents += (present,)
        hidden_states = self.ln_f(hidden_states).reshape(*input_shape, -1)
        if output_hidden_states:
            all_hidden_states += (hidden_states,)
        output = BaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents,
                                         hidden_states=all_hidden_states)
        return output if return_dict else output.to_tuple()


# -- heads -------------------------------------------------------------------------------------


def causal_lm_loss(logits: jax.Array, labels) -> jax.Array:
    """Next-token loss: logits at position t predict ``labels`` at t + 1 (-100 is ignored)."""
    labels = jnp.asarray(labels)
    return cross_entropy(logits[..., :-1, :], labels[..., 1:])


class FlaxGPT2LMHeadModel(CausalLMGeneration, FlaxGPT2PreTrainedModel):
    """GPT-2 with a language-modelling head ``lm_head`` tied to ``transformer.wte``."""

    tied_weights = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.transformer = FlaxGPT2Model(config, rngs=rngs)
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False, rngs=rngs,
                              initializer_range=config.initializer_range)
        self.post_init()

    def __call__(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
                 position_ids=None, inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None,
                 return_dict=None, logits_to_keep: int = 0):
        """``logits_to_keep > 0`` computes logits for the last that many positions only (decoding)."""
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        hidden_states = outputs.last_hidden_state
        if logits_to_keep:
            hidden_states = hidden_states[:, -logits_to_keep:]
        logits = self.lm_head(hidden_states)
        loss = causal_lm_loss(logits, labels) if labels is not None else None
        output = CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                        hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


class FlaxGPT2SequenceSummary(nnx.Module):
    """One vector per sequence (``config.summary_type``: last, first, mean or the token at
    ``cls_index``), then dropout, optional projection ``summary``, optional tanh, dropout."""

    def __init__(self, config: GPT2Config, *, rngs: nnx.Rngs):
        self.summary_type = config.summary_type
        self.summary = nnx.data(
            Linear(config.n_embd, config.summary_num_classes(), rngs=rngs, initializer_range=config.initializer_range)
            if config.summary_use_proj else None
        )
        self.use_tanh = config.summary_activation == "tanh"
        self.first_dropout = Dropout(config.summary_first_dropout, rngs=rngs)
        self.last_dropout = Dropout(config.extra_dropout("summary_last_dropout", 0.0), rngs=rngs)

    def __call__(self, hidden_states: jax.Array, cls_index=None) -> jax.Array:
        """``hidden_states`` [..., seq, hidden]; ``cls_index`` [...] (default: the last token)."""
        if self.summary_type == "last" or (self.summary_type == "cls_index" and cls_index is None):
            output = hidden_states[..., -1, :]
        elif self.summary_type == "first":
            output = hidden_states[..., 0, :]
        elif self.summary_type == "mean":
            output = hidden_states.mean(axis=-2)
        else:
            index = jnp.asarray(cls_index).astype(jnp.int32)[..., None, None]
            output = jnp.take_along_axis(hidden_states, index, axis=-2)[..., 0, :]
        output = self.first_dropout(output)
        if self.summary is not None:
            output = self.summary(output)
        if self.use_tanh:
            output = jnp.tanh(output)
        return self.last_dropout(output)


class FlaxGPT2DoubleHeadsModel(FlaxGPT2PreTrainedModel):
    """GPT-2 with the LM head and a multiple-choice head; sets ``config.num_labels = 1`` like
    Transformers. Inputs are [batch, num_choices, seq]; ``mc_token_ids`` [batch, num_choices]."""

    tied_weights = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config, *, rngs: nnx.Rngs):
        config.num_labels = 1
        super().__init__(config, rngs=rngs)
        self.transformer = FlaxGPT2Model(config, rngs=rngs)
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False, rngs=rngs,
                              initializer_range=config.initializer_range)
        self.multiple_choice_head = FlaxGPT2SequenceSummary(config, rngs=rngs)
        self.post_init()

    def __call__(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
                 position_ids=None, inputs_embeds=None, mc_token_ids=None, labels=None, mc_labels=None,
                 use_cache=None, output_hidden_states=None, return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        hidden_states = outputs.last_hidden_state
        lm_logits = self.lm_head(hidden_states)
        mc_logits = self.multiple_choice_head(hidden_states, mc_token_ids)[..., 0]
        mc_loss = cross_entropy(mc_logits, jnp.asarray(mc_labels)) if mc_labels is not None else None
        loss = causal_lm_loss(lm_logits, labels) if labels is not None else None
        output = GPT2DoubleHeadsModelOutput(loss=loss, mc_loss=mc_loss, logits=lm_logits, mc_logits=mc_logits,
                                            past_key_values=outputs.past_key_values,
                                            hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


def last_token_indices(input_ids, batch_size: int, sequence_length: int, pad_token_id: int | None,
                       model: str) -> jax.Array:
    """Index of each row's last non-padding token (rightmost token that is not ``pad_token_id``);
    the last position when padding cannot be seen."""
    if pad_token_id is None and batch_size != 1:
        raise ConfigError(f"{model}: config.pad_token_id is not set, so a batch of {batch_size} sequences "
                          "cannot be pooled at their last token; set pad_token_id")
    if pad_token_id is None or input_ids is None:
        return jnp.full((batch_size,), sequence_length - 1, dtype=jnp.int32)
    not_pad = (jnp.asarray(input_ids) != pad_token_id).astype(jnp.int32)
    positions = jnp.arange(sequence_length, dtype=jnp.int32)
    return jnp.argmax(positions[None, :] * not_pad, axis=-1)


class FlaxGPT2ForSequenceClassification(FlaxGPT2PreTrainedModel):
    """GPT-2 with a linear ``score`` (no bias) read at each sequence's last non-padding token."""

    def __init__(self, config: GPT2Config, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.transformer = FlaxGPT2Model(config, rngs=rngs)
        self.score = Linear(config.n_embd, config.num_labels, bias=False, rngs=rngs,
                            initializer_range=config.initializer_range)
        self.post_init()

    def __call__(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
                 position_ids=None, inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None,
                 return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.score(outputs.last_hidden_state)
        batch_size, sequence_length = logits.shape[:2]
        last = last_token_indices(input_ids, batch_size, sequence_length, self.config.pad_token_id,
                                  type(self).__name__)
        pooled_logits = logits[jnp.arange(batch_size), last]
        loss = sequence_classification_loss(pooled_logits, labels, self.config) if labels is not None else None
        output = SequenceClassifierOutputWithPast(loss=loss, logits=pooled_logits,
                                                  past_key_values=outputs.past_key_values,
                                                  hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


class FlaxGPT2ForTokenClassification(FlaxGPT2PreTrainedModel):
    """GPT-2 with dropout and a linear ``classifier`` on every token."""

    def __init__(self, config: GPT2Config, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.transformer = FlaxGPT2Model(config, rngs=rngs)
        rate = config.extra_dropout("classifier_dropout", config.extra_dropout("hidden_dropout", 0.1))
        self.dropout = Dropout(rate, rngs=rngs)
        self.classifier = Linear(config.n_embd, config.num_labels, rngs=rngs,
                                 initializer_range=config.initializer_range)
        self.post_init()

    def __call__(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
                 position_ids=None, inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None,
                 return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        loss = cross_entropy(logits, jnp.asarray(labels)) if labels is not None else None
        output = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()
