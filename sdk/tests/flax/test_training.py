"""Training: nnx.value_and_grad + optax through plugformers_sdk.flax.training lowers the loss."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from plugformers.errors import ConfigError
from plugformers_sdk.flax import create_optimizer, eval_loss, train_step


def test_a_few_steps_lower_the_loss(tiny):
    # (no dropout: its threefry code triples the compile time; dropout modes are tested in test_attention)
    config = tiny.TinyLlamaConfig(num_hidden_layers=1, tie_word_embeddings=True)
    model = tiny.TinyLlamaForCausalLM.from_config(config, seed=0)
    model.train()
    optimizer = create_optimizer(model, optax.adam(1e-2))
    ids = np.tile(np.arange(8), (4, 2))  # a repeating pattern the model can learn
    batch = {"input_ids": jnp.asarray(ids), "labels": jnp.asarray(ids)}
    before = float(eval_loss(model, batch))
    losses = [float(train_step(model, optimizer, batch)) for _ in range(8)]
    model.eval()
    after = float(eval_loss(model, batch))
    assert np.isclose(losses[0], before, rtol=1e-5)  # the step reports the loss before its update
    assert after < 0.7 * before, (before, losses, after)
    assert int(optimizer.step.get_value()) == 8


def test_a_batch_without_labels_is_named(tiny):
    model = tiny.TinyLlamaForCausalLM.from_config(tiny.TinyLlamaConfig(num_hidden_layers=1))
    optimizer = create_optimizer(model, optax.sgd(0.1))
    with pytest.raises(ConfigError, match="returned no loss.*input_ids"):
        train_step(model, optimizer, {"input_ids": jnp.zeros((1, 4), jnp.int32)})
