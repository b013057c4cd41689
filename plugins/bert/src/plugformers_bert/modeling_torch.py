"""BERT in PyTorch: embeddings, layer, encoder, pooler, then the heads.

The module tree mirrors Transformers' ``BertModel`` attribute by attribute, so parameter names
are the canonical checkpoint names (``bert.encoder.layer.0.attention.self.query.weight``).
``modeling_tf.py`` and ``modeling_flax.py`` are the same tree in the other frameworks.

The masked-LM ``decoder`` is tied (``config.tie_word_embeddings``, the default) to the word
embeddings, and its bias to ``cls.predictions.bias``, exactly as in Transformers: the state dict
lists both names, checkpoints hold the sources only.
"""

from __future__ import annotations

import torch
from torch import nn

from plugformers.outputs import (
    BaseModelOutputWithPoolingAndCrossAttentions,
    CausalLMOutputWithPast,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    NextSentencePredictorOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from plugformers_sdk.torch import (
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

from .configuration import BertConfig
from .outputs import BertForPreTrainingOutput

# -- embeddings --------------------------------------------------------------------------------


class BertEmbeddings(nn.Module):
    """Word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
                past_length: int = 0) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        batch, length = inputs_embeds.shape[:2]
        device = inputs_embeds.device
        if position_ids is None:
            position_ids = torch.arange(past_length, past_length + length, device=device)[None, :]
        if token_type_ids is None:
            token_type_ids = torch.zeros((batch, length), dtype=torch.long, device=device)
        embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


# -- one layer ---------------------------------------------------------------------------------


class BertSelfAttention(nn.Module):
    """Query/key/value projections and scaled dot-product attention (self- or cross-attention)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.query = Linear(config.hidden_size, config.hidden_size)
        self.key = Linear(config.hidden_size, config.hidden_size)
        self.value = Linear(config.hidden_size, config.hidden_size)
        self.dropout = Dropout(config.attention_probs_dropout_prob)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states, attention_mask=None, key_value_states=None, past_key_value=None):
        """Returns ``(context [b, s, hidden], (key, value))``; the key/value pair is the cache entry."""
        query = self._heads(self.query(hidden_states))
        if key_value_states is not None and past_key_value is not None:
            key, value = past_key_value  # cross-attention: the encoder's keys/values do not change
        else:
            source = hidden_states if key_value_states is None else key_value_states
            key, value = self._heads(self.key(source)), self._heads(self.value(source))
            if past_key_value is not None:
                key = torch.cat((past_key_value[0], key), dim=2)
                value = torch.cat((past_key_value[1], value), dim=2)
        context = scaled_dot_product_attention(query, key, value, attention_mask, dropout_p=self.dropout.p,
                                               training=self.training)
        context = context.transpose(1, 2).reshape(hidden_states.shape[0], hidden_states.shape[1], -1)
        return context, (key, value)


class BertSelfOutput(nn.Module):
    """Output projection of the attention block, dropout, residual and LayerNorm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nn.Module):
    """``self`` (the attention) followed by ``output`` (projection + residual + LayerNorm)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden_states, attention_mask=None, key_value_states=None, past_key_value=None):
        context, present = self.self(hidden_states, attention_mask, key_value_states, past_key_value)
        return self.output(context, hidden_states), present


class BertIntermediate(nn.Module):
    """The feed-forward up-projection and activation."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = get_activation(config.hidden_act)

    def forward(self, hidden_states):
        return activate(self.intermediate_act_fn, self.dense(hidden_states))


class BertOutput(nn.Module):
    """The feed-forward down-projection, dropout, residual and LayerNorm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nn.Module):
    """Self-attention, optional cross-attention (decoders), feed-forward."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        if config.add_cross_attention:
            self.crossattention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden_states, attention_mask=None, encoder_hidden_states=None,
                encoder_attention_mask=None, past_key_value=None):
        """Returns ``(hidden_states, present)``; ``present`` is (k, v) or (k, v, cross_k, cross_v)."""
        self_past = past_key_value[:2] if past_key_value is not None else None
        hidden_states, present = self.attention(hidden_states, attention_mask, past_key_value=self_past)
        if encoder_hidden_states is not None and hasattr(self, "crossattention"):
            cross_past = past_key_value[2:4] if past_key_value is not None and len(past_key_value) == 4 else None
            hidden_states, cross_present = self.crossattention(
                hidden_states, encoder_attention_mask, key_value_states=encoder_hidden_states,
                past_key_value=cross_past,
            )
            present = present + cross_present
        return self.output(self.intermediate(hidden_states), hidden_states), present


class BertEncoder(nn.Module):
    """The stack of ``num_hidden_layers`` layers."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
                past_key_values=None, use_cache=False, output_hidden_states=False):
        all_hidden = (hidden_states,) if output_hidden_states else None
        presents = () if use_cache else None
        for index, layer in enumerate(self.layer):
            past = past_key_values[index] if past_key_values is not None else None
            hidden_states, present = layer(hidden_states, attention_mask, encoder_hidden_states,
                                           encoder_attention_mask, past)
            if use_cache:
                presents = presents + (present,)
            if output_hidden_states:
                all_hidden = all_hidden + (hidden_states,)
        return hidden_states, presents, all_hidden


class BertPooler(nn.Module):
    """``tanh(dense(hidden of the first token))``."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states):
        return torch.tanh(self.dense(hidden_states[:, 0]))


# -- heads' building blocks ----------------------------------------------------------------------


class BertPredictionHeadTransform(nn.Module):
    """dense, activation, LayerNorm: the transform before the vocabulary projection."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = get_activation(config.hidden_act)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states):
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nn.Module):
    """Vocabulary logits from ``decoder``, whose weight and bias are tied to the word embeddings
    and to ``bias`` (see ``tied_weights``)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden_states):
        return self.decoder(self.transform(hidden_states))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, sequence_output):
        return self.predictions(sequence_output)


class BertOnlyNSPHead(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.seq_relationship = Linear(config.hidden_size, 2)

    def forward(self, pooled_output):
        return self.seq_relationship(pooled_output)


class BertPreTrainingHeads(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)
        self.seq_relationship = Linear(config.hidden_size, 2)

    def forward(self, sequence_output, pooled_output):
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)


# -- models ------------------------------------------------------------------------------------

_LM_TIED = {
    "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
    "cls.predictions.decoder.bias": "cls.predictions.bias",
}


class BertPreTrainedModel(PreTrainedModel):
    """Shared base of the BERT models: config class, ``bert.`` prefix, initialisation."""

    config_class = BertConfig
    base_model_prefix = "bert"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, BertLMPredictionHead):
            module.bias.zero_()

    def get_input_embeddings(self) -> nn.Module:
        return self.base_model.embeddings.word_embeddings


def _classifier_dropout(config: BertConfig) -> float:
    return config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob


def _finish(output, return_dict):
    return output if return_dict is None or return_dict else output.to_tuple()


class BertModel(BertPreTrainedModel):
    """The bare encoder (or decoder, with ``config.is_decoder``): hidden states and the pooled output."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__(config)
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None,
                past_key_values=None, use_cache=None, output_hidden_states=None, return_dict=None):
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("BertModel: give exactly one of input_ids and inputs_embeds")
        shape = input_ids.shape if input_ids is not None else inputs_embeds.shape[:2]
        batch, length = shape
        config = self.config
        use_cache = (config.use_cache if use_cache is None else use_cache) if config.is_decoder else False
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        past_length = past_key_values[0][0].shape[2] if past_key_values is not None else 0

        embeddings = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds, past_length)
        mask = make_attention_mask(attention_mask, batch_size=batch, query_length=length,
                                   key_length=past_length + length, dtype=embeddings.dtype,
                                   causal=config.is_decoder, past_length=past_length)
        cross_mask = None
        if encoder_hidden_states is not None and encoder_attention_mask is not None:
            cross_mask = make_attention_mask(encoder_attention_mask, batch_size=batch, query_length=length,
                                             key_length=encoder_hidden_states.shape[1], dtype=embeddings.dtype,
                                             causal=False)
        hidden, presents, all_hidden = self.encoder(embeddings, mask, encoder_hidden_states, cross_mask,
                                                    past_key_values, use_cache, output_hidden_states)
        pooled = self.pooler(hidden) if self.pooler is not None else None
        output = BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=hidden, pooler_output=pooled, hidden_states=all_hidden, past_key_values=presents,
        )
        return _finish(output, return_dict)


class BertForPreTraining(BertPreTrainedModel):
    """Masked-LM and next-sentence heads; the loss is their sum when both label sets are given."""

    tied_weights = _LM_TIED

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, next_sentence_label=None, output_hidden_states=None,
                return_dict=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        prediction_logits, relationship_logits = self.cls(outputs.last_hidden_state, outputs.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = cross_entropy(prediction_logits, labels) + cross_entropy(relationship_logits, next_sentence_label)
        output = BertForPreTrainingOutput(loss=loss, prediction_logits=prediction_logits,
                                          seq_relationship_logits=relationship_logits,
                                          hidden_states=outputs.hidden_states)
        return _finish(output, return_dict)


class BertLMHeadModel(BertPreTrainedModel):
    """Causal language modelling (``config.is_decoder``) with a key/value cache."""

    tied_weights = _LM_TIED
    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None, labels=None,
                past_key_values=None, use_cache=None, output_hidden_states=None, return_dict=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            encoder_hidden_states, encoder_attention_mask, past_key_values, use_cache,
                            output_hidden_states)
        logits = self.cls(outputs.last_hidden_state)
        loss = None
        if labels is not None:
            loss = cross_entropy(logits[:, :-1], labels[:, 1:])
        output = CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                        hidden_states=outputs.hidden_states)
        return _finish(output, return_dict)


class BertForMaskedLM(BertPreTrainedModel):
    """Masked language modelling: vocabulary logits at every position."""

    tied_weights = _LM_TIED
    ignore_on_load_unexpected = (r"^bert\.pooler\.", r"^cls\.seq_relationship\.")

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_hidden_states=None, return_dict=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.cls(outputs.last_hidden_state)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return _finish(MaskedLMOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states), return_dict)


class BertForNextSentencePrediction(BertPreTrainedModel):
    """Is sentence B the continuation of sentence A? Logits [b, 2] (index 0: yes)."""

    ignore_on_load_unexpected = (r"^cls\.predictions\.",)

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertOnlyNSPHead(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, next_sentence_label=None, output_hidden_states=None,
                return_dict=None):
        labels = next_sentence_label if labels is None else labels
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.cls(outputs.pooler_output)
        loss = cross_entropy(logits, labels) if labels is not None else None
        output = NextSentencePredictorOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)
        return _finish(output, return_dict)


class BertForSequenceClassification(BertPreTrainedModel):
    """Pooled output -> dropout -> ``classifier``; regression, single- or multi-label loss."""

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config)
        self.dropout = Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_hidden_states=None, return_dict=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.classifier(self.dropout(outputs.pooler_output))
        loss = sequence_classification_loss(logits, labels, self.config) if labels is not None else None
        return _finish(SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states),
                       return_dict)


def _flatten_choices(tensor):
    return None if tensor is None else tensor.reshape(-1, *tensor.shape[2:])


class BertForMultipleChoice(BertPreTrainedModel):
    """Inputs [b, choices, s]: one score per choice from the pooled output; logits [b, choices]."""

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config)
        self.dropout = Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, 1)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_hidden_states=None, return_dict=None):
        num_choices = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        outputs = self.bert(_flatten_choices(input_ids), _flatten_choices(attention_mask),
                            _flatten_choices(token_type_ids), _flatten_choices(position_ids),
                            _flatten_choices(inputs_embeds), output_hidden_states=output_hidden_states)
        logits = self.classifier(self.dropout(outputs.pooler_output)).reshape(-1, num_choices)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return _finish(MultipleChoiceModelOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states),
                       return_dict)


class BertForTokenClassification(BertPreTrainedModel):
    """One label per token: hidden states -> dropout -> ``classifier``."""

    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_hidden_states=None, return_dict=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        loss = cross_entropy(logits, labels) if labels is not None else None
        return _finish(TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states),
                       return_dict)


class BertForQuestionAnswering(BertPreTrainedModel):
    """Extractive QA: start and end logits per token from ``qa_outputs``."""

    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.qa_outputs = Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, start_positions=None, end_positions=None, output_hidden_states=None,
                return_dict=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.qa_outputs(outputs.last_hidden_state)
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        loss = None
        if start_positions is not None and end_positions is not None:
            # Positions outside the sequence are ignored (clamped to an index no token has).
            ignored = start_logits.shape[1]
            start = start_positions.reshape(-1).clamp(0, ignored)
            end = end_positions.reshape(-1).clamp(0, ignored)
            loss = (cross_entropy(start_logits, start, ignore_index=ignored)
                    + cross_entropy(end_logits, end, ignore_index=ignored)) / 2
        output = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                              hidden_states=outputs.hidden_states)
        return _finish(output, return_dict)
