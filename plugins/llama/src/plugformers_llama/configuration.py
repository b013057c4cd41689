"""``LlamaConfig``: the ``config.json`` of a LLaMA checkpoint, typed (Transformers' keys and defaults).

Rotary settings are read in both spellings: Transformers 4.x's ``rope_theta`` + ``rope_scaling``
and Transformers 5.x's ``rope_parameters`` (which carries ``rope_theta`` and the scaling keys in
one dict, and wins when both are given). Both are written, consistent with each other, so either
version of Transformers reads what we save.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError
from plugformers_sdk.activations import check_activation
from plugformers_sdk.rope import rope_parameters


class LlamaConfig(PretrainedConfig):
    """LLaMA hyper-parameters; the defaults are those of LLaMA-7B (as in Transformers)."""

    model_type: ClassVar[str] = "llama"
    positive_fields: ClassVar[tuple[str, ...]] = (
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps", "rope_theta",
        "initializer_range", "pretraining_tp",
    )

    vocab_size: int = 32000
    hidden_size: int = 4096
    intermediate_size: int = 11008
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int | None = None
    head_dim: int | None = None
    hidden_act: str = "silu"
    max_position_embeddings: int = 2048
    initializer_range: float = 0.02
    rms_norm_eps: float = 1e-6
    use_cache: bool = True
    pad_token_id: int | None = None
    bos_token_id: int | list[int] | None = 1
    eos_token_id: int | list[int] | None = 2
    pretraining_tp: int = 1
    tie_word_embeddings: bool = False
    rope_theta: float = 10000.0
    rope_scaling: dict | None = None
    attention_bias: bool = False
    attention_dropout: float = 0.0
    mlp_bias: bool = False

    def __init__(self, **kwargs: Any):
        parameters = kwargs.pop("rope_parameters", None)
        if parameters is not None:
            if not isinstance(parameters, dict):
                raise ConfigError(f"LlamaConfig.rope_parameters must be a dict, got {type(parameters).__name__}")
            parameters = dict(parameters)
            if parameters.get("rope_theta") is not None:
                kwargs["rope_theta"] = parameters.pop("rope_theta")
            kind = parameters.get("rope_type", parameters.get("type", "default"))
            kwargs["rope_scaling"] = None if kind == "default" and len(parameters) <= 1 else parameters
        super().__init__(**kwargs)
        if self.num_key_value_heads is None:
            self.num_key_value_heads = self.num_attention_heads
        if self.head_dim is None:
            self.head_dim = self.hidden_size // self.num_attention_heads
        self.validate()

    @property
    def rope_parameters(self) -> dict[str, Any]:
        """Transformers 5.x's single rotary dict: ``rope_type``, ``rope_theta`` and the scaling keys."""
        out = {"rope_type": "default"}
        if self.rope_scaling:
            out.update(self.rope_scaling)
            if "type" in out and "rope_type" not in self.rope_scaling:
                out["rope_type"] = out.pop("type")
        out["rope_theta"] = self.rope_theta
        return out

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        check_activation(self.hidden_act, field=f"{name}.hidden_act")
        heads, kv_heads = self.num_attention_heads, self.num_key_value_heads
        if kv_heads is not None and heads % kv_heads:
            raise ConfigError(f"{name}.num_key_value_heads={kv_heads} must divide num_attention_heads={heads}")
        if self.head_dim is None and self.hidden_size % heads:
            raise ConfigError(
                f"{name}.hidden_size={self.hidden_size} is not a multiple of num_attention_heads={heads}; set head_dim"
            )
        if self.pretraining_tp != 1:
            raise ConfigError(f"{name}.pretraining_tp={self.pretraining_tp} is not supported (only 1)")
        if not 0.0 <= self.attention_dropout < 1.0:
            raise ConfigError(f"{name}.attention_dropout must be in [0, 1), got {self.attention_dropout!r}")
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ConfigError(f"{name}.pad_token_id={self.pad_token_id} is outside [0, vocab_size={self.vocab_size})")
        if self.head_dim is not None:
            try:
                rope_parameters(self.head_dim, base=self.rope_theta, max_position_embeddings=self.max_position_embeddings,
                                rope_scaling=self.rope_scaling)
            except ConfigError as error:
                raise ConfigError(f"{name}.rope_scaling: {error}") from None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["rope_parameters"] = self.rope_parameters
        return out
