"""Training Flax models: an optax optimiser over the ``nnx.Param`` variables and a jitted step.

Every head returns ``loss`` when called with ``labels``, so one step is generic::

    model.train()
    optimizer = create_optimizer(model, optax.adamw(1e-3))
    for batch in batches:                  # dicts of arrays, labels included
        loss = train_step(model, optimizer, batch)

``train_step`` runs under ``nnx.jit`` (one compilation per batch shape) and updates the model
and optimizer in place; dropout draws from the model's own rng streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import optax
from flax import nnx

from plugformers.errors import ConfigError


def create_optimizer(model: nnx.Module, tx: optax.GradientTransformation) -> nnx.Optimizer:
    """An ``nnx.Optimizer`` that trains the model's ``nnx.Param`` variables with ``tx``."""
    return nnx.Optimizer(model, tx, wrt=nnx.Param)


def compute_loss(model: nnx.Module, batch: Mapping[str, Any]) -> jax.Array:
    """The ``loss`` the model returns for ``batch`` (which must carry labels)."""
    outputs = model(**batch)
    loss = outputs.get("loss") if hasattr(outputs, "get") else None
    if loss is None:
        raise ConfigError(f"{type(model).__name__} returned no loss: does the batch carry labels? keys: {sorted(batch)}")
    return loss


@nnx.jit
def train_step(model: nnx.Module, optimizer: nnx.Optimizer, batch: Mapping[str, Any]) -> jax.Array:
    """One optimisation step on ``batch``; returns the loss before the update."""
    loss, grads = nnx.value_and_grad(compute_loss)(model, batch)
    optimizer.update(model, grads)
    return loss


@nnx.jit
def eval_loss(model: nnx.Module, batch: Mapping[str, Any]) -> jax.Array:
    """The loss on ``batch`` without updating anything."""
    return compute_loss(model, batch)
