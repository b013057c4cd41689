"""How SDK layers create their initial weights.

Transformers initialises linear and embedding weights with normal(0, ``config.initializer_range``).
A layer given no explicit ``initializer_range`` takes the one of the model being built:
``PreTrainedModel`` runs every subclass ``__init__`` inside :func:`initializer_scope` with its
config's value (0.02 outside any model).

Inside :func:`abstract_scope` (``from_pretrained``), the layers' weights are created as
``jax.ShapeDtypeStruct`` placeholders instead: no random draws and no memory, and no tracing of
the constructor either (``nnx.eval_shape`` would trace it). Loading then sets each placeholder
from the checkpoint; anything it lacks is initialised afterwards.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import jax
import jax.numpy as jnp
import numpy as np

DEFAULT_INITIALIZER_RANGE = 0.02

_CURRENT = contextvars.ContextVar("plugformers_flax_initializer_range", default=DEFAULT_INITIALIZER_RANGE)
_ABSTRACT = contextvars.ContextVar("plugformers_flax_abstract_weights", default=False)


def initializer_range(explicit: float | None = None) -> float:
    """``explicit`` if given, else the range of the model being built."""
    return _CURRENT.get() if explicit is None else float(explicit)


@contextmanager
def initializer_scope(value: float) -> Iterator[None]:
    """Build layers with normal(0, ``value``) weights inside this block."""
    token = _CURRENT.set(float(value))
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextmanager
def abstract_scope() -> Iterator[None]:
    """Inside this block SDK layers create shape-only placeholder weights (see the module doc)."""
    token = _ABSTRACT.set(True)
    try:
        yield
    finally:
        _ABSTRACT.reset(token)


def building_abstract() -> bool:
    """Whether layers are being built with placeholder weights."""
    return _ABSTRACT.get()


def initial_weight(shape: tuple[int, ...], make: Callable[[], jax.Array]) -> jax.Array | jax.ShapeDtypeStruct:
    """``make()`` (a float32 array of ``shape``), or its placeholder inside :func:`abstract_scope`."""
    if _ABSTRACT.get():
        return jax.ShapeDtypeStruct(tuple(shape), jnp.float32)
    return make()


def normal_weight(rngs, shape: tuple[int, ...], std: float | None = None):
    """normal(0, std or the model's ``initializer_range``), float32."""
    return initial_weight(shape, lambda: jax.random.normal(rngs.params(), shape, jnp.float32) * initializer_range(std))


def zeros_weight(shape: tuple[int, ...]):
    return initial_weight(shape, lambda: jnp.zeros(shape, jnp.float32))


def ones_weight(shape: tuple[int, ...]):
    return initial_weight(shape, lambda: jnp.ones(shape, jnp.float32))


def seed_key(seed: int) -> jax.Array:
    """``jax.random.key(seed)``, made without compiling anything when JAX's default PRNG is
    threefry2x32 and ``0 <= seed < 2**31`` (its key data is then ``[0, seed]``): ``from_pretrained``
    builds its ``nnx.Rngs`` from it, and ``jax.random.key`` would cost a first XLA compilation."""
    if jax.config.jax_default_prng_impl == "threefry2x32" and 0 <= seed < 2**31:
        return jax.random.wrap_key_data(np.array([0, seed], dtype=np.uint32))
    return jax.random.key(seed)
