"""Training losses the heads of every architecture share (PyTorch)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from plugformers.errors import ConfigError

PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Mean cross-entropy over the labels that are not ``ignore_index``; logits [..., C], labels [...].
    Computed in float32 whatever the logits' dtype."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1).long(),
                           ignore_index=ignore_index)


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error."""
    return F.mse_loss(pred.float(), target.to(torch.float32))


def binary_cross_entropy_with_logits(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of sigmoid(logits) against 0/1 (or soft) targets."""
    return F.binary_cross_entropy_with_logits(logits.float(), targets.to(torch.float32))


def infer_problem_type(num_labels: int, labels: torch.Tensor) -> str:
    """Transformers' rule: one label -> regression; integer labels -> single-label; else multi-label."""
    if num_labels == 1:
        return "regression"
    if labels.dtype in (torch.long, torch.int, torch.int16, torch.int8, torch.uint8):
        return "single_label_classification"
    return "multi_label_classification"


def sequence_classification_loss(logits: torch.Tensor, labels: torch.Tensor, config: Any) -> torch.Tensor:
    """The loss of a sequence-classification head: ``config.problem_type`` if set, otherwise
    inferred by :func:`infer_problem_type`. logits [b, num_labels]."""
    num_labels = logits.shape[-1]
    problem_type = getattr(config, "problem_type", None) or infer_problem_type(num_labels, labels)
    if problem_type == "regression":
        if num_labels == 1:
            return mse(logits.squeeze(-1), labels.reshape(-1))
        return mse(logits, labels)
    if problem_type == "single_label_classification":
        return cross_entropy(logits.reshape(-1, num_labels), labels.reshape(-1))
    if problem_type == "multi_label_classification":
        return binary_cross_entropy_with_logits(logits, labels)
    raise ConfigError(f"config.problem_type={problem_type!r} is not one of {PROBLEM_TYPES}")
