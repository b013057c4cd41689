"""GPT-2 in PyTorch: attention, MLP, block, the stack, then the heads.

The module tree mirrors Transformers' ``GPT2Model`` attribute by attribute, so parameter names
are the canonical checkpoint names (``transformer.h.0.attn.c_attn.weight``). GPT-2 stores its
projections as "Conv1D" (weight ``[in, out]``) and fuses query, key and value into ``c_attn``.
``modeling_tf.py`` and ``modeling_flax.py`` are the same tree in the other frameworks.

Decoding: every model takes ``past_key_values`` (per layer ``(key, value)``, each
``[batch, heads, past_length, head_dim]``) and returns the extended ones when ``use_cache``.
``attention_mask`` covers past + current tokens; when ``position_ids`` is not given it is derived
from the mask (``cumsum - 1``), so a left-padded row numbers its real tokens from 0, as
Transformers' ``generate`` does for GPT-2.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from plugformers.errors import ConfigError
from plugformers.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)
from plugformers_sdk.generation import CausalLMGeneration, cached_length
from plugformers_sdk.torch import (
    Conv1D,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    PreTrainedModel,
    activate,
    cross_entropy,
    get_activation,
    make_attention_mask,
    scaled_dot_product_attention,
    sequence_classification_loss,
)

from .configuration import GPT2Config
from .outputs import GPT2DoubleHeadsModelOutput

PastKeyValues = tuple[tuple[torch.Tensor, torch.Tensor], ...]

# -- one block ---------------------------------------------------------------------------------


class GPT2Attention(nn.Module):
    """Causal self-attention with fused query/key/value projection ``c_attn`` and output ``c_proj``."""

    def __init__(self, config: GPT2Config, layer_idx: int):
        super().__init__()
        self.embed_dim = config.n_embd
        self.num_heads = config.n_head
        self.head_dim = config.head_dim
        self.scale = config.attention_scale(layer_idx)
        self.attn_pdrop = config.attn_pdrop
        self.c_attn = Conv1D(self.embed_dim, 3 * self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.c_proj.residual_projection = True  # scaled initialisation (see GPT2PreTrainedModel)
        self.resid_dropout = Dropout(config.resid_pdrop)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None,
                past_key_value: tuple[torch.Tensor, torch.Tensor] | None = None, use_cache: bool = False):
        query, key, value = self.c_attn(hidden_states).split(self.embed_dim, dim=-1)
        query, key, value = self._heads(query), self._heads(key), self._heads(value)
        if past_key_value is not None:
            key = torch.cat((past_key_value[0], key), dim=2)
            value = torch.cat((past_key_value[1], value), dim=2)
        attended = scaled_dot_product_attention(query, key, value, attention_mask, dropout_p=self.attn_pdrop,
                                                scale=self.scale, training=self.training)
        attended = attended.transpose(1, 2).reshape(hidden_states.shape[0], hidden_states.shape[1], self.embed_dim)
        output = self.resid_dropout(self.c_proj(attended))
        return output, ((key, value) if use_cache else None)


class GPT2MLP(nn.Module):
    """``c_proj(act(c_fc(x)))`` then dropout."""

    def __init__(self, config: GPT2Config):
        super().__init__()
        self.c_fc = Conv1D(config.n_embd, config.inner_size)
        self.c_proj = Conv1D(config.inner_size, config.n_embd)
        self.c_proj.residual_projection = True
        self.act = get_activation(config.activation_function)
        self.dropout = Dropout(config.resid_pdrop)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(activate(self.act, self.c_fc(hidden_states))))


class GPT2Block(nn.Module):
    """Pre-norm residual block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, config: GPT2Config, layer_idx: int):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer_idx)
        self.ln_2 = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(config)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None,
                past_key_value: tuple[torch.Tensor, torch.Tensor] | None = None, use_cache: bool = False):
        attended, present = self.attn(self.ln_1(hidden_states), attention_mask, past_key_value, use_cache)
        hidden_states = hidden_states + attended
        hidden_states = hidden_states + self.mlp(self.ln_2(hidden_states))
        return hidden_states, present


# -- base class and the stack ------------------------------------------------------------------


def _check_supported(config: GPT2Config) -> None:
    if config.add_cross_attention:
        raise ConfigError("GPT2Config.add_cross_attention=True (GPT-2 as a decoder with cross-attention) "
                          "is not supported")


def position_ids_from_mask(attention_mask: torch.Tensor, query_length: int) -> torch.Tensor:
    """Positions of the last ``query_length`` tokens: running count of attended tokens minus one
    (padding gets 1, as in Transformers' ``generate``). ``attention_mask`` is [b, past + query]."""
    positions = attention_mask.long().cumsum(-1) - 1
    positions = positions.masked_fill(attention_mask == 0, 1)
    return positions[:, positions.shape[1] - query_length:]


class GPT2PreTrainedModel(PreTrainedModel):
    """Shared by every GPT-2 model: config class, base-model prefix, ignored legacy tensors, init."""

    config_class = GPT2Config
    base_model_prefix = "transformer"
    # Old checkpoints carry the causal-mask buffers Transformers used to save.
    ignore_on_load_unexpected = (r"(^|\.)attn\.bias$", r"(^|\.)attn\.masked_bias$",
                                 r"(^|\.)crossattention\.bias$", r"(^|\.)crossattention\.masked_bias$")

    def _init_weights(self, module: nn.Module) -> None:
        """Transformers' init, plus GPT-2's residual projections scaled by ``1/sqrt(2 * n_layer)``."""
        super()._init_weights(module)
        if isinstance(module, Conv1D) and getattr(module, "residual_projection", False):
            module.weight.normal_(0.0, self.config.initializer_range / math.sqrt(2 * self.config.n_layer))


class GPT2Model(GPT2PreTrainedModel):
    """Token + position embeddings, ``n_layer`` blocks, final LayerNorm ``ln_f``."""

    def __init__(self, config: GPT2Config):
        super().__init__(config)
        _check_supported(config)
        self.wte = Embedding(config.vocab_size, config.n_embd)
        self.wpe = Embedding(config.n_positions, config.n_embd)
        self.drop = Dropout(config.embd_pdrop)
        self.h = nn.ModuleList([GPT2Block(config, i) for i in range(config.n_layer)])
        self.ln_f = LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.wte

    def forward(self, input_ids: torch.Tensor | None = None, past_key_values: PastKeyValues | None = None,
                attention_mask: torch.Tensor | None = None, token_type_ids: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, inputs_embeds: torch.Tensor | None = None,
                use_cache: bool | None = None, output_hidden_states: bool | None = None,
                return_dict: bool | None = None):
        """Inputs may have extra leading dimensions ([batch, choices, seq]); they are flattened
        into the batch and restored on ``last_hidden_state``."""
        config = self.config
        use_cache = config.use_cache if use_cache is None else use_cache
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        return_dict = config.return_dict if return_dict is None else return_dict
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("GPT2Model: pass exactly one of input_ids and inputs_embeds")
        if input_ids is not None:
            input_shape = tuple(input_ids.shape)
            inputs_embeds = self.wte(input_ids.reshape(-1, input_shape[-1]))
        else:
            input_shape = tuple(inputs_embeds.shape[:-1])
            inputs_embeds = inputs_embeds.reshape(-1, input_shape[-1], inputs_embeds.shape[-1])
        batch_size, length = inputs_embeds.shape[:2]
        past_length = cached_length(past_key_values)
        if past_key_values is not None and len(past_key_values) != len(self.h):
            raise ValueError(f"GPT2Model: past_key_values has {len(past_key_values)} layers, the model {len(self.h)}")
        if attention_mask is not None:
            attention_mask = attention_mask.reshape(batch_size, -1)
        if position_ids is None:
            if attention_mask is not None:
                position_ids = position_ids_from_mask(attention_mask, length)
            else:
                position_ids = torch.arange(past_length, past_length + length, device=inputs_embeds.device)[None, :]
        else:
            position_ids = position_ids.reshape(-1, length)
        hidden_states = inputs_embeds + self.wpe(position_ids)
        if token_type_ids is not None:
            hidden_states = hidden_states + self.wte(token_type_ids.reshape(-1, length))
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


def causal_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Next-token loss: logits at position t predict ``labels`` at t + 1 (-100 is ignored)."""
    return cross_entropy(logits[..., :-1, :], labels[..., 1:].to(logits.device))


class GPT2LMHeadModel(CausalLMGeneration, GPT2PreTrainedModel):
    """GPT-2 with a language-modelling head ``lm_head`` tied to ``transformer.wte``."""

    tied_weights = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config):
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False)
        self.post_init()

    def forward(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
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


class GPT2SequenceSummary(nn.Module):
    """One vector per sequence (``config.summary_type``: last, first, mean or the token at
    ``cls_index``), then dropout, optional projection ``summary``, optional tanh, dropout."""

    def __init__(self, config: GPT2Config):
        super().__init__()
        self.summary_type = config.summary_type
        self.summary = (Linear(config.n_embd, config.summary_num_classes()) if config.summary_use_proj
                        else nn.Identity())
        self.activation = nn.Tanh() if config.summary_activation == "tanh" else nn.Identity()
        self.first_dropout = Dropout(config.summary_first_dropout)
        self.last_dropout = Dropout(config.extra_dropout("summary_last_dropout", 0.0))

    def forward(self, hidden_states: torch.Tensor, cls_index: torch.Tensor | None = None) -> torch.Tensor:
        """``hidden_states`` [..., seq, hidden]; ``cls_index`` [...] (default: the last token)."""
        if self.summary_type == "last":
            output = hidden_states[..., -1, :]
        elif self.summary_type == "first":
            output = hidden_states[..., 0, :]
        elif self.summary_type == "mean":
            output = hidden_states.mean(dim=-2)
        elif cls_index is None:
            output = hidden_states[..., -1, :]
        else:
            index = cls_index.long()[..., None, None].expand(*cls_index.shape, 1, hidden_states.shape[-1])
            output = hidden_states.gather(-2, index).squeeze(-2)
        return self.last_dropout(self.activation(self.summary(self.first_dropout(output))))


class GPT2DoubleHeadsModel(GPT2PreTrainedModel):
    """GPT-2 with the LM head and a multiple-choice head (Radford et al.'s fine-tuning setup).

    Inputs are [batch, num_choices, seq]; ``mc_token_ids`` [batch, num_choices] says which token
    of each choice is summarised (default: the last). Like Transformers, it sets
    ``config.num_labels = 1``: the multiple-choice head scores each choice with one number.
    """

    tied_weights = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config):
        config.num_labels = 1
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False)
        self.multiple_choice_head = GPT2SequenceSummary(config)
        self.post_init()

    def forward(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, mc_token_ids=None, labels=None, mc_labels=None,
                use_cache=None, output_hidden_states=None, return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        hidden_states = outputs.last_hidden_state
        lm_logits = self.lm_head(hidden_states)
        mc_logits = self.multiple_choice_head(hidden_states, mc_token_ids).squeeze(-1)
        mc_loss = cross_entropy(mc_logits, mc_labels) if mc_labels is not None else None
        loss = causal_lm_loss(lm_logits, labels) if labels is not None else None
        output = GPT2DoubleHeadsModelOutput(loss=loss, mc_loss=mc_loss, logits=lm_logits, mc_logits=mc_logits,
                                            past_key_values=outputs.past_key_values,
                                            hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


def last_token_indices(input_ids: torch.Tensor | None, batch_size: int, sequence_length: int,
                       pad_token_id: int | None, model: str) -> torch.Tensor:
    """Index of each row's last non-padding token (the rightmost token that is not ``pad_token_id``,
    which handles left and right padding); the last position when padding cannot be seen."""
    if pad_token_id is None and batch_size != 1:
        raise ConfigError(f"{model}: config.pad_token_id is not set, so a batch of {batch_size} sequences "
                          "cannot be pooled at their last token; set pad_token_id")
    if pad_token_id is None or input_ids is None:
        return torch.full((batch_size,), sequence_length - 1, dtype=torch.long)
    not_pad = (input_ids != pad_token_id).long()
    positions = torch.arange(sequence_length, device=input_ids.device, dtype=torch.long)
    return (positions * not_pad).argmax(-1)


class GPT2ForSequenceClassification(GPT2PreTrainedModel):
    """GPT-2 with a linear ``score`` (no bias) read at each sequence's last non-padding token."""

    def __init__(self, config: GPT2Config):
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.score = Linear(config.n_embd, config.num_labels, bias=False)
        self.post_init()

    def forward(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
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
                                  type(self).__name__).to(logits.device)
        pooled_logits = logits[torch.arange(batch_size, device=logits.device), last]
        loss = sequence_classification_loss(pooled_logits, labels, self.config) if labels is not None else None
        output = SequenceClassifierOutputWithPast(loss=loss, logits=pooled_logits,
                                                  past_key_values=outputs.past_key_values,
                                                  hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


class GPT2ForTokenClassification(GPT2PreTrainedModel):
    """GPT-2 with dropout and a linear ``classifier`` on every token."""

    def __init__(self, config: GPT2Config):
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.dropout = Dropout(config.extra_dropout("classifier_dropout", config.extra_dropout("hidden_dropout", 0.1)))
        self.classifier = Linear(config.n_embd, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None,
                return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids, position_ids=position_ids,
                                   inputs_embeds=inputs_embeds, use_cache=use_cache,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        loss = cross_entropy(logits, labels) if labels is not None else None
        output = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()
