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


PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")


def infer_problem_type(num_labels: int, labels) -> str:
    """Transformers' rule: one label -> regression; integer labels -> single-label; else multi-label."""
    if num_labels == 1:
        return "regression"
    if tf.as_dtype(labels.dtype).is_integer:
        return "single_label_classification"
    return "multi_label_classification"


def sequence_classification_loss(logits, labels, config: Any):
    """The loss of a sequence-classification head (logits ``[b, num_labels]``): ``config.problem_type``
    if set, otherwise inferred by :func:`infer_problem_type` (the config is not written to)."""
    labels = tf.convert_to_tensor(labels)
    logits = tf.convert_to_tensor(logits)
    num_labels = logits.shape[-1] if logits.shape[-1] is not None else config.num_labels
    kind = getattr(config, "problem_type", None) or infer_problem_type(num_labels, labels)
    if kind == "regression":
        if num_labels == 1:
            return mse(tf.reshape(logits, [-1]), tf.reshape(labels, [-1]))
        return mse(logits, labels)
    if kind == "single_label_classification":
        return cross_entropy(tf.reshape(logits, [-1, num_labels]), tf.reshape(labels, [-1]))
    if kind == "multi_label_classification":
        return binary_cross_entropy_with_logits(logits, labels)
    raise ConfigError(f"config.problem_type={kind!r} is not one of {PROBLEM_TYPES}")
