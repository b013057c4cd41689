"""The standard deviation SDK layers draw their initial weights with.

Transformers initialises linear and embedding weights with normal(0, ``config.initializer_range``).
A layer given no explicit ``initializer_range`` takes the one of the model being built:
``PreTrainedModel`` runs every subclass ``__init__`` inside :func:`initializer_scope` with its
config's value (0.02 outside any model).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_INITIALIZER_RANGE = 0.02

_CURRENT = contextvars.ContextVar("plugformers_flax_initializer_range", default=DEFAULT_INITIALIZER_RANGE)


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
