"""GPT-2 in TensorFlow (Keras 3): attention, MLP, block, the stack, then the heads.

The layer tree mirrors the PyTorch one (``modeling_torch.py``) attribute by attribute
(``transformer.h.0.attn.c_attn``), so checkpoints load by walking it. A tied LM head holds no
variable of its own: its logits are ``transformer.wte.attend(hidden)``.

Decoding works as in PyTorch: ``past_key_values`` in and out (per layer ``(key, value)`` of
``[batch, heads, past_length, head_dim]``), ``attention_mask`` over past + current tokens, and
``position_ids`` derived from the mask when not given. Nothing branches on a tensor's value, so
forward passes compile under ``tf.function(jit_compile=True)``.
"""

from __future__ import annotations

from plugformers.errors import ConfigError
from plugformers.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)
from plugformers_sdk.generation import CausalLMGeneration, cached_length
from plugformers_sdk.tf import (
    CanonicalLayer,
    Conv1D,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    PreTrainedModel,
    cross_entropy,
    get_activation,
    make_attention_mask,
    scaled_dot_product_attention,
    sequence_classification_loss,
    tf,
)

from .configuration import GPT2Config
from .outputs import GPT2DoubleHeadsModelOutput

# -- one block ---------------------------------------------------------------------------------


class TFGPT2Attention(CanonicalLayer):
    """Causal self-attention with fused query/key/value projection ``c_attn`` and output ``c_proj``."""

    def __init__(self, config: GPT2Config, layer_idx: int, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = config.n_embd
        self.num_heads = config.n_head
        self.head_dim = config.head_dim
        self.scale = config.attention_scale(layer_idx)
        self.attn_pdrop = config.attn_pdrop
        self.c_attn = Conv1D(self.embed_dim, 3 * self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.resid_dropout = Dropout(config.resid_pdrop)
        self.built = True

    def _heads(self, x):
        shape = tf.shape(x)
        x = tf.reshape(x, tf.stack([shape[0], shape[1], self.num_heads, self.head_dim]))
        return tf.transpose(x, (0, 2, 1, 3))

    def call(self, hidden_states, attention_mask=None, past_key_value=None, use_cache: bool = False,
             training: bool = False):
        query, key, value = tf.split(self.c_attn(hidden_states), 3, axis=-1)
        query, key, value = self._heads(query), self._heads(key), self._heads(value)
        if past_key_value is not None:
            key = tf.concat([tf.cast(past_key_value[0], key.dtype), key], axis=2)
            value = tf.concat([tf.cast(past_key_value[1], value.dtype), value], axis=2)
        attended = scaled_dot_product_attention(query, key, value, attention_mask, dropout_p=self.attn_pdrop,
                                                scale=self.scale, training=bool(training))
        shape = tf.shape(attended)
        attended = tf.reshape(tf.transpose(attended, (0, 2, 1, 3)), tf.stack([shape[0], shape[2], self.embed_dim]))
        output = self.resid_dropout(self.c_proj(attended), training=training)
        return output, ((key, value) if use_cache else None)


class TFGPT2MLP(CanonicalLayer):
    """``c_proj(act(c_fc(x)))`` then dropout."""

    def __init__(self, config: GPT2Config, **kwargs):
        super().__init__(**kwargs)
        self.c_fc = Conv1D(config.n_embd, config.inner_size)
        self.c_proj = Conv1D(config.inner_size, config.n_embd)
        self.act = get_activation(config.activation_function)
        self.dropout = Dropout(config.resid_pdrop)
        self.built = True

    def call(self, hidden_states, training: bool = False):
        return self.dropout(self.c_proj(self.act(self.c_fc(hidden_states))), training=training)


class TFGPT2Block(CanonicalLayer):
    """Pre-norm residual block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, config: GPT2Config, layer_idx: int, **kwargs):
        super().__init__(**kwargs)
        self.ln_1 = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = TFGPT2Attention(config, layer_idx)
        self.ln_2 = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = TFGPT2MLP(config)
        self.built = True

    def call(self, hidden_states, attention_mask=None, past_key_value=None, use_cache: bool = False,
             training: bool = False):
        attended, present = self.attn(self.ln_1(hidden_states), attention_mask=attention_mask,
                                      past_key_value=past_key_value, use_cache=use_cache, training=training)
        hidden_states = hidden_states + attended
        hidden_states = hidden_states + self.mlp(self.ln_2(hidden_states), training=training)
        return hidden_states, present


# -- base class and the stack ------------------------------------------------------------------


def position_ids_from_mask(attention_mask, query_length):
    """Positions of the last ``query_length`` tokens: running count of attended tokens minus one
    (padding gets 1, as in Transformers' ``generate``). ``attention_mask`` is [b, past + query]."""
    mask = tf.cast(attention_mask, tf.int32)
    positions = tf.cumsum(mask, axis=-1) - 1
    positions = tf.where(mask == 0, tf.ones_like(positions), positions)
    return positions[:, tf.shape(positions)[1] - query_length:]


class TFGPT2PreTrainedModel(PreTrainedModel):
    """Shared by every GPT-2 model: config class, base-model prefix, ignored legacy tensors."""

    config_class = GPT2Config
    base_model_prefix = "transformer"
    ignore_on_load_unexpected = (r"(^|\.)attn\.bias$", r"(^|\.)attn\.masked_bias$",
                                 r"(^|\.)crossattention\.bias$", r"(^|\.)crossattention\.masked_bias$")


class TFGPT2Model(TFGPT2PreTrainedModel):
    """Token + position embeddings, ``n_layer`` blocks, final LayerNorm ``ln_f``."""

    def __init__(self, config: GPT2Config, **kwargs):
        super().__init__(config, **kwargs)
        if config.add_cross_attention:
            raise ConfigError("GPT2Config.add_cross_attention=True (GPT-2 as a decoder with cross-attention) "
                              "is not supported")
        self.wte = Embedding(config.vocab_size, config.n_embd)
        self.wpe = Embedding(config.n_positions, config.n_embd)
        self.drop = Dropout(config.embd_pdrop)
        self.h = [TFGPT2Block(config, i) for i in range(config.n_layer)]
        self.ln_f = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)

    def get_input_embeddings(self):
        return self.wte

    def call(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
             position_ids=None, inputs_embeds=None, use_cache=None, output_hidden_states=None, return_dict=None,
             training: bool = False):
        """Inputs may have extra leading dimensions ([batch, choices, seq]); they are flattened
        into the batch and restored on ``last_hidden_state``."""
        config = self.config
        use_cache = config.use_cache if use_cache is None else use_cache
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        return_dict = config.return_dict if return_dict is None else return_dict
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("TFGPT2Model: pass exactly one of input_ids and inputs_embeds")
        if input_ids is not None:
            input_shape = tf.shape(input_ids)
            length = input_shape[-1]
            inputs_embeds = self.wte(tf.reshape(input_ids, tf.stack([-1, length])))
        else:
            input_shape = tf.shape(inputs_embeds)[:-1]
            length = input_shape[-1]
            inputs_embeds = tf.reshape(inputs_embeds, tf.stack([-1, length, tf.shape(inputs_embeds)[-1]]))
        output_shape = tf.concat([input_shape, [config.n_embd]], axis=0)
        batch_size = tf.shape(inputs_embeds)[0]
        past_length = cached_length(past_key_values)
        if past_key_values is not None and len(past_key_values) != len(self.h):
            raise ValueError(f"TFGPT2Model: past_key_values has {len(past_key_values)} layers, the model {len(self.h)}")
        if attention_mask is not None:
            attention_mask = tf.reshape(attention_mask, tf.stack([batch_size, -1]))
        if position_ids is None:
            if attention_mask is not None:
                position_ids = position_ids_from_mask(attention_mask, length)
            else:
                position_ids = tf.range(past_length, past_length + length)[None, :]
        else:
            position_ids = tf.reshape(position_ids, tf.stack([-1, length]))
        hidden_states = inputs_embeds + tf.cast(self.wpe(position_ids), inputs_embeds.dtype)
        if token_type_ids is not None:
            hidden_states = hidden_states + self.wte(tf.reshape(token_type_ids, tf.stack([-1, length])))
        hidden_states = self.drop(hidden_states, training=training)
        mask = make_attention_mask(attention_mask, batch_size=batch_size, query_length=length,
                                   key_length=past_length + length, dtype=hidden_states.dtype, causal=True,
                                   past_length=past_length)

        all_hidden_states = () if output_hidden_states else None
        presents = () if use_cache else None
        for index, block in enumerate(self.h):
            if output_hidden_states:
                all_hidden_states += (tf.reshape(hidden_states, output_shape),)
            past = past_key_values[index] if past_key_values is not None else None
            hidden_states, present = block(hidden_states, attention_mask=mask, past_key_value=past, use_cache=use_cache,
                                           training=training)
            if use_cache:
                presents += (present,)
        hidden_states = tf.reshape(self.ln_f(hidden_states), output_shape)
        if output_hidden_states:
            all_hidden_states += (hidden_states,)
        output = BaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents,
                                         hidden_states=all_hidden_states)
        return output if return_dict else output.to_tuple()


# -- heads -------------------------------------------------------------------------------------


def causal_lm_loss(logits, labels):
    """Next-token loss: logits at position t predict ``labels`` at t + 1 (-100 is ignored)."""
    return cross_entropy(logits[..., :-1, :], labels[..., 1:])


class TFGPT2LMHeadMixin:
    """The LM head: ``transformer.wte.attend`` when tied, else an own ``lm_head`` Linear."""

    def _build_lm_head(self, config: GPT2Config) -> None:
        self.lm_head = None if config.tie_word_embeddings else Linear(config.n_embd, config.vocab_size, bias=False)

    def lm_logits(self, hidden_states):
        if self.lm_head is None:
            return self.transformer.wte.attend(hidden_states)
        return self.lm_head(hidden_states)

    def get_output_embeddings(self):
        return self.transformer.wte if self.lm_head is None else self.lm_head


class TFGPT2LMHeadModel(CausalLMGeneration, TFGPT2LMHeadMixin, TFGPT2PreTrainedModel):
    """GPT-2 with a language-modelling head tied to ``transformer.wte`` (canonical ``lm_head.weight``)."""

    tied_weights = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config, **kwargs):
        super().__init__(config, **kwargs)
        self.transformer = TFGPT2Model(config)
        self._build_lm_head(config)

    def call(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
             position_ids=None, inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None,
             return_dict=None, logits_to_keep: int = 0, training: bool = False):
        """``logits_to_keep > 0`` computes logits for the last that many positions only (decoding)."""
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True, training=training)
        hidden_states = outputs.last_hidden_state
        if logits_to_keep:
            hidden_states = hidden_states[:, -logits_to_keep:]
        logits = self.lm_logits(hidden_states)
        loss = causal_lm_loss(logits, labels) if labels is not None else None
        output = CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                        hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


class TFGPT2SequenceSummary(CanonicalLayer):
    """One vector per sequence (``config.summary_type``: last, first, mean or the token at
    ``cls_index``), then dropout, optional projection ``summary``, optional tanh, dropout."""

    def __init__(self, config: GPT2Config, **kwargs):
        super().__init__(**kwargs)
        self.summary_type = config.summary_type
        self.summary = Linear(config.n_embd, config.summary_num_classes()) if config.summary_use_proj else None
        self.use_tanh = config.summary_activation == "tanh"
        self.first_dropout = Dropout(config.summary_first_dropout)
        self.last_dropout = Dropout(config.extra_dropout("summary_last_dropout", 0.0))
        self.built = True

    def call(self, hidden_states, cls_index=None, training: bool = False):
        """``hidden_states`` [b, choices, seq, hidden]; ``cls_index`` [b, choices] (default: last token)."""
        if self.summary_type == "last" or (self.summary_type == "cls_index" and cls_index is None):
            output = hidden_states[..., -1, :]
        elif self.summary_type == "first":
            output = hidden_states[..., 0, :]
        elif self.summary_type == "mean":
            output = tf.reduce_mean(hidden_states, axis=-2)
        else:
            cls_index = tf.cast(cls_index, tf.int32)
            output = tf.gather(hidden_states, cls_index, axis=-2, batch_dims=len(cls_index.shape))
        output = self.first_dropout(output, training=training)
        if self.summary is not None:
            output = self.summary(output)
        if self.use_tanh:
            output = tf.tanh(output)
        return self.last_dropout(output, training=training)


class TFGPT2DoubleHeadsModel(TFGPT2LMHeadMixin, TFGPT2PreTrainedModel):
    """GPT-2 with the LM head and a multiple-choice head; sets ``config.num_labels = 1`` like
    Transformers. Inputs are [batch, num_choices, seq]; ``mc_token_ids`` [batch, num_choices]."""

    tied_weights = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config, **kwargs):
        config.num_labels = 1
        super().__init__(config, **kwargs)
        self.transformer = TFGPT2Model(config)
        self._build_lm_head(config)
        self.multiple_choice_head = TFGPT2SequenceSummary(config)

    def call(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
             position_ids=None, inputs_embeds=None, mc_token_ids=None, labels=None, mc_labels=None,
             use_cache=None, output_hidden_states=None, return_dict=None, training: bool = False):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True, training=training)
        hidden_states = outputs.last_hidden_state
        lm_logits = self.lm_logits(hidden_states)
        mc_logits = tf.squeeze(self.multiple_choice_head(hidden_states, cls_index=mc_token_ids,
                                                             training=training), axis=-1)
        mc_loss = cross_entropy(mc_logits, mc_labels) if mc_labels is not None else None
        loss = causal_lm_loss(lm_logits, labels) if labels is not None else None
        output = GPT2DoubleHeadsModelOutput(loss=loss, mc_loss=mc_loss, logits=lm_logits, mc_logits=mc_logits,
                                            past_key_values=outputs.past_key_values,
                                            hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


def last_token_indices(input_ids, batch_size, sequence_length, pad_token_id: int | None, model: str):
    """Index of each row's last non-padding token (rightmost token that is not ``pad_token_id``);
    the last position when padding cannot be seen."""
    if pad_token_id is None and isinstance(batch_size, int) and batch_size != 1:
        raise ConfigError(f"{model}: config.pad_token_id is not set, so a batch of {batch_size} sequences "
                          "cannot be pooled at their last token; set pad_token_id")
    if pad_token_id is None or input_ids is None:
        return tf.fill(tf.stack([batch_size]), sequence_length - 1)
    not_pad = tf.cast(tf.not_equal(input_ids, pad_token_id), tf.int32)
    positions = tf.range(sequence_length, dtype=tf.int32)
    return tf.cast(tf.argmax(positions[None, :] * not_pad, axis=-1), tf.int32)


class TFGPT2ForSequenceClassification(TFGPT2PreTrainedModel):
    """GPT-2 with a linear ``score`` (no bias) read at each sequence's last non-padding token."""

    def __init__(self, config: GPT2Config, **kwargs):
        super().__init__(config, **kwargs)
        self.transformer = TFGPT2Model(config)
        self.score = Linear(config.n_embd, config.num_labels, bias=False)

    def call(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
             position_ids=None, inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None,
             return_dict=None, training: bool = False):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True, training=training)
        logits = self.score(outputs.last_hidden_state)
        static_batch = logits.shape[0]
        batch_size = static_batch if static_batch is not None else tf.shape(logits)[0]
        last = last_token_indices(input_ids, batch_size, tf.shape(logits)[1], self.config.pad_token_id,
                                  type(self).__name__)
        pooled_logits = tf.gather(logits, last, axis=1, batch_dims=1)
        loss = sequence_classification_loss(pooled_logits, labels, self.config) if labels is not None else None
        output = SequenceClassifierOutputWithPast(loss=loss, logits=pooled_logits,
                                                  past_key_values=outputs.past_key_values,
                                                  hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


class TFGPT2ForTokenClassification(TFGPT2PreTrainedModel):
    """GPT-2 with dropout and a linear ``classifier`` on every token."""

    def __init__(self, config: GPT2Config, **kwargs):
        super().__init__(config, **kwargs)
        self.transformer = TFGPT2Model(config)
        self.dropout = Dropout(config.extra_dropout("classifier_dropout", config.extra_dropout("hidden_dropout", 0.1)))
        self.classifier = Linear(config.n_embd, config.num_labels)

    def call(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
             position_ids=None, inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None,
             return_dict=None, training: bool = False):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True, training=training)
        logits = self.classifier(self.dropout(outputs.last_hidden_state, training=training))
        loss = cross_entropy(logits, labels) if labels is not None else None
        output = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


__all__ = [
    "TFGPT2PreTrainedModel", "TFGPT2Model", "TFGPT2LMHeadModel", "TFGPT2DoubleHeadsModel",
    "TFGPT2ForSequenceClassification", "TFGPT2ForTokenClassification",
]
