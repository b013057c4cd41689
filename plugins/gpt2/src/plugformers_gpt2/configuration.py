"""``GPT2Config``: the ``config.json`` of a GPT-2 checkpoint, typed (Transformers' keys and defaults).

GPT-2 keeps OpenAI's original key names (``n_embd``, ``n_layer``...); the generic names
(``hidden_size``, ``num_hidden_layers``...) are aliases of them through ``attribute_map``.
"""

from __future__ import annotations

from typing import ClassVar

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError
from plugformers_sdk.activations import check_activation

# How the double-heads model summarises a sequence into one vector (Transformers' "attn" was never
# implemented there either).
SUMMARY_TYPES = ("last", "first", "mean", "cls_index")


class GPT2Config(PretrainedConfig):
    """GPT-2 hyper-parameters; the defaults are those of the 124M ``gpt2`` checkpoint."""

    model_type: ClassVar[str] = "gpt2"
    attribute_map: ClassVar[dict[str, str]] = {
        "hidden_size": "n_embd",
        "max_position_embeddings": "n_positions",
        "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    }
    positive_fields: ClassVar[tuple[str, ...]] = (
        "vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "n_inner", "layer_norm_epsilon",
        "initializer_range",
    )

    vocab_size: int = 50257
    n_positions: int = 1024
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    n_inner: int | None = None  # None: 4 * n_embd
    activation_function: str = "gelu_new"
    resid_pdrop: float = 0.1
    embd_pdrop: float = 0.1
    attn_pdrop: float = 0.1
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02
    # The multiple-choice head of GPT2DoubleHeadsModel.
    summary_type: str = "cls_index"
    summary_use_proj: bool = True
    summary_activation: str | None = None  # "tanh" or none
    summary_proj_to_labels: bool = True
    summary_first_dropout: float = 0.1
    # Attention scores: divided by sqrt(head_dim) when scale_attn_weights, and further by
    # (layer index + 1) when scale_attn_by_inverse_layer_idx. reorder_and_upcast_attn only changes
    # the order of float operations in mixed precision (scores are computed in float32 here anyway).
    scale_attn_weights: bool = True
    scale_attn_by_inverse_layer_idx: bool = False
    reorder_and_upcast_attn: bool = False
    use_cache: bool = True
    bos_token_id: int | None = 50256
    eos_token_id: int | list[int] | None = 50256
    tie_word_embeddings: bool = True

    def validate(self) -> None:
        super().validate()
        name = type(self).__name__
        check_activation(self.activation_function, field=f"{name}.activation_function")
        if self.n_embd % self.n_head:
            raise ConfigError(f"{name}.n_embd={self.n_embd} is not a multiple of {name}.n_head={self.n_head}")
        if self.summary_type not in SUMMARY_TYPES:
            raise ConfigError(
                f"{name}.summary_type={self.summary_type!r} is not supported (supported: {', '.join(SUMMARY_TYPES)})"
            )
        for key in ("resid_pdrop", "embd_pdrop", "attn_pdrop", "summary_first_dropout"):
            value = getattr(self, key)
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"{name}.{key} must be in [0, 1), got {value!r}")
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ConfigError(f"{name}.pad_token_id={self.pad_token_id} is outside [0, vocab_size={self.vocab_size})")

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def inner_size(self) -> int:
        """The MLP width: ``n_inner``, or ``4 * n_embd`` when unset."""
        return self.n_inner if self.n_inner is not None else 4 * self.n_embd

    def attention_scale(self, layer_idx: int) -> float:
        """The factor applied to ``q k^T`` in layer ``layer_idx`` (0-based)."""
        scale = self.head_dim ** -0.5 if self.scale_attn_weights else 1.0
        if self.scale_attn_by_inverse_layer_idx:
            scale /= float(layer_idx + 1)
        return scale

    def summary_num_classes(self) -> int:
        """Output width of the multiple-choice summary projection."""
        if self.summary_proj_to_labels and self.num_labels > 0:
            return self.num_labels
        return self.n_embd

    def extra_dropout(self, key: str, default: float) -> float:
        """A dropout rate Transformers reads from the config only if present (``summary_last_dropout``,
        ``classifier_dropout``): the kept key's value, else ``default``."""
        value = getattr(self, key, None)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ConfigError(f"{type(self).__name__}.{key} must be a number in [0, 1), got {value!r}")
        return float(value)
