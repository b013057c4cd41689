"""The PyTorch side of the SDK: ``PreTrainedModel``, shared layers, attention, rotary, losses."""

from .activations import activate, get_activation
from .attention import MultiHeadAttention, make_attention_mask, scaled_dot_product_attention
from .buffers import rebuild_computed_buffers, register_computed_buffer
from .layers import MLP, Conv1D, Dropout, Embedding, GatedMLP, LayerNorm, Linear, RMSNorm
from .losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    infer_problem_type,
    mse,
    sequence_classification_loss,
)
from .modeling import PreTrainedModel, as_torch, torch_dtype
from .rotary import RotaryEmbedding, apply_rotary_pos_emb, rotate_half

__all__ = [
    "PreTrainedModel", "torch_dtype", "as_torch",
    "Linear", "Conv1D", "Embedding", "LayerNorm", "RMSNorm", "Dropout", "MLP", "GatedMLP",
    "activate", "get_activation",
    "scaled_dot_product_attention", "make_attention_mask", "MultiHeadAttention",
    "RotaryEmbedding", "apply_rotary_pos_emb", "rotate_half",
    "register_computed_buffer", "rebuild_computed_buffers",
    "cross_entropy", "mse", "binary_cross_entropy_with_logits", "sequence_classification_loss",
    "infer_problem_type",
]
