"""LLaMA in PyTorch: decoder layer, model, then the heads.

The module tree mirrors Transformers' ``LlamaModel`` attribute by attribute, so parameter names
are the canonical checkpoint names (``model.layers.0.self_attn.q_proj.weight``).
``modeling_tf.py`` and ``modeling_flax.py`` are the same tree in the other frameworks.

Decoding: ``past_key_values`` is a tuple with one ``(key, value)`` pair per layer, each
``[batch, kv_heads, past_length, head_dim]``; with ``use_cache`` the model returns the pairs
extended by the current tokens. ``attention_mask`` covers past + current tokens; when
``position_ids`` are not given they are counted from the mask (``cumsum - 1``), so left-padded
batches get the same positions as unpadded rows.
"""

from __future__ import annotations

import torch
from torch import nn

from plugformers.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)
from plugformers_sdk.generation import CausalLMGeneration
from plugformers_sdk.torch import (
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

from .configuration import LlamaConfig

PastKeyValues = tuple[tuple[torch.Tensor, torch.Tensor], ...]


def positions_from_mask(attention_mask: torch.Tensor | None, batch: int, length: int, past_length: int,
                        device: torch.device) -> torch.Tensor:
    """Position ids [b, length] of the current tokens: the running count of attended tokens minus
    one (padding does not advance it and gets 1, as in Transformers' ``generate``), or
    ``past_length + arange`` without a mask."""
    if attention_mask is None:
        return (torch.arange(length, device=device) + past_length)[None, :].expand(batch, length)
    mask = attention_mask.long()
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    return positions[:, -length:]


class LlamaDecoderLayer(nn.Module):
    """Pre-norm block: ``x + attn(norm(x))``, then ``x + mlp(norm(x))``."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(
            config.hidden_size, config.num_attention_heads, num_key_value_heads=config.num_key_value_heads,
            head_dim=config.head_dim, bias=config.attention_bias, dropout=config.attention_dropout,
        )
        self.mlp = GatedMLP(config.hidden_size, config.intermediate_size, activation=config.hidden_act,
                            bias=config.mlp_bias)
        self.input_layernorm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)

    def forward(self, hidden_states, attention_mask, position_embeddings, past_key_value=None, use_cache=False):
        attended, present = self.self_attn(
            self.input_layernorm(hidden_states), attention_mask, position_embeddings=position_embeddings,
            past_key_value=past_key_value, use_cache=use_cache,
        )
        hidden_states = hidden_states + attended
        hidden_states = hidden_states + self.mlp(self.post_attention_layernorm(hidden_states))
        return hidden_states, present


class LlamaPreTrainedModel(PreTrainedModel):
    """Shared settings of the LLaMA models."""

    config_class = LlamaConfig
    base_model_prefix = "model"

    def get_input_embeddings(self) -> nn.Module:
        return self.base_model.embed_tokens

    def get_output_embeddings(self) -> nn.Module | None:
        return getattr(self, "lm_head", None)


class LlamaModel(LlamaPreTrainedModel):
    """Token embeddings, the decoder layers and a final RMSNorm; returns the last hidden states."""

    def __init__(self, config: LlamaConfig):
        super().__init__(config)
        self.embed_tokens = Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.layers = nn.ModuleList([LlamaDecoderLayer(config) for _ in range(config.num_hidden_layers)])
        self.norm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(
            config.head_dim, max_position_embeddings=config.max_position_embeddings, base=config.rope_theta,
            rope_scaling=config.rope_scaling,
        )
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                inputs_embeds=None, use_cache=None, output_hidden_states=None, return_dict=None):
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("LlamaModel: give exactly one of input_ids or inputs_embeds")
        use_cache = self.config.use_cache if use_cache is None else use_cache
        output_hidden_states = self.config.output_hidden_states if output_hidden_states is None else output_hidden_states
        return_dict = self.config.return_dict if return_dict is None else return_dict
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        batch, length = inputs_embeds.shape[:2]
        if past_key_values is not None and len(past_key_values) != len(self.layers):
            raise ValueError(f"past_key_values has {len(past_key_values)} layers, the model {len(self.layers)}")
        past_length = past_key_values[0][0].shape[2] if past_key_values else 0
        if position_ids is None:
            position_ids = positions_from_mask(attention_mask, batch, length, past_length, inputs_embeds.device)
        mask = make_attention_mask(attention_mask, batch_size=batch, query_length=length,
                                   key_length=past_length + length, dtype=inputs_embeds.dtype, causal=True,
                                   past_length=past_length)
        position_embeddings = self.rotary_emb(position_ids, dtype=inputs_embeds.dtype)
        hidden_states = inputs_embeds
        all_hidden = [] if output_hidden_states else None
        presents = [] if use_cache else None
        for index, layer in enumerate(self.layers):
            if all_hidden is not None:
                all_hidden.append(hidden_states)
            past = past_key_values[index] if past_key_values else None
            hidden_states, present = layer(hidden_states, mask, position_embeddings, past, use_cache)
            if presents is not None:
                presents.append(present)
        hidden_states = self.norm(hidden_states)
        if all_hidden is not None:
            all_hidden.append(hidden_states)
        output = BaseModelOutputWithPast(
            last_hidden_state=hidden_states,
            past_key_values=tuple(presents) if presents is not None else None,
            hidden_states=tuple(all_hidden) if all_hidden is not None else None,
        )
        return output if return_dict else output.to_tuple()


class LlamaForCausalLM(CausalLMGeneration, LlamaPreTrainedModel):
    """LLaMA with a language-modelling head (tied to the token embeddings when configured)."""

    tied_weights = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: LlamaConfig):
        super().__init__(config)
        self.model = LlamaModel(config)
        self.lm_head = Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None, return_dict=None,
                logits_to_keep: int = 0):
        """``labels`` are the input ids (shifted inside: position t predicts token t+1; -100 is
        ignored). ``logits_to_keep=n`` computes logits for the last n positions only (0: all)."""
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.model(input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=use_cache,
                             output_hidden_states=output_hidden_states, return_dict=True)
        hidden = outputs.last_hidden_state
        logits = self.lm_head(hidden[:, -logits_to_keep:] if logits_to_keep else hidden)
        loss = None
        if labels is not None:
            loss = cross_entropy(logits[:, :-1], labels[:, 1:].to(logits.device))
        output = CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                        hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


class LlamaForSequenceClassification(LlamaPreTrainedModel):
    """Scores the last non-padding token of each row (``score``, no bias)."""

    def __init__(self, config: LlamaConfig):
        super().__init__(config)
        self.model = LlamaModel(config)
        self.score = Linear(config.hidden_size, config.num_labels, bias=False)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None, return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.model(input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=use_cache,
                             output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.score(outputs.last_hidden_state)
        batch = logits.shape[0]
        pad = self.config.pad_token_id
        if pad is None and batch != 1:
            raise ValueError("LlamaForSequenceClassification: batches of more than one row need config.pad_token_id")
        if pad is None or input_ids is None:
            last = torch.full((batch,), logits.shape[1] - 1, device=logits.device)
        else:  # the rightmost token that is not padding (left or right padding alike)
            keep = (input_ids != pad).to(logits.device, torch.int64)
            last = (torch.arange(input_ids.shape[-1], device=logits.device) * keep).argmax(-1)
        pooled = logits[torch.arange(batch, device=logits.device), last]
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


class LlamaForTokenClassification(LlamaPreTrainedModel):
    """A label per token (``score``, with bias unless ``token_classification_bias`` is false)."""

    def __init__(self, config: LlamaConfig):
        super().__init__(config)
        self.model = LlamaModel(config)
        self.dropout = Dropout(_classifier_dropout(config))
        self.score = Linear(config.hidden_size, config.num_labels,
                            bias=getattr(config, "token_classification_bias", True))
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                inputs_embeds=None, labels=None, use_cache=None, output_hidden_states=None, return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.model(input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=use_cache,
                             output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.score(self.dropout(outputs.last_hidden_state))
        loss = cross_entropy(logits, labels.to(logits.device)) if labels is not None else None
        output = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()


class LlamaForQuestionAnswering(LlamaPreTrainedModel):
    """Span start/end logits (``qa_outputs``). The base model is ``transformer``, as in Transformers."""

    base_model_prefix = "transformer"

    def __init__(self, config: LlamaConfig):
        super().__init__(config)
        self.transformer = LlamaModel(config)
        self.qa_outputs = Linear(config.hidden_size, 2)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                inputs_embeds=None, start_positions=None, end_positions=None, output_hidden_states=None,
                return_dict=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.transformer(input_ids, attention_mask=attention_mask, position_ids=position_ids,
                                   past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=False,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.qa_outputs(outputs.last_hidden_state)
        start_logits, end_logits = logits[..., 0].contiguous(), logits[..., 1].contiguous()
        loss = None
        if start_positions is not None and end_positions is not None:
            length = start_logits.shape[1]
            start = start_positions.reshape(-1).clamp(0, length)
            end = end_positions.reshape(-1).clamp(0, length)
            loss = (cross_entropy(start_logits, start, ignore_index=length)
                    + cross_entropy(end_logits, end, ignore_index=length)) / 2
        output = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                              hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()
