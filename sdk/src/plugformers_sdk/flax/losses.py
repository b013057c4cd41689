"""Losses the heads of every architecture share, with PyTorch's reductions.

``cross_entropy`` averages over the targets that are not ``ignore_index`` (all ignored gives
NaN, as PyTorch does). ``sequence_classification_loss`` picks regression, single-label or
multi-label classification from ``config.problem_type``, inferring it as Transformers does when
unset (without writing it back to the config, so it stays a pure function under ``jit``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from plugformers.errors import ConfigError

PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")


def cross_entropy(logits: jax.Array, labels: jax.Array, ignore_index: int = -100) -> jax.Array:
    """Mean negative log-likelihood of ``labels`` [...] under ``logits`` [..., classes]."""
    logits = logits.astype(jnp.float32)
    labels = jnp.asarray(labels)
    if logits.shape[:-1] != labels.shape:
        logits = logits.reshape(-1, logits.shape[-1])
        labels = labels.reshape(-1)
    keep = labels != ignore_index
    safe = jnp.where(keep, labels, 0).astype(jnp.int32)
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    nll = -jnp.take_along_axis(log_probs, safe[..., None], axis=-1)[..., 0]
    return jnp.sum(jnp.where(keep, nll, 0.0)) / jnp.sum(keep)


def mse(pred: jax.Array, target: jax.Array) -> jax.Array:
    """Mean squared error."""
    return jnp.mean(jnp.square(pred.astype(jnp.float32) - jnp.asarray(target).astype(jnp.float32)))


def binary_cross_entropy_with_logits(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """Mean binary cross-entropy of sigmoid(logits) against ``targets`` in [0, 1] (numerically stable)."""
    x = logits.astype(jnp.float32)
    y = jnp.asarray(targets).astype(jnp.float32)
    return jnp.mean(jnp.maximum(x, 0.0) - x * y + jnp.log1p(jnp.exp(-jnp.abs(x))))


def infer_problem_type(config: Any, labels: jax.Array) -> str:
    """``config.problem_type`` if set, else Transformers' rule from num_labels and the labels' dtype."""
    problem_type = getattr(config, "problem_type", None)
    if problem_type is not None:
        if problem_type not in PROBLEM_TYPES:
            raise ConfigError(f"config.problem_type={problem_type!r} is not one of {PROBLEM_TYPES}")
        return problem_type
    num_labels = getattr(config, "num_labels", 2)
    if num_labels == 1:
        return "regression"
    if jnp.issubdtype(jnp.asarray(labels).dtype, jnp.integer):
        return "single_label_classification"
    return "multi_label_classification"


def sequence_classification_loss(logits: jax.Array, labels: jax.Array, config: Any) -> jax.Array:
    """Loss of a sequence classification head, chosen by :func:`infer_problem_type`."""
    labels = jnp.asarray(labels)
    problem_type = infer_problem_type(config, labels)
    num_labels = getattr(config, "num_labels", logits.shape[-1])
    if problem_type == "regression":
        if num_labels == 1:
            return mse(jnp.squeeze(logits), jnp.squeeze(labels))
        return mse(logits, labels)
    if problem_type == "single_label_classification":
        return cross_entropy(logits.reshape(-1, num_labels), labels.reshape(-1))
    return binary_cross_entropy_with_logits(logits, labels)
