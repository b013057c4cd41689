"""How SDK layers initialise their variables: the build scope.

Layers create their variables eagerly in ``__init__`` with the initializers returned here. What
those are depends on the innermost :func:`build_scope`:

- normally, weight matrices and embeddings draw from a normal distribution of standard deviation
  ``initializer_range`` (Transformers' ``_init_weights``), biases are zeros and norm weights ones;
  with a ``seed``, each draw gets its own seed derived from it, so a model built twice with one
  seed is identical;
- while loading a checkpoint (``loading=True``), every initializer is zeros: no random numbers are
  drawn for tensors that are about to be overwritten one by one from the checkpoint.

The scope also sets the Keras dtype policy while the model is built, so every layer of a model
created with ``dtype="bfloat16"`` holds and computes in bfloat16.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .framework import keras


@dataclass
class BuildState:
    loading: bool = False
    initializer_range: float = 0.02
    seed: int | None = None
    draws: int = field(default=0)
    dropout_seeds: Any = None
    models_building: int = 0

    def next_seed(self) -> int | None:
        if self.seed is None:
            return None
        self.draws += 1
        return (self.seed * 1_000_003 + self.draws) % (2**31 - 1)


_STATE: contextvars.ContextVar[BuildState | None] = contextvars.ContextVar("plugformers_tf_build", default=None)


def current_build_state() -> BuildState | None:
    return _STATE.get()


@contextlib.contextmanager
def build_scope(
    *, loading: bool = False, initializer_range: float = 0.02, seed: int | None = None, dtype: str | None = None
) -> Iterator[BuildState]:
    """Build layers with these initializers and (when given) this Keras dtype policy."""
    state = BuildState(loading=loading, initializer_range=initializer_range, seed=seed)
    token = _STATE.set(state)
    previous_policy = keras.config.dtype_policy()
    if dtype is not None:
        keras.config.set_dtype_policy(dtype)
    try:
        yield state
    finally:
        if dtype is not None:
            keras.config.set_dtype_policy(previous_policy)
        _STATE.reset(token)


# Plain initializers are given by name: Keras checks any other object against its tensor types
# first, an isinstance test on a typing Protocol that costs ~0.5 ms per variable.


def normal_initializer() -> Any:
    """Weight matrices and embeddings: N(0, initializer_range), or zeros while loading."""
    state = _STATE.get() or BuildState()
    if state.loading:
        return "zeros"
    return keras.initializers.RandomNormal(stddev=state.initializer_range, seed=state.next_seed())


def dropout_seed_generator() -> Any:
    """The ``keras.random.SeedGenerator`` a dropout layer draws its masks from.

    The dropout layers of one model built in a :func:`build_scope` share one generator, as a Flax
    model's dropout layers share its rng stream: each generator is a variable, and creating one
    per layer cost ~0.5 ms each. Outside a scope: a new generator.
    """
    state = _STATE.get()
    if state is None:
        return keras.random.SeedGenerator()
    if state.dropout_seeds is None:
        state.dropout_seeds = keras.random.SeedGenerator(state.seed)
    return state.dropout_seeds


def zeros_initializer() -> Any:
    return "zeros"


def ones_initializer() -> Any:
    """Norm weights; zeros while loading (cheapest, and about to be overwritten)."""
    state = _STATE.get()
    if state is not None and state.loading:
        return "zeros"
    return "ones"


def fresh_value(kind: str, shape: tuple[int, ...], dtype: Any, *, initializer_range: float = 0.02,
                seed: int | None = None) -> Any:
    """A newly initialised tensor of this kind (``"normal"``, ``"zeros"`` or ``"ones"``), for a tensor a
    checkpoint did not provide (Transformers' "newly initialized" weights)."""
    if kind == "zeros":
        initializer = keras.initializers.Zeros()
    elif kind == "ones":
        initializer = keras.initializers.Ones()
    elif kind == "normal":
        initializer = keras.initializers.RandomNormal(stddev=initializer_range, seed=seed)
    else:
        raise ValueError(f"unknown initializer kind {kind!r}; expected 'normal', 'zeros' or 'ones'")
    return initializer(shape, dtype=dtype)
