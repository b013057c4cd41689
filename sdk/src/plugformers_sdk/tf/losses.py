"""Losses the heads of every architecture share, with PyTorch's semantics, in TensorFlow.

Losses are computed in float32 whatever the model's dtype.
"""

from __future__ import annotations

from typing import Any

from plugformers.errors import ConfigError

from .framework import tf


def cross_entropy(logits, labels, ignore_index: int = -100):
    """Mean softmax cross-entropy over the labels that are not ``ignore_index`` (NaN if all are, like PyTorch).

    ``logits`` ``[..., C]``, ``labels`` ``[...]`` of integers.
    """
    logits = tf.cast(logits, tf.float32)
    labels = tf.cast(labels, tf.int32)
    keep = tf.not_equal(labels, ignore_index)
    safe = tf.where(keep, labels, tf.zeros_like(labels))
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
    keep = tf.cast(keep, tf.float32)
    return tf.reduce_sum(losses * keep) / tf.reduce_sum(keep)


def mse(pred, target):
    """Mean squared error."""
    pred = tf.cast(pred, tf.float32)
    return tf.reduce_mean(tf.square(pred - tf.cast(target, tf.float32)))


def binary_cross_entropy_with_logits(logits, targets):
    """Mean sigmoid cross-entropy (PyTorch's ``binary_cross_entropy_with_logits``)."""
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(targets, tf.float32), logits=logits))


def problem_type(labels, config: Any) -> str:
    """``config.problem_type``, or inferred as Transformers does (without writing it to the config)."""
    declared = getattr(config, "problem_type", None)
    if declared is not None:
        if declared not in ("regression", "single_label_classification", "multi_label_classification"):
            raise ConfigError(f"problem_type={declared!r} is not a known problem type")
        return declared
    if config.num_labels == 1:
        return "regression"
    if tf.as_dtype(labels.dtype).is_integer:
        return "single_label_classification"
    return "multi_label_classification"


def sequence_classification_loss(logits, labels, config: Any):
    """Regression (MSE), single-label (cross-entropy) or multi-label (BCE) loss, by ``config.problem_type``."""
    labels = tf.convert_to_tensor(labels)
    kind = problem_type(labels, config)
    num_labels = config.num_labels
    if kind == "regression":
        if num_labels == 1:
            return mse(tf.reshape(logits, [-1]), tf.reshape(labels, [-1]))
        return mse(logits, labels)
    if kind == "single_label_classification":
        return cross_entropy(tf.reshape(logits, [-1, num_labels]), tf.reshape(labels, [-1]))
    return binary_cross_entropy_with_logits(logits, labels)
