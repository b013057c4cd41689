"""The Flax (NNX) side of the SDK: base model, shared layers, attention, rotary, losses, training.

Names and signatures match ``plugformers_sdk.torch`` and ``plugformers_sdk.tf``; Flax modules
additionally take the keyword-only ``rngs``. Importing this package registers every
``plugformers.outputs.ModelOutput`` class as a JAX pytree (see :mod:`.pytrees`).
"""

from __future__ import annotations

from .activations import get_activation
from .attention import MultiHeadAttention, make_attention_mask, repeat_kv, scaled_dot_product_attention
from .canonical import IDENTITY, TRANSPOSE, CanonicalTensor, Transform, walk_canonical
from .layers import MLP, Conv1D, Dropout, Embedding, GatedMLP, LayerNorm, Linear, RMSNorm
from .losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    infer_problem_type,
    mse,
    sequence_classification_loss,
)
from .modeling import PreTrainedModel, jax_dtype
from .pytrees import register_model_output, register_model_outputs
from .rotary import RotaryEmbedding, apply_rotary_pos_emb, rotate_half
from .training import create_optimizer, eval_loss, train_step

register_model_outputs()

__all__ = [
    "PreTrainedModel", "jax_dtype",
    "Linear", "Conv1D", "Embedding", "LayerNorm", "RMSNorm", "Dropout", "MLP", "GatedMLP",
    "get_activation",
    "scaled_dot_product_attention", "make_attention_mask", "MultiHeadAttention", "repeat_kv",
    "RotaryEmbedding", "apply_rotary_pos_emb", "rotate_half",
    "cross_entropy", "mse", "binary_cross_entropy_with_logits", "sequence_classification_loss",
    "infer_problem_type",
    "create_optimizer", "train_step", "eval_loss",
    "CanonicalTensor", "Transform", "IDENTITY", "TRANSPOSE", "walk_canonical",
    "register_model_output", "register_model_outputs",
]
