"""Losses against torch.nn.functional."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError
from plugformers_sdk.flax import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    infer_problem_type,
    mse,
    sequence_classification_loss,
)


class Config(PretrainedConfig):
    model_type = "loss-test"


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_cross_entropy_ignores_index_like_torch(torch):
    logits = rand(2, 5, 7)
    labels = np.array([[1, 2, -100, 4, 0], [6, -100, -100, 3, 3]])
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(logits).reshape(-1, 7),
                                                 torch.from_numpy(labels).reshape(-1))
    np.testing.assert_allclose(cross_entropy(jnp.asarray(logits), jnp.asarray(labels)), expected.numpy(), rtol=1e-6)
    all_ignored = cross_entropy(jnp.asarray(logits), jnp.full((2, 5), -100))
    assert bool(jnp.isnan(all_ignored))  # torch gives NaN too


def test_mse_and_bce_match_torch(torch):
    a, b = rand(3, 4, seed=1), rand(3, 4, seed=2)
    np.testing.assert_allclose(mse(jnp.asarray(a), jnp.asarray(b)),
                               torch.nn.functional.mse_loss(torch.from_numpy(a), torch.from_numpy(b)).numpy(), rtol=1e-6)
    targets = (b > 0).astype(np.float32)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(a * 30), torch.from_numpy(targets))
    np.testing.assert_allclose(binary_cross_entropy_with_logits(jnp.asarray(a * 30), jnp.asarray(targets)),
                               expected.numpy(), rtol=1e-5)


def test_sequence_classification_loss_infers_the_problem_type(torch):
    F = torch.nn.functional
    logits = rand(4, 3)
    single = np.array([0, 2, 1, 1])
    config = Config(num_labels=3)
    assert infer_problem_type(config, jnp.asarray(single)) == "single_label_classification"
    np.testing.assert_allclose(sequence_classification_loss(jnp.asarray(logits), jnp.asarray(single), config),
                               F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(single)).numpy(), rtol=1e-6)
    multi = (rand(4, 3, seed=5) > 0).astype(np.float32)
    assert infer_problem_type(config, jnp.asarray(multi)) == "multi_label_classification"
    np.testing.assert_allclose(
        sequence_classification_loss(jnp.asarray(logits), jnp.asarray(multi), config),
        F.binary_cross_entropy_with_logits(torch.from_numpy(logits), torch.from_numpy(multi)).numpy(), rtol=1e-6)
    regression = Config(num_labels=1)
    scores, target = rand(4, 1, seed=6), rand(4, seed=7)
    assert infer_problem_type(regression, jnp.asarray(target)) == "regression"
    np.testing.assert_allclose(
        sequence_classification_loss(jnp.asarray(scores), jnp.asarray(target), regression),
        F.mse_loss(torch.from_numpy(scores).squeeze(), torch.from_numpy(target)).numpy(), rtol=1e-6)
    assert config.problem_type is None  # inference does not write into the config


def test_explicit_problem_type_wins_and_bad_one_is_named():
    config = Config(num_labels=3, problem_type="multi_label_classification")
    assert infer_problem_type(config, jnp.array([0, 1])) == "multi_label_classification"
    config.problem_type = "nonsense"
    with pytest.raises(ConfigError, match="problem_type='nonsense'"):
        infer_problem_type(config, jnp.array([0, 1]))
