"""BERT in TensorFlow (Keras 3): the PyTorch module tree of ``modeling_torch.py``, layer for layer.

Every layer has the attribute names of its PyTorch twin, so the canonical walk of the SDK names
each variable exactly as Transformers' PyTorch checkpoint does. A tied masked-LM head holds no
decoder variable: it projects with the word-embedding table (``Embedding.attend``).
"""

from __future__ import annotations

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
from plugformers_sdk.tf import (
    CanonicalLayer,
    CanonicalTensor,
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
from plugformers_sdk.tf.initialization import zeros_initializer

from .configuration import BertConfig
from .outputs import BertForPreTrainingOutput


def _length(x, axis: int = 1):
    static = x.shape[axis]
    return static if static is not None else tf.shape(x)[axis]


# -- embeddings --------------------------------------------------------------------------------


class BertEmbeddings(CanonicalLayer):
    """Word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.word_embeddings = Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)
        self.built = True

    def call(self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None, past_length=0,
             training=False):
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        length = _length(inputs_embeds)
        if position_ids is None:
            position_ids = tf.range(past_length, past_length + length)[None, :]
        if token_type_ids is None:
            token_type_ids = tf.zeros(tf.shape(inputs_embeds)[:2], dtype=tf.int32)
        embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings), training=training)


# -- one layer ---------------------------------------------------------------------------------


class BertSelfAttention(CanonicalLayer):
    """Query/key/value projections and scaled dot-product attention (self- or cross-attention)."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.query = Linear(config.hidden_size, config.hidden_size)
        self.key = Linear(config.hidden_size, config.hidden_size)
        self.value = Linear(config.hidden_size, config.hidden_size)
        self.dropout = Dropout(config.attention_probs_dropout_prob)
        self.built = True

    def _heads(self, x):
        shape = tf.shape(x)
        return tf.transpose(tf.reshape(x, tf.stack([shape[0], shape[1], self.num_heads, self.head_dim])), (0, 2, 1, 3))

    def call(self, hidden_states, attention_mask=None, key_value_states=None, past_key_value=None, training=False):
        query = self._heads(self.query(hidden_states))
        if key_value_states is not None and past_key_value is not None:
            key, value = past_key_value
        else:
            source = hidden_states if key_value_states is None else key_value_states
            key, value = self._heads(self.key(source)), self._heads(self.value(source))
            if past_key_value is not None:
                key = tf.concat([past_key_value[0], key], axis=2)
                value = tf.concat([past_key_value[1], value], axis=2)
        context = scaled_dot_product_attention(query, key, value, attention_mask, dropout_p=self.dropout.p,
                                               training=bool(training),
                                               seed=getattr(self.dropout, "seed_generator", None))
        shape = tf.shape(hidden_states)
        context = tf.reshape(tf.transpose(context, (0, 2, 1, 3)), tf.stack([shape[0], shape[1], -1]))
        return context, (key, value)


class BertSelfOutput(CanonicalLayer):
    """Output projection of the attention block, dropout, residual and LayerNorm."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)
        self.built = True

    def call(self, hidden_states, input_tensor, training=False):
        return self.LayerNorm(self.dropout(self.dense(hidden_states), training=training) + input_tensor)


class BertAttention(CanonicalLayer):
    """``self`` (the attention) followed by ``output`` (projection + residual + LayerNorm)."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)
        self.built = True

    def call(self, hidden_states, attention_mask=None, key_value_states=None, past_key_value=None, training=False):
        context, present = self.self(hidden_states, attention_mask=attention_mask, key_value_states=key_value_states,
                                     past_key_value=past_key_value, training=training)
        return self.output(context, hidden_states, training=training), present


class BertIntermediate(CanonicalLayer):
    """The feed-forward up-projection and activation."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.dense = Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = get_activation(config.hidden_act)
        self.built = True

    def call(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(CanonicalLayer):
    """The feed-forward down-projection, dropout, residual and LayerNorm."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.dense = Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)
        self.built = True

    def call(self, hidden_states, input_tensor, training=False):
        return self.LayerNorm(self.dropout(self.dense(hidden_states), training=training) + input_tensor)


class BertLayer(CanonicalLayer):
    """Self-attention, optional cross-attention (decoders), feed-forward."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.attention = BertAttention(config)
        self.crossattention = BertAttention(config) if config.add_cross_attention else None
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)
        self.built = True

    def call(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
             past_key_value=None, training=False):
        self_past = tuple(past_key_value[:2]) if past_key_value is not None else None
        hidden_states, present = self.attention(hidden_states, attention_mask=attention_mask, past_key_value=self_past,
                                                training=training)
        if encoder_hidden_states is not None and self.crossattention is not None:
            cross_past = tuple(past_key_value[2:4]) if past_key_value is not None and len(past_key_value) == 4 \
                else None
            hidden_states, cross_present = self.crossattention(
                hidden_states, attention_mask=encoder_attention_mask, key_value_states=encoder_hidden_states,
                past_key_value=cross_past, training=training,
            )
            present = tuple(present) + tuple(cross_present)
        return self.output(self.intermediate(hidden_states), hidden_states, training=training), tuple(present)


class BertEncoder(CanonicalLayer):
    """The stack of ``num_hidden_layers`` layers."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.layer = [BertLayer(config) for _ in range(config.num_hidden_layers)]
        self.built = True

    def call(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
             past_key_values=None, use_cache=False, output_hidden_states=False, training=False):
        all_hidden = (hidden_states,) if output_hidden_states else None
        presents = () if use_cache else None
        for index, layer in enumerate(self.layer):
            past = past_key_values[index] if past_key_values is not None else None
            hidden_states, present = layer(hidden_states, attention_mask=attention_mask,
                                           encoder_hidden_states=encoder_hidden_states,
                                           encoder_attention_mask=encoder_attention_mask, past_key_value=past,
                                           training=training)
            if use_cache:
                presents = presents + (present,)
            if output_hidden_states:
                all_hidden = all_hidden + (hidden_states,)
        return hidden_states, presents, all_hidden


class BertPooler(CanonicalLayer):
    """``tanh(dense(hidden of the first token))``."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.built = True

    def call(self, hidden_states):
        return tf.tanh(self.dense(hidden_states[:, 0]))


# -- heads' building blocks ----------------------------------------------------------------------


class BertPredictionHeadTransform(CanonicalLayer):
    """dense, activation, LayerNorm: the transform before the vocabulary projection."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = get_activation(config.hidden_act)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.built = True

    def call(self, hidden_states):
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(CanonicalLayer):
    """Vocabulary logits. Tied (``config.tie_word_embeddings``): the word-embedding table plus
    ``bias``, with no ``decoder`` variables; untied: the ``decoder`` Linear (weight and bias), as in
    Transformers, where ``bias`` is then unused."""

    def __init__(self, config: BertConfig, input_embeddings: Embedding, **kwargs):
        super().__init__(**kwargs)
        self.transform = BertPredictionHeadTransform(config)
        if config.tie_word_embeddings:
            self.decoder = None
            self._input_embeddings = input_embeddings  # not walked: its table is saved under bert.embeddings
        else:
            self.decoder = Linear(config.hidden_size, config.vocab_size)
        self.bias = self.add_weight(shape=(config.vocab_size,), initializer=zeros_initializer(), name="bias")
        self.built = True

    def canonical_tensors(self):
        return {"bias": CanonicalTensor(self.bias, init="zeros")}

    def call(self, hidden_states):
        hidden_states = self.transform(hidden_states)
        if self.decoder is None:
            return self._input_embeddings.attend(hidden_states) + self.bias
        return self.decoder(hidden_states)


class BertOnlyMLMHead(CanonicalLayer):
    def __init__(self, config: BertConfig, input_embeddings: Embedding, **kwargs):
        super().__init__(**kwargs)
        self.predictions = BertLMPredictionHead(config, input_embeddings)
        self.built = True

    def call(self, sequence_output):
        return self.predictions(sequence_output)


class BertOnlyNSPHead(CanonicalLayer):
    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(**kwargs)
        self.seq_relationship = Linear(config.hidden_size, 2)
        self.built = True

    def call(self, pooled_output):
        return self.seq_relationship(pooled_output)


class BertPreTrainingHeads(CanonicalLayer):
    def __init__(self, config: BertConfig, input_embeddings: Embedding, **kwargs):
        super().__init__(**kwargs)
        self.predictions = BertLMPredictionHead(config, input_embeddings)
        self.seq_relationship = Linear(config.hidden_size, 2)
        self.built = True

    def call(self, sequence_output, pooled_output):
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)


# -- models ------------------------------------------------------------------------------------

_LM_TIED = {
    "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
    "cls.predictions.decoder.bias": "cls.predictions.bias",
}


def _classifier_dropout(config: BertConfig) -> float:
    return config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob


class TFBertPreTrainedModel(PreTrainedModel):
    """Shared base of the TensorFlow BERT models."""

    config_class = BertConfig
    base_model_prefix = "bert"

    def get_input_embeddings(self):
        base = self if isinstance(self, TFBertModel) else self.bert
        return base.embeddings.word_embeddings

    def __call__(self, *args, return_dict=None, **kwargs):
        """``return_dict=False`` returns the output's fields as a tuple (Transformers' convention)."""
        output = super().__call__(*args, **kwargs)
        return output if return_dict is None or return_dict else output.to_tuple()


class TFBertModel(TFBertPreTrainedModel):
    """The bare encoder (or decoder, with ``config.is_decoder``): hidden states and the pooled output."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True, **kwargs):
        super().__init__(config, **kwargs)
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             encoder_hidden_states=None, encoder_attention_mask=None, past_key_values=None, use_cache=None,
             output_hidden_states=None, training=False):
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("TFBertModel: give exactly one of input_ids and inputs_embeds")
        reference = input_ids if input_ids is not None else inputs_embeds
        batch, length = tf.shape(reference)[0], _length(reference)
        config = self.config
        use_cache = (config.use_cache if use_cache is None else use_cache) if config.is_decoder else False
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        past_length = _length(past_key_values[0][0], 2) if past_key_values is not None else 0

        embeddings = self.embeddings(input_ids=input_ids, token_type_ids=token_type_ids, position_ids=position_ids,
                                     inputs_embeds=inputs_embeds, past_length=past_length, training=training)
        mask = make_attention_mask(attention_mask, batch_size=batch, query_length=length,
                                   key_length=past_length + length, dtype=embeddings.dtype,
                                   causal=config.is_decoder, past_length=past_length)
        cross_mask = None
        if encoder_hidden_states is not None and encoder_attention_mask is not None:
            cross_mask = make_attention_mask(encoder_attention_mask, batch_size=batch, query_length=length,
                                             key_length=_length(encoder_hidden_states), dtype=embeddings.dtype,
                                             causal=False)
        hidden, presents, all_hidden = self.encoder(
            embeddings, attention_mask=mask, encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=cross_mask, past_key_values=past_key_values, use_cache=use_cache,
            output_hidden_states=output_hidden_states, training=training,
        )
        pooled = self.pooler(hidden) if self.pooler is not None else None
        return BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=hidden, pooler_output=pooled, hidden_states=all_hidden, past_key_values=presents,
        )


class TFBertForPreTraining(TFBertPreTrainedModel):
    """Masked-LM and next-sentence heads; the loss is their sum when both label sets are given."""

    tied_weights = _LM_TIED

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = TFBertModel(config)
        self.cls = BertPreTrainingHeads(config, self.bert.embeddings.word_embeddings)
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             labels=None, next_sentence_label=None, output_hidden_states=None, training=False):
        outputs = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            position_ids=position_ids, inputs_embeds=inputs_embeds,
                            output_hidden_states=output_hidden_states, training=training)
        prediction_logits, relationship_logits = self.cls(outputs.last_hidden_state, outputs.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = cross_entropy(prediction_logits, labels) + cross_entropy(relationship_logits, next_sentence_label)
        return BertForPreTrainingOutput(loss=loss, prediction_logits=prediction_logits,
                                        seq_relationship_logits=relationship_logits,
                                        hidden_states=outputs.hidden_states)


class TFBertLMHeadModel(TFBertPreTrainedModel):
    """Causal language modelling (``config.is_decoder``) with a key/value cache."""

    tied_weights = _LM_TIED
    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = TFBertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config, self.bert.embeddings.word_embeddings)
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             encoder_hidden_states=None, encoder_attention_mask=None, labels=None, past_key_values=None,
             use_cache=None, output_hidden_states=None, training=False):
        outputs = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            position_ids=position_ids, inputs_embeds=inputs_embeds,
                            encoder_hidden_states=encoder_hidden_states,
                            encoder_attention_mask=encoder_attention_mask, past_key_values=past_key_values,
                            use_cache=use_cache, output_hidden_states=output_hidden_states, training=training)
        logits = self.cls(outputs.last_hidden_state)
        loss = cross_entropy(logits[:, :-1], labels[:, 1:]) if labels is not None else None
        return CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                      hidden_states=outputs.hidden_states)


class TFBertForMaskedLM(TFBertPreTrainedModel):
    """Masked language modelling: vocabulary logits at every position."""

    tied_weights = _LM_TIED
    ignore_on_load_unexpected = (r"^bert\.pooler\.", r"^cls\.seq_relationship\.")

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = TFBertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config, self.bert.embeddings.word_embeddings)
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             labels=None, output_hidden_states=None, training=False):
        outputs = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            position_ids=position_ids, inputs_embeds=inputs_embeds,
                            output_hidden_states=output_hidden_states, training=training)
        logits = self.cls(outputs.last_hidden_state)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


class TFBertForNextSentencePrediction(TFBertPreTrainedModel):
    """Is sentence B the continuation of sentence A? Logits [b, 2] (index 0: yes)."""

    ignore_on_load_unexpected = (r"^cls\.predictions\.",)

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = TFBertModel(config)
        self.cls = BertOnlyNSPHead(config)
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             labels=None, next_sentence_label=None, output_hidden_states=None, training=False):
        labels = next_sentence_label if labels is None else labels
        outputs = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            position_ids=position_ids, inputs_embeds=inputs_embeds,
                            output_hidden_states=output_hidden_states, training=training)
        logits = self.cls(outputs.pooler_output)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return NextSentencePredictorOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


class TFBertForSequenceClassification(TFBertPreTrainedModel):
    """Pooled output -> dropout -> ``classifier``; regression, single- or multi-label loss."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = TFBertModel(config)
        self.dropout = Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, config.num_labels)
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             labels=None, output_hidden_states=None, training=False):
        outputs = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            position_ids=position_ids, inputs_embeds=inputs_embeds,
                            output_hidden_states=output_hidden_states, training=training)
        logits = self.classifier(self.dropout(outputs.pooler_output, training=training))
        loss = sequence_classification_loss(logits, labels, self.config) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


def _flatten_choices(tensor, keep: int):
    """[b, choices, *rest] -> [b * choices, *rest] where ``rest`` has ``keep`` dimensions."""
    if tensor is None:
        return None
    shape = tf.shape(tensor)
    return tf.reshape(tensor, tf.concat([[-1], shape[2:2 + keep]], axis=0))


class TFBertForMultipleChoice(TFBertPreTrainedModel):
    """Inputs [b, choices, s]: one score per choice from the pooled output; logits [b, choices]."""

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = TFBertModel(config)
        self.dropout = Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, 1)
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             labels=None, output_hidden_states=None, training=False):
        reference = input_ids if input_ids is not None else inputs_embeds
        num_choices = _length(reference)
        outputs = self.bert(input_ids=_flatten_choices(input_ids, 1),
                            attention_mask=_flatten_choices(attention_mask, 1),
                            token_type_ids=_flatten_choices(token_type_ids, 1),
                            position_ids=_flatten_choices(position_ids, 1),
                            inputs_embeds=_flatten_choices(inputs_embeds, 2),
                            output_hidden_states=output_hidden_states, training=training)
        logits = self.classifier(self.dropout(outputs.pooler_output, training=training))
        logits = tf.reshape(logits, tf.stack([-1, num_choices]))
        loss = cross_entropy(logits, labels) if labels is not None else None
        return MultipleChoiceModelOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


class TFBertForTokenClassification(TFBertPreTrainedModel):
    """One label per token: hidden states -> dropout -> ``classifier``."""

    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = TFBertModel(config, add_pooling_layer=False)
        self.dropout = Dropout(_classifier_dropout(config))
        self.classifier = Linear(config.hidden_size, config.num_labels)
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             labels=None, output_hidden_states=None, training=False):
        outputs = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            position_ids=position_ids, inputs_embeds=inputs_embeds,
                            output_hidden_states=output_hidden_states, training=training)
        logits = self.classifier(self.dropout(outputs.last_hidden_state, training=training))
        loss = cross_entropy(logits, labels) if labels is not None else None
        return TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


class TFBertForQuestionAnswering(TFBertPreTrainedModel):
    """Extractive QA: start and end logits per token from ``qa_outputs``."""

    ignore_on_load_unexpected = (r"^bert\.pooler\.",)

    def __init__(self, config: BertConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = TFBertModel(config, add_pooling_layer=False)
        self.qa_outputs = Linear(config.hidden_size, config.num_labels)
        self.built = True

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
             start_positions=None, end_positions=None, output_hidden_states=None, training=False):
        outputs = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            position_ids=position_ids, inputs_embeds=inputs_embeds,
                            output_hidden_states=output_hidden_states, training=training)
        logits = self.qa_outputs(outputs.last_hidden_state)
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        loss = None
        if start_positions is not None and end_positions is not None:
            # Positions outside the sequence are ignored (clamped to an index no token has).
            ignored = _length(start_logits)
            start = tf.clip_by_value(tf.reshape(tf.cast(start_positions, tf.int32), [-1]), 0, ignored)
            end = tf.clip_by_value(tf.reshape(tf.cast(end_positions, tf.int32), [-1]), 0, ignored)
            loss = (cross_entropy(start_logits, start, ignore_index=ignored)
                    + cross_entropy(end_logits, end, ignore_index=ignored)) / 2
        return QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                            hidden_states=outputs.hidden_states)
