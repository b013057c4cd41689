"""The tiny test architecture in TensorFlow (Keras 3): ``modeling_torch.py``'s tree, layer for layer.

The tied causal-LM head holds no ``lm_head`` variable: it projects with the token embedding table
(``Embedding.attend``), which is how TensorFlow models of the SDK tie weights.
"""

from __future__ import annotations

from plugformers.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    MultipleChoiceModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from plugformers_sdk.tf import (
    MLP,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    MultiHeadAttention,
    PreTrainedModel,
    cross_entropy,
    keras,
    make_attention_mask,
    sequence_classification_loss,
    tf,
)

from .configuration import TinyConfig


class TinyLayer(keras.layers.Layer):
    """Pre-norm: ``h + attn(norm(h))`` then ``h + mlp(norm(h))``."""

    def __init__(self, config: TinyConfig, **kwargs):
        super().__init__(**kwargs)
        self.attn_norm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.self_attn = MultiHeadAttention(config.hidden_size, config.num_attention_heads,
                                            num_key_value_heads=config.num_key_value_heads, dropout=config.dropout)
        self.mlp_norm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = MLP(config.hidden_size, config.intermediate_size, config.hidden_act, up_name="fc1", down_name="fc2")
        self.dropout = Dropout(config.dropout)
        self.built = True

    def call(self, hidden, mask, past_key_value=None, use_cache=False, training=False):
        attended, present = self.self_attn(self.attn_norm(hidden), mask, past_key_value=past_key_value,
                                           use_cache=use_cache, training=training)
        hidden = hidden + self.dropout(attended, training=training)
        return hidden + self.dropout(self.mlp(self.mlp_norm(hidden)), training=training), present


class TFTinyPreTrainedModel(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "model"

    def get_input_embeddings(self):
        return self.base_model.embed_tokens


class TFTinyModel(TFTinyPreTrainedModel):
    """Token + learned position embeddings, ``num_hidden_layers`` layers, a final LayerNorm."""

    def __init__(self, config: TinyConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.embed_tokens = Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.embed_positions = Embedding(config.max_position_embeddings, config.hidden_size)
        self.dropout = Dropout(config.dropout)
        self.layers = [TinyLayer(config) for _ in range(config.num_hidden_layers)]
        self.norm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def call(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None, use_cache=None,
             return_dict=None, training=False):
        batch, length = tf.shape(input_ids)[0], input_ids.shape[1]
        use_cache = bool(self.config.use_cache if use_cache is None else use_cache) and self.config.is_decoder
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        positions = tf.range(past, past + length)[None, :] if position_ids is None else position_ids
        hidden = self.embed_tokens(input_ids) + self.embed_positions(positions)
        hidden = self.dropout(hidden, training=training)
        mask = make_attention_mask(attention_mask, batch_size=batch, query_length=length, key_length=past + length,
                                   dtype=hidden.dtype, causal=self.config.is_decoder, past_length=past)
        presents = []
        for index, layer in enumerate(self.layers):
            layer_past = None if past_key_values is None else past_key_values[index]
            hidden, present = layer(hidden, mask, past_key_value=layer_past, use_cache=use_cache, training=training)
            presents.append(present)
        return BaseModelOutputWithPast(last_hidden_state=self.norm(hidden),
                                       past_key_values=tuple(presents) if use_cache else None)


class TFTinyForSequenceClassification(TFTinyPreTrainedModel):
    """The first token's hidden state -> dropout -> ``score``."""

    def __init__(self, config: TinyConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.model = TFTinyModel(config)
        self.dropout = Dropout(config.dropout)
        self.score = Linear(config.hidden_size, config.num_labels)

    def call(self, input_ids=None, attention_mask=None, labels=None, training=False):
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, training=training).last_hidden_state
        logits = self.score(self.dropout(hidden[:, 0], training=training))
        loss = None if labels is None else sequence_classification_loss(logits, labels, self.config)
        return SequenceClassifierOutput(loss=loss, logits=logits)


class TFTinyForTokenClassification(TFTinyPreTrainedModel):
    """Every token's hidden state -> dropout -> ``classifier``."""

    def __init__(self, config: TinyConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.model = TFTinyModel(config)
        self.dropout = Dropout(config.dropout)
        self.classifier = Linear(config.hidden_size, config.num_labels)

    def call(self, input_ids=None, attention_mask=None, labels=None, training=False):
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, training=training).last_hidden_state
        logits = self.classifier(self.dropout(hidden, training=training))
        loss = None if labels is None else cross_entropy(logits, labels)
        return TokenClassifierOutput(loss=loss, logits=logits)


class TFTinyForMultipleChoice(TFTinyPreTrainedModel):
    """Inputs [b, choices, s]; one score per choice from its first token; logits [b, choices]."""

    def __init__(self, config: TinyConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.model = TFTinyModel(config)
        self.classifier = Linear(config.hidden_size, 1)

    def call(self, input_ids=None, attention_mask=None, labels=None, training=False):
        choices, length = input_ids.shape[1], input_ids.shape[2]
        flat_mask = None if attention_mask is None else tf.reshape(attention_mask, (-1, length))
        hidden = self.model(input_ids=tf.reshape(input_ids, (-1, length)), attention_mask=flat_mask,
                            training=training).last_hidden_state
        logits = tf.reshape(self.classifier(hidden[:, 0]), (-1, choices))
        loss = None if labels is None else cross_entropy(logits, labels)
        return MultipleChoiceModelOutput(loss=loss, logits=logits)


class TFTinyForCausalLM(TFTinyPreTrainedModel):
    """Next-token logits (through the token embeddings when tied), with a KV cache."""

    tied_weights = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: TinyConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.model = TFTinyModel(config)
        self.lm_head = None if config.tie_word_embeddings else Linear(config.hidden_size, config.vocab_size,
                                                                      bias=False)

    def call(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None, use_cache=None,
             labels=None, return_dict=None, training=False):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=past_key_values, use_cache=use_cache, training=training)
        hidden = out.last_hidden_state
        logits = self.model.embed_tokens.attend(hidden) if self.lm_head is None else self.lm_head(hidden)
        loss = None if labels is None else cross_entropy(logits[:, :-1], labels[:, 1:])
        return CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=out.past_key_values)
