"""``TinyConfig``: the hyper-parameters of the conformance kit's tiny test architecture."""

from __future__ import annotations

from typing import ClassVar

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError
from plugformers_sdk.activations import check_activation


class TinyConfig(PretrainedConfig):
    """A pre-norm encoder (a causal decoder with ``is_decoder``): learned positions, grouped-query
    attention, a GELU MLP. Dropout is on by default so that eval mode is exercised."""

    model_type: ClassVar[str] = "conformance-tiny"
    positive_fields: ClassVar[tuple[str, ...]] = (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "intermediate_size", "max_position_embeddings",
    )

    vocab_size: int = 50
    hidden_size: int = 16
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 24
    hidden_act: str = "gelu"
    max_position_embeddings: int = 32
    layer_norm_eps: float = 1e-5
    dropout: float = 0.1
    pad_token_id: int | None = 0
    tie_word_embeddings: bool = True

    def validate(self) -> None:
        super().validate()
        check_activation(self.hidden_act, field="TinyConfig.hidden_act")
        if self.hidden_size % self.num_attention_heads or self.num_attention_heads % self.num_key_value_heads:
            raise ConfigError(
                f"TinyConfig: num_attention_heads={self.num_attention_heads} must divide hidden_size="
                f"{self.hidden_size}, and num_key_value_heads={self.num_key_value_heads} must divide it"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"TinyConfig.dropout must be in [0, 1), got {self.dropout!r}")
