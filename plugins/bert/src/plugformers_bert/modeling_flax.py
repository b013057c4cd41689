"""BERT in Flax (NNX): the PyTorch module tree of ``modeling_torch.py``, module for module.

Every module has the attribute names of its PyTorch twin, so the SDK's canonical walk names each
parameter exactly as Transformers' PyTorch checkpoint does. A tied masked-LM decoder shares the
word-embedding table (``Linear.tie_to``) and so holds no weight of its own.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
from flax import nnx

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
from plugformers_sdk.flax import (
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
from plugformers_sdk.flax.canonical import find_layer

from .configuration import BertConfig
from .outputs import BertForPreTrainingOutput

register_model_output(BertForPreTrainingOutput)


def _linear(config: BertConfig, in_features: int, out_features: int, rngs: nnx.Rngs, bias: bool = True) -> Linear:
    return Linear(in_features, out_features, bias, rngs=rngs, initializer_range=config.initializer_range)


def _embedding(config: BertConfig, num: int, rngs: nnx.Rngs, padding_idx: int | None = None) -> Embedding:
    return Embedding(num, config.hidden_size, padding_idx, rngs=rngs, initializer_range=config.initializer_range)


# -- embeddings --------------------------------------------------------------------------------


class BertEmbeddings(nnx.Module):
    """Word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.word_embeddings = _embedding(config, config.vocab_size, rngs, padding_idx=config.pad_token_id)
        self.position_embeddings = _embedding(config, config.max_position_embeddings, rngs)
        self.token_type_embeddings = _embedding(config, config.type_vocab_size, rngs)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob, rngs=rngs)

    def __call__(self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
                 past_length: int = 0):
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        batch, length = inputs_embeds.shape[:2]
        if position_ids is None:
            position_ids = jnp.arange(past_length, past_length + length)[None, :]
        if token_type_ids is None:
            token_type_ids = jnp.zeros((batch, length), dtype=jnp.int32)
        embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


# -- one layer ---------------------------------------------------------------------------------


class BertSelfAttention(nnx.Module):
    """Query/key/value projections and scaled dot-product attention (self- or cross-attention)."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.query = _linear(config, config.hidden_size, config.hidden_size, rngs)
        self.key = _linear(config, config.hidden_size, config.hidden_size, rngs)
        self.value = _linear(config, config.hidden_size, config.hidden_size, rngs)
        self.dropout = Dropout(config.attention_probs_dropout_prob, rngs=rngs)

    def _heads(self, x):
        return x.reshape(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def __call__(self, hidden_states, attention_mask=None, key_value_states=None, past_key_value=None):
        query = self._heads(self.query(hidden_states))
        if key_value_states is not None and past_key_value is not None:
            key, value = past_key_value
        else:
            source = hidden_states if key_value_states is None else key_value_states
            key, value = self._heads(self.key(source)), self._heads(self.value(source))
            if past_key_value is not None:
                key = jnp.concatenate([past_key_value[0], key], axis=2)
                value = jnp.concatenate([past_key_value[1], value], axis=2)
        training = not self.dropout.deterministic
        rate = self.dropout.rate
        rng = self.dropout.rngs() if training and rate > 0.0 else None
        context = scaled_dot_product_attention(query, key, value, attention_mask, dropout_p=rate, training=training,
                                               dropout_rng=rng)
        context = context.transpose(0, 2, 1, 3).reshape(hidden_states.shape[0], hidden_states.shape[1], -1)
        return context, (key, value)


class BertSelfOutput(nnx.Module):
    """Output projection of the attention block, dropout, residual and LayerNorm."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.dense = _linear(config, config.hidden_size, config.hidden_size, rngs)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob, rngs=rngs)

    def __call__(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nnx.Module):
    """``self`` (the attention) followed by ``output`` (projection + residual + LayerNorm)."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.self = BertSelfAttention(config, rngs=rngs)
        self.output = BertSelfOutput(config, rngs=rngs)

    def __call__(self, hidden_states, attention_mask=None, key_value_states=None, past_key_value=None):
        context, present = self.self(hidden_states, attention_mask, key_value_states, past_key_value)
        return self.output(context, hidden_states), present


class BertIntermediate(nnx.Module):
    """The feed-forward up-projection and activation."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.dense = _linear(config, config.hidden_size, config.intermediate_size, rngs)
        self.intermediate_act_fn = get_activation(config.hidden_act)

    def __call__(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nnx.Module):
    """The feed-forward down-projection, dropout, residual and LayerNorm."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.dense = _linear(config, config.intermediate_size, config.hidden_size, rngs)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob, rngs=rngs)

    def __call__(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nnx.Module):
    """Self-attention, optional cross-attention (decoders), feed-forward."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.attention = BertAttention(config, rngs=rngs)
        self.crossattention = BertAttention(config, rngs=rngs) if config.add_cross_attention else None
        self.intermediate = BertIntermediate(config, rngs=rngs)
        self.output = BertOutput(config, rngs=rngs)

    def __call__(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
                 past_key_value=None):
        self_past = tuple(past_key_value[:2]) if past_key_value is not None else None
        hidden_states, present = self.attention(hidden_states, attention_mask, past_key_value=self_past)
        if encoder_hidden_states is not None and self.crossattention is not None:
            cross_past = tuple(past_key_value[2:4]) if past_key_value is not None and len(past_key_value) == 4 \
                else None
            hidden_states, cross_present = self.crossattention(
                hidden_states, encoder_attention_mask, key_value_states=encoder_hidden_states,
                past_key_value=cross_past,
            )
            present = present + cross_present
        return self.output(self.intermediate(hidden_states), hidden_states), present


class BertEncoder(nnx.Module):
    """The stack of ``num_hidden_layers`` layers."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.layer = nnx.List([BertLayer(config, rngs=rngs) for _ in range(config.num_hidden_layers)])

    def __call__(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
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


class BertPooler(nnx.Module):
    """``tanh(dense(hidden of the first token))``."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.dense = _linear(config, config.hidden_size, config.hidden_size, rngs)

    def __call__(self, hidden_states):
        return jnp.tanh(self.dense(hidden_states[:, 0]))


# -- heads' building blocks ----------------------------------------------------------------------


class BertPredictionHeadTransform(nnx.Module):
    """dense, activation, LayerNorm: the transform before the vocabulary projection."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.dense = _linear(config, config.hidden_size, config.hidden_size, rngs)
        self.transform_act_fn = get_activation(config.hidden_act)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def __call__(self, hidden_states):
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nnx.Module):
    """Vocabulary logits. Tied (``config.tie_word_embeddings``): ``decoder`` shares the word-embedding
    table and the vocabulary ``bias`` is added (Transformers ties the decoder's bias to it); untied:
    the ``decoder`` Linear with its own bias, as in Transformers, where ``bias`` is then unused."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.transform = BertPredictionHeadTransform(config, rngs=rngs)
        tied = config.tie_word_embeddings
        self.decoder = _linear(config, config.hidden_size, config.vocab_size, rngs, bias=not tied)
        self.bias = nnx.Param(jnp.zeros((config.vocab_size,), jnp.float32))

    def __call__(self, hidden_states):
        logits = self.decoder(self.transform(hidden_states))
        if self.decoder.bias is not None:
            return logits
        return logits + self.bias[...].astype(logits.dtype)


class BertOnlyMLMHead(nnx.Module):
    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.predictions = BertLMPredictionHead(config, rngs=rngs)

    def __call__(self, sequence_output):
        return self.predictions(sequence_output)


class BertOnlyNSPHead(nnx.Module):
    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.seq_relationship = _linear(config, config.hidden_size, 2, rngs)

    def __call__(self, pooled_output):
        return self.seq_relationship(pooled_output)


class BertPreTrainingHeads(nnx.Module):
    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        self.predictions = BertLMPredictionHead(config, rngs=rngs)
        self.seq_relationship = _linear(config, config.hidden_size, 2, rngs)

    def __call__(self, sequence_output, pooled_output):
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)


# -- models ------------------------------------------------------------------------------------

_LM_TIED = {
    "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
    "cls.predictions.decoder.bias": "cls.predictions.bias",
}
# The decoder's bias is tied by construction: a tied decoder has no bias and the head adds ``bias``.
_STRUCTURALLY_TIED = ("cls.predictions.decoder.bias",)


def _accepts_return_dict(call):
    """``return_dict=False`` returns the output's fields as a tuple (Transformers' convention)."""

    @functools.wraps(call)
    def wrapper(self, *args, return_dict=None, **kwargs):
        output = call(self, *args, **kwargs)
        return output if return_dict is None or return_dict else output.to_tuple()

    return wrapper


def _classifier_dropout(config: BertConfig) -> float:
    return config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob


class FlaxBertPreTrainedModel(PreTrainedModel):
    """Shared base of the Flax BERT models."""

    config_class = BertConfig
    base_model_prefix = "bert"

    def get_input_embeddings(self):
        base = self if isinstance(self, FlaxBertModel) else self.bert
        return base.embeddings.word_embeddings

    def tie_weights(self) -> None:
        """Tie the decoder to the word embeddings (``Linear.tie_to``). Its bias needs no tying: a
        tied decoder is built without one (the SDK can only tie a Linear to an Embedding)."""
        for target, source in self.active_tied_weights().items():
            if target in _STRUCTURALLY_TIED:
                continue
            decoder, embedding = find_layer(self, target)[0], find_layer(self, source)[0]
            if decoder.tied_embedding is not embedding:
                decoder.tie_to(embedding)


class FlaxBertModel(FlaxBertPreTrainedModel):
    """The bare encoder (or decoder, with ``config.is_decoder``): hidden states and the pooled output."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.embeddings = BertEmbeddings(config, rngs=rngs)
        self.encoder = BertEncoder(config, rngs=rngs)
        self.pooler = BertPooler(config, rngs=rngs) if add_pooling_layer else None
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None, past_key_values=None,
                 use_cache=None, output_hidden_states=None):
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("FlaxBertModel: give exactly one of input_ids and inputs_embeds")
        batch, length = (input_ids.shape if input_ids is not None else inputs_embeds.shape[:2])
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
        return BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=hidden, pooler_output=pooled, hidden_states=all_hidden, past_key_values=presents,
        )


class FlaxBertForPreTraining(FlaxBertPreTrainedModel):
    """Masked-LM and next-sentence heads; the loss is their sum when both label sets are given."""

    tied_weights = _LM_TIED

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.bert = FlaxBertModel(config, rngs=rngs)
        self.cls = BertPreTrainingHeads(config, rngs=rngs)
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, labels=None, next_sentence_label=None, output_hidden_states=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        prediction_logits, relationship_logits = self.cls(outputs.last_hidden_state, outputs.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = cross_entropy(prediction_logits, labels) + cross_entropy(relationship_logits, next_sentence_label)
        return BertForPreTrainingOutput(loss=loss, prediction_logits=prediction_logits,
                                        seq_relationship_logits=relationship_logits,
                                        hidden_states=outputs.hidden_states)


class FlaxBertLMHeadModel(FlaxBertPreTrainedModel):
    """Causal language modelling (``config.is_decoder``) with a key/value cache."""

    tied_weights = _LM_TIED
    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.bert = FlaxBertModel(config, add_pooling_layer=False, rngs=rngs)
        self.cls = BertOnlyMLMHead(config, rngs=rngs)
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None, labels=None,
                 past_key_values=None, use_cache=None, output_hidden_states=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            encoder_hidden_states, encoder_attention_mask, past_key_values, use_cache,
                            output_hidden_states)
        logits = self.cls(outputs.last_hidden_state)
        loss = cross_entropy(logits[:, :-1], labels[:, 1:]) if labels is not None else None
        return CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                      hidden_states=outputs.hidden_states)


class FlaxBertForMaskedLM(FlaxBertPreTrainedModel):
    """Masked language modelling: vocabulary logits at every position."""

    tied_weights = _LM_TIED
    ignore_on_load_unexpected = (r"^bert\.pooler\.", r"^cls\.seq_relationship\.")

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.bert = FlaxBertModel(config, add_pooling_layer=False, rngs=rngs)
        self.cls = BertOnlyMLMHead(config, rngs=rngs)
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, labels=None, output_hidden_states=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.cls(outputs.last_hidden_state)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


class FlaxBertForNextSentencePrediction(FlaxBertPreTrainedModel):
    """Is sentence B the continuation of sentence A? Logits [b, 2] (index 0: yes)."""

    ignore_on_load_unexpected = (r"^cls\.predictions\.",)

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.bert = FlaxBertModel(config, rngs=rngs)
        self.cls = BertOnlyNSPHead(config, rngs=rngs)
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, labels=None, next_sentence_label=None, output_hidden_states=None):
        labels = next_sentence_label if labels is None else labels
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.cls(outputs.pooler_output)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return NextSentencePredictorOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


class FlaxBertForSequenceClassification(FlaxBertPreTrainedModel):
    """Pooled output -> dropout -> ``classifier``; regression, single- or multi-label loss."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.bert = FlaxBertModel(config, rngs=rngs)
        self.dropout = Dropout(_classifier_dropout(config), rngs=rngs)
        self.classifier = _linear(config, config.hidden_size, config.num_labels, rngs)
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, labels=None, output_hidden_states=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.classifier(self.dropout(outputs.pooler_output))
        loss = sequence_classification_loss(logits, labels, self.config) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


def _flatten_choices(array):
    return None if array is None else array.reshape(-1, *array.shape[2:])


class FlaxBertForMultipleChoice(FlaxBertPreTrainedModel):
    """Inputs [b, choices, s]: one score per choice from the pooled output; logits [b, choices]."""

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.bert = FlaxBertModel(config, rngs=rngs)
        self.dropout = Dropout(_classifier_dropout(config), rngs=rngs)
        self.classifier = _linear(config, config.hidden_size, 1, rngs)
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, labels=None, output_hidden_states=None):
        num_choices = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        outputs = self.bert(_flatten_choices(input_ids), _flatten_choices(attention_mask),
                            _flatten_choices(token_type_ids), _flatten_choices(position_ids),
                            _flatten_choices(inputs_embeds), output_hidden_states=output_hidden_states)
        logits = self.classifier(self.dropout(outputs.pooler_output)).reshape(-1, num_choices)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return MultipleChoiceModelOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


class FlaxBertForTokenClassification(FlaxBertPreTrainedModel):
    """One label per token: hidden states -> dropout -> ``classifier``."""

    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.bert = FlaxBertModel(config, add_pooling_layer=False, rngs=rngs)
        self.dropout = Dropout(_classifier_dropout(config), rngs=rngs)
        self.classifier = _linear(config, config.hidden_size, config.num_labels, rngs)
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, labels=None, output_hidden_states=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        loss = cross_entropy(logits, labels) if labels is not None else None
        return TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


class FlaxBertForQuestionAnswering(FlaxBertPreTrainedModel):
    """Extractive QA: start and end logits per token from ``qa_outputs``."""

    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig, *, rngs: nnx.Rngs):
        super().__init__(config, rngs=rngs)
        self.bert = FlaxBertModel(config, add_pooling_layer=False, rngs=rngs)
        self.qa_outputs = _linear(config, config.hidden_size, config.num_labels, rngs)
        self.post_init()

    @_accepts_return_dict
    def __call__(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, start_positions=None, end_positions=None, output_hidden_states=None):
        outputs = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                            output_hidden_states=output_hidden_states)
        logits = self.qa_outputs(outputs.last_hidden_state)
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        loss = None
        if start_positions is not None and end_positions is not None:
            # Positions outside the sequence are ignored (clamped to an index no token has).
            ignored = start_logits.shape[1]
            start = jnp.clip(jnp.asarray(start_positions).reshape(-1), 0, ignored)
            end = jnp.clip(jnp.asarray(end_positions).reshape(-1), 0, ignored)
            loss = (cross_entropy(start_logits, start, ignore_index=ignored)
                    + cross_entropy(end_logits, end, ignore_index=ignored)) / 2
        return QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                            hidden_states=outputs.hidden_states)

