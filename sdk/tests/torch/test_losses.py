"""Losses against NumPy references; problem-type selection as Transformers does it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError
from plugformers_sdk.torch import binary_cross_entropy_with_logits, cross_entropy, mse, sequence_classification_loss


def _np_cross_entropy(logits, labels, ignore=-100):
    logits = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    labels = labels.reshape(-1)
    keep = labels != ignore
    logz = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
    return float(np.mean(logz[keep] - logits[keep, labels[keep]]))


def _np_bce(logits, targets):
    logits = logits.astype(np.float64)
    return float(np.mean(np.log1p(np.exp(-np.abs(logits))) + np.maximum(logits, 0) - logits * targets))


def test_cross_entropy_ignores_minus_100_and_upcasts():
    logits = torch.randn(2, 5, 7)
    labels = torch.randint(0, 7, (2, 5))
    labels[0, :2] = -100
    expected = _np_cross_entropy(logits.numpy(), labels.numpy())
    assert cross_entropy(logits, labels).item() == pytest.approx(expected, rel=1e-5)
    half = cross_entropy(logits.to(torch.bfloat16), labels)
    assert half.dtype == torch.float32
    labels[0, :2] = 3
    assert cross_entropy(logits, labels, ignore_index=3).item() == pytest.approx(
        _np_cross_entropy(logits.numpy(), labels.numpy(), ignore=3), rel=1e-5)


def test_mse_and_bce():
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    assert mse(a, b).item() == pytest.approx(float(np.mean((a.numpy() - b.numpy()) ** 2)), rel=1e-5)
    targets = torch.randint(0, 2, (4, 3)).float()
    assert binary_cross_entropy_with_logits(a, targets).item() == pytest.approx(_np_bce(a.numpy(), targets.numpy()),
                                                                                rel=1e-5)


class _Config(PretrainedConfig):
    model_type = "loss-test"


def test_sequence_classification_problem_types():
    logits3 = torch.randn(4, 3)
    single = torch.tensor([0, 2, 1, 2])
    config = _Config(num_labels=3)
    assert sequence_classification_loss(logits3, single, config).item() == pytest.approx(
        _np_cross_entropy(logits3.numpy(), single.numpy()), rel=1e-5)
    multi = torch.tensor([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]], dtype=torch.float32)
    assert sequence_classification_loss(logits3, multi, config).item() == pytest.approx(
        _np_bce(logits3.numpy(), multi.numpy()), rel=1e-5)
    logits1 = torch.randn(4, 1)
    target = torch.randn(4)
    regression = sequence_classification_loss(logits1, target, _Config(num_labels=1))
    assert regression.item() == pytest.approx(float(np.mean((logits1.numpy()[:, 0] - target.numpy()) ** 2)), rel=1e-5)
    # An explicit problem_type wins over inference: integer labels as multi-label targets.
    forced = _Config(num_labels=3, problem_type="multi_label_classification")
    onehot = torch.nn.functional.one_hot(single, 3)
    assert sequence_classification_loss(logits3, onehot, forced).item() == pytest.approx(
        _np_bce(logits3.numpy(), onehot.numpy()), rel=1e-5)


def test_unknown_problem_type_is_config_error():
    class Loose:
        problem_type = "ranking"

    with pytest.raises(ConfigError, match="problem_type"):
        sequence_classification_loss(torch.randn(2, 3), torch.tensor([0, 1]), Loose())
