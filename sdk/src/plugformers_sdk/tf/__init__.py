"""plugformers_sdk.tf: the TensorFlow (Keras 3) side of the SDK.

Same names and signatures as ``plugformers_sdk.torch`` and ``plugformers_sdk.flax``:
``PreTrainedModel``, the shared layers, activations, attention, rotary embeddings and losses.
Importing it imports TensorFlow (quietly) and Keras.
"""

from __future__ import annotations

from .activations import get_activation
from .attention import MultiHeadAttention, make_attention_mask, scaled_dot_product_attention
from .canonical import CanonicalLayer, CanonicalTensor, canonical_variables, walk_canonical
from .framework import keras, tf
from .layers import MLP, Conv1D, Dropout, Embedding, GatedMLP, LayerNorm, Linear, RMSNorm
from .losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    infer_problem_type,
    mse,
    sequence_classification_loss,
)
from .modeling import PreTrainedModel
from .rotary import RotaryEmbedding, apply_rotary_pos_emb, rotate_half

__all__ = [
    "PreTrainedModel",
    "CanonicalLayer", "CanonicalTensor", "canonical_variables", "walk_canonical",
    "Linear", "Conv1D", "Embedding", "LayerNorm", "RMSNorm", "Dropout", "MLP", "GatedMLP",
    "get_activation",
    "scaled_dot_product_attention", "make_attention_mask", "MultiHeadAttention",
    "RotaryEmbedding", "apply_rotary_pos_emb", "rotate_half",
    "cross_entropy", "mse", "binary_cross_entropy_with_logits", "sequence_classification_loss",
    "infer_problem_type",
    "tf", "keras",
]
