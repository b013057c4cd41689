"""Building a Keras model without allocating its variables, then giving each its loaded value.

Creating a TensorFlow variable costs an allocation, a fill and a few milliseconds of Python;
for a model about to be overwritten from a checkpoint all of that is waste. Inside
:func:`deferred_variables` layers are built in a Keras ``StatelessScope`` that leaves every
variable uninitialised (Keras' own deferred initialisation), and :func:`give_value` then creates
each variable directly from its checkpoint tensor. A 64-byte-aligned NumPy array is adopted
through DLPack, so the variable's memory is that array's: one copy of the weights in all.

This leans on two Keras internals, kept here and nowhere else: an uninitialised variable has
``_value is None`` and is created by ``_initialize(tensor)``; and Keras keeps the uninitialised
variables in a per-thread list that the scope's exit would initialise, which the scope here
empties of its own variables instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from plugformers.checkpoint.aligned import aligned_copy, is_aligned

from .framework import keras

_PENDING = "uninitialized_variables"  # Keras' global-state key for deferred variables


def _global_state():
    from keras.src.backend.common import global_state

    return global_state


@contextlib.contextmanager
def deferred_variables() -> Iterator[None]:
    """Variables created inside stay uninitialised until :func:`give_value` or :func:`initialize`."""
    state = _global_state()
    before = list(state.get_global_attribute(_PENDING, [], set_to_default=True))
    try:
        with keras.StatelessScope(initialize_variables=False):
            yield
    finally:
        pending = state.get_global_attribute(_PENDING, [], set_to_default=True)
        kept = {id(v) for v in before}
        state.set_global_attribute(_PENDING, [v for v in pending if id(v) in kept])


def is_uninitialized(variable: Any) -> bool:
    return getattr(variable, "_value", True) is None


def give_value(variable: Any, value: Any, *, owned: bool = False) -> None:
    """Set ``variable`` to ``value`` (same shape and dtype).

    An uninitialised variable is created from it; with ``owned`` (a fresh NumPy array nobody else
    holds) an aligned, contiguous array's memory becomes the variable's own, through DLPack,
    and anything else is copied once. An initialised variable is assigned.
    """
    if not is_uninitialized(variable):
        variable.assign(value)
        return
    import tensorflow as tf

    if isinstance(value, np.ndarray):
        if not (owned and value.flags.c_contiguous and value.flags.writeable and is_aligned(value)):
            value = aligned_copy(value)
        tensor = None
        if value.size:
            try:
                tensor = tf.experimental.dlpack.from_dlpack(value.__dlpack__())
            except (BufferError, TypeError, ValueError, tf.errors.InvalidArgumentError):
                pass  # a dtype DLPack cannot carry (bfloat16 from ml_dtypes): copied below
        if tensor is None:
            tensor = tf.constant(value)
    else:
        tensor = tf.convert_to_tensor(value)
    variable._initialize(tensor)


def initialize(variable: Any) -> None:
    """Give an uninitialised variable the value of its own initializer."""
    if is_uninitialized(variable):
        variable._deferred_initialize()
