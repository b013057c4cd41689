"""The tiny test architecture in PyTorch: embeddings, layer, stack, then the heads.

Built only from ``plugformers_sdk.torch`` layers; its module tree is the canonical tree that
``modeling_tf.py`` and ``modeling_flax.py`` mirror attribute by attribute.
"""

from __future__ import annotations

import torch
from torch import nn

from plugformers.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    MultipleChoiceModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from plugformers_sdk.torch import (
    MLP,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    MultiHeadAttention,
    PreTrainedModel,
    cross_entropy,
    make_attention_mask,
    sequence_classification_loss,
)

from .configuration import TinyConfig


class TinyLayer(nn.Module):
    """Pre-norm: ``h + attn(norm(h))`` then ``h + mlp(norm(h))``."""

    def __init__(self, config: TinyConfig):
        super().__init__()
        self.attn_norm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.self_attn = MultiHeadAttention(config.hidden_size, config.num_attention_heads,
                                            num_key_value_heads=config.num_key_value_heads, dropout=config.dropout)
        self.mlp_norm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = MLP(config.hidden_size, config.intermediate_size, config.hidden_act, up_name="fc1", down_name="fc2")
        self.dropout = Dropout(config.dropout)

    def forward(self, hidden, mask, past_key_value=None, use_cache=False):
        attended, present = self.self_attn(self.attn_norm(hidden), mask, past_key_value=past_key_value,
                                           use_cache=use_cache)
        hidden = hidden + self.dropout(attended)
        return hidden + self.dropout(self.mlp(self.mlp_norm(hidden))), present


class TinyPreTrainedModel(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "model"

    def get_input_embeddings(self) -> nn.Module:
        return self.base_model.embed_tokens


class TinyModel(TinyPreTrainedModel):
    """Token + learned position embeddings, ``num_hidden_layers`` layers, a final LayerNorm."""

    def __init__(self, config: TinyConfig):
        super().__init__(config)
        self.embed_tokens = Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.embed_positions = Embedding(config.max_position_embeddings, config.hidden_size)
        self.dropout = Dropout(config.dropout)
        self.layers = nn.ModuleList(TinyLayer(config) for _ in range(config.num_hidden_layers))
        self.norm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=None,
                return_dict=None):
        batch, length = input_ids.shape
        use_cache = bool(self.config.use_cache if use_cache is None else use_cache) and self.config.is_decoder
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        positions = torch.arange(past, past + length, device=input_ids.device)[None, :] if position_ids is None \
            else position_ids
        hidden = self.dropout(self.embed_tokens(input_ids) + self.embed_positions(positions))
        mask = make_attention_mask(attention_mask, batch_size=batch, query_length=length, key_length=past + length,
                                   dtype=hidden.dtype, causal=self.config.is_decoder, past_length=past)
        presents = []
        for index, layer in enumerate(self.layers):
            layer_past = None if past_key_values is None else past_key_values[index]
            hidden, present = layer(hidden, mask, layer_past, use_cache)
            presents.append(present)
        return BaseModelOutputWithPast(last_hidden_state=self.norm(hidden),
                                       past_key_values=tuple(presents) if use_cache else None)


class TinyForSequenceClassification(TinyPreTrainedModel):
    """The first token's hidden state -> dropout -> ``score``."""

    def __init__(self, config: TinyConfig):
        super().__init__(config)
        self.model = TinyModel(config)
        self.dropout = Dropout(config.dropout)
        self.score = Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, labels=None):
        hidden = self.model(input_ids, attention_mask).last_hidden_state
        logits = self.score(self.dropout(hidden[:, 0]))
        loss = None if labels is None else sequence_classification_loss(logits, labels, self.config)
        return SequenceClassifierOutput(loss=loss, logits=logits)


class TinyForTokenClassification(TinyPreTrainedModel):
    """Every token's hidden state -> dropout -> ``classifier``."""

    def __init__(self, config: TinyConfig):
        super().__init__(config)
        self.model = TinyModel(config)
        self.dropout = Dropout(config.dropout)
        self.classifier = Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, labels=None):
        hidden = self.model(input_ids, attention_mask).last_hidden_state
        logits = self.classifier(self.dropout(hidden))
        loss = None if labels is None else cross_entropy(logits, labels)
        return TokenClassifierOutput(loss=loss, logits=logits)


class TinyForMultipleChoice(TinyPreTrainedModel):
    """Inputs [b, choices, s]; one score per choice from its first token; logits [b, choices]."""

    def __init__(self, config: TinyConfig):
        super().__init__(config)
        self.model = TinyModel(config)
        self.classifier = Linear(config.hidden_size, 1)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, labels=None):
        choices, length = input_ids.shape[1], input_ids.shape[2]
        flat_mask = None if attention_mask is None else attention_mask.reshape(-1, length)
        hidden = self.model(input_ids.reshape(-1, length), flat_mask).last_hidden_state
        logits = self.classifier(hidden[:, 0]).reshape(-1, choices)
        loss = None if labels is None else cross_entropy(logits, labels)
        return MultipleChoiceModelOutput(loss=loss, logits=logits)


class TinyForCausalLM(TinyPreTrainedModel):
    """Next-token logits through ``lm_head`` (tied to the token embeddings), with a KV cache."""

    tied_weights = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: TinyConfig):
        super().__init__(config)
        self.model = TinyModel(config)
        self.lm_head = Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=None,
                labels=None, return_dict=None):
        out = self.model(input_ids, attention_mask, position_ids, past_key_values, use_cache)
        logits = self.lm_head(out.last_hidden_state)
        loss = None if labels is None else cross_entropy(logits[:, :-1], labels[:, 1:])
        return CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=out.past_key_values)
