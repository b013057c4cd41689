"""``BertConfig``: the ``config.json`` of a BERT checkpoint, typed (Transformers' keys and defaults)."""

from __future__ import annotations

from typing import ClassVar

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError
from plugformers_sdk.activations import check_activation

POSITION_EMBEDDING_TYPES = ("absolute",)


class BertConfig(PretrainedConfig):
    """BERT hyper-parameters; the defaults are those of bert-base-uncased."""

    model_type: ClassVar[str] = "bert"
    positive_fields: ClassVar[tuple[str, ...]] = (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "initializer_range",
    )

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int | None = 0
    position_embedding_type: str = "absolute"
    use_cache: bool = True
    classifier_dropout: float | None = None
    is_decoder: bool = False
    add_cross_attention: bool = False

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        check_activation(self.hidden_act, field=f"{name}.hidden_act")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"{name}.hidden_size={self.hidden_size} is not a multiple of "
                f"{name}.num_attention_heads={self.num_attention_heads}"
            )
        if self.position_embedding_type not in POSITION_EMBEDDING_TYPES:
            raise ConfigError(
                f"{name}.position_embedding_type={self.position_embedding_type!r} is not supported "
                f"(supported: {', '.join(POSITION_EMBEDDING_TYPES)})"
            )
        for key in ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"):
            value = getattr(self, key)
            if value is not None and not 0.0 <= value < 1.0:
                raise ConfigError(f"{name}.{key} must be in [0, 1), got {value!r}")
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ConfigError(f"{name}.pad_token_id={self.pad_token_id} is outside [0, vocab_size={self.vocab_size})")
