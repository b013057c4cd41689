"""The array operations the framework-neutral generation code is written against.

Logits processors, token selection and the beam-search bookkeeping are written once, in terms of an
``ArrayOps`` object, and run unchanged on PyTorch tensors, TensorFlow tensors (inside an XLA-compiled
``tf.function``) and JAX arrays (inside ``jax.jit``). Each framework implements only the handful of
primitives below (``plugformers_sdk.<fw>.generation``); the composites are defined here, once.

Conventions every implementation follows:

- Arithmetic and comparisons use the arrays' own operators (``+ - * / < == & | ~``).
- "Token ids" have the framework's id dtype (``int64`` torch, ``int32`` TF/JAX); scores are float32.
- Nothing branches on an array's value: conditions are arrays combined with ``where``, so the same code
  traces under XLA. ``cur_len`` and the other step counters may be Python ints (eager) or 0-d arrays
  (compiled); :meth:`ArrayOps.select` accepts a Python bool as well.
- Reductions and sorts work on the last axis unless an ``axis`` is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = Any
NEG_INF = float("-inf")


class ArrayOps:
    """Primitives (abstract here) plus composites built from them."""

    name = "abstract"

    # -- primitives: each framework implements these ---------------------------------------------
    def constant(self, array: np.ndarray) -> Array:
        """A framework array from NumPy (ints become the id dtype, floats float32, bools bool)."""
        raise NotImplementedError

    def to_numpy(self, x: Array) -> np.ndarray:
        raise NotImplementedError

    def arange(self, n: int) -> Array:
        """``[0, 1, ..., n-1]`` with the id dtype."""
        raise NotImplementedError

    def where(self, cond: Array, x: Array, y: Array) -> Array:
        raise NotImplementedError

    def cast(self, x: Array, kind: str) -> Array:
        """``kind``: ``"int"`` (id dtype), ``"float"`` (float32) or ``"bool"``."""
        raise NotImplementedError

    def full(self, shape: tuple[int, ...], value: Any, kind: str) -> Array:
        raise NotImplementedError

    def shape(self, x: Array) -> tuple[int, ...]:
        """The static shape (known at trace time in every framework we compile)."""
        raise NotImplementedError

    def reshape(self, x: Array, shape: tuple[int, ...]) -> Array:
        raise NotImplementedError

    def concat(self, xs: list[Array], axis: int) -> Array:
        raise NotImplementedError

    def pad_left(self, x: Array, amount: int, axis: int) -> Array:
        """Zeros (of ``x``'s dtype) prepended along ``axis``."""
        raise NotImplementedError

    def softmax(self, x: Array) -> Array:
        raise NotImplementedError

    def log_softmax(self, x: Array) -> Array:
        raise NotImplementedError

    def cumsum(self, x: Array, axis: int) -> Array:
        raise NotImplementedError

    def sort(self, x: Array) -> tuple[Array, Array]:
        """Ascending along the last axis: ``(values, indices)``."""
        raise NotImplementedError

    def argsort(self, x: Array) -> Array:
        raise NotImplementedError

    def topk(self, x: Array, k: int) -> tuple[Array, Array]:
        """The ``k`` largest along the last axis, descending: ``(values, indices)``."""
        raise NotImplementedError

    def take_along_axis(self, x: Array, indices: Array, axis: int) -> Array:
        raise NotImplementedError

    def take(self, x: Array, indices: Array, axis: int) -> Array:
        """Whole slices of ``x`` at ``indices`` (1-D) along ``axis``."""
        raise NotImplementedError

    def reduce(self, op: str, x: Array, axis: int, keepdims: bool = False) -> Array:
        """``op``: ``"max" | "min" | "sum" | "any" | "all"``."""
        raise NotImplementedError

    def argmax(self, x: Array, axis: int = -1) -> Array:
        raise NotImplementedError

    def presence(self, ids: Array, valid: Array, size: int) -> Array:
        """bool ``[rows, size]``: True where a valid entry of ``ids`` ``[rows, n]`` holds that id.
        Ids outside ``[0, size)`` are ignored."""
        raise NotImplementedError

    def uniform(self, rng: Any, shape: tuple[int, ...], step: Any) -> Array:
        """Uniform floats in ``[0, 1)``; ``rng`` is the framework's random state, ``step`` the
        decoding position (stateless frameworks fold it into the key)."""
        raise NotImplementedError

    # -- composites: written once -----------------------------------------------------------------
    def select(self, cond: Any, x: Array, y: Array) -> Array:
        """``where`` that also takes a Python bool (known while tracing)."""
        if isinstance(cond, (bool, np.bool_)):
            return x if cond else y
        return self.where(cond, x, y)

    def isin(self, x: Array, values: list[int] | tuple[int, ...]) -> Array:
        """bool, True where ``x`` equals one of ``values`` (a static list)."""
        if not values:
            return x != x  # all False, same shape
        result = x == values[0]
        for value in values[1:]:
            result = result | (x == value)
        return result

    def vocab_mask(self, tokens: list[int] | tuple[int, ...], size: int) -> Array:
        """bool ``[size]``: True at ``tokens``."""
        mask = np.zeros(size, dtype=bool)
        mask[[t for t in tokens if 0 <= t < size]] = True
        return self.constant(mask)

    def column(self, x: Array, index: Any) -> Array:
        """``x[:, index]`` for a Python int or 0-d array ``index``."""
        rows = self.shape(x)[0]
        positions = self.full((rows, 1), 0, "int") + index
        return self.reshape(self.take_along_axis(x, positions, 1), (rows,))

    def tail(self, sequences: Array, cur_len: Any, k: int) -> Array:
        """``sequences[:, cur_len - k : cur_len]`` (indices clamped at 0; callers mask short rows)."""
        rows = self.shape(sequences)[0]
        positions = self.arange(k)[None, :] + (cur_len - k)
        positions = self.where(positions < 0, 0 * positions, positions)
        positions = self.full((rows, k), 0, "int") + positions
        return self.take_along_axis(sequences, positions, 1)

    def set_column(self, x: Array, index: Any, values: Array) -> Array:
        """``x`` with column ``index`` replaced by ``values`` ``[rows]``."""
        length = self.shape(x)[1]
        return self.where(self.arange(length)[None, :] == index, values[:, None], x)

    def gumbel(self, rng: Any, shape: tuple[int, ...], step: Any) -> Array:
        """Standard Gumbel noise: ``argmax(scores + gumbel)`` samples from ``softmax(scores)``."""
        tiny = float(np.finfo(np.float32).tiny)
        u = self.uniform(rng, shape, step)
        u = self.where(u < tiny, 0.0 * u + tiny, u)
        return -self.log(-self.log(u))

    def log(self, x: Array) -> Array:
        """Natural log (elementwise); a primitive some frameworks override for speed."""
        raise NotImplementedError
