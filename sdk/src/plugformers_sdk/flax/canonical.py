"""The canonical tensor walk: how a Flax NNX module tree maps to Transformers' PyTorch names.

A Flax model mirrors the PyTorch module tree attribute by attribute. Each SDK layer declares
its own tensors with :meth:`canonical_tensors` -> ``{local_name: CanonicalTensor}`` (a Linear
says ``weight`` is its ``kernel`` transposed). :func:`walk_canonical` visits the tree in
attribute order and joins attribute names (list items become ``0``, ``1``, ...), so the name of a
tensor is its path, never a guess. A bare ``nnx.Param`` set on an architecture's own module
(BERT's ``cls.predictions.bias``) is canonical as is, under its attribute name. Other variables
(caches, rng state, rotary buffers) are not saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import jax
import numpy as np
from flax import nnx


@dataclass(frozen=True)
class Transform:
    """How a stored array relates to its canonical (PyTorch) layout."""

    name: str
    transpose: bool = False

    def to_canonical(self, array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array.T) if self.transpose else array

    def from_canonical(self, array: np.ndarray) -> np.ndarray:
        return array.T if self.transpose else array

    def canonical_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(reversed(shape)) if self.transpose else tuple(shape)


IDENTITY = Transform("identity")
TRANSPOSE = Transform("transpose", transpose=True)


@dataclass(frozen=True)
class CanonicalTensor:
    """One canonical tensor: the variable that stores it and the transform to its layout."""

    variable: nnx.Variable
    transform: Transform = IDENTITY

    @property
    def shape(self) -> tuple[int, ...]:
        """The canonical shape (works on abstract variables too)."""
        return self.transform.canonical_shape(tuple(self.variable.get_value().shape))

    def to_numpy(self) -> np.ndarray:
        """The tensor in canonical layout as a NumPy array (bfloat16 as ``ml_dtypes.bfloat16``)."""
        return self.transform.to_canonical(np.asarray(jax.device_get(self.variable.get_value())))

    def assign(self, canonical: np.ndarray, dtype, *, owned: bool = False) -> None:
        """Set the variable from a canonical-layout array, cast to ``dtype``.

        ``owned``: nothing will change the array's memory after this call (a checkpoint's
        copy-on-write map, or a fresh array): the device array may then adopt that memory instead
        of copying it (JAX does on CPU when the data is 64-byte aligned). Otherwise the value is
        always a copy."""
        stored = self.transform.from_canonical(np.asarray(canonical))
        if not owned:
            self.variable.set_value(jax.numpy.array(stored, dtype=dtype, copy=True))  # asarray may alias
            return
        target = np.dtype(dtype)
        self.variable.set_value(jax.device_put(stored if stored.dtype == target else stored.astype(target)))


def _children(module: nnx.Module) -> Iterator[tuple[str, object]]:
    if isinstance(module, nnx.List):
        for index in range(len(module)):
            yield str(index), module[index]
        return
    for name, value in vars(module).items():
        if not name.startswith("_"):
            yield name, value


def walk_canonical(module: nnx.Module, prefix: str = "") -> Iterator[tuple[str, CanonicalTensor]]:
    """Yield ``(canonical_name, CanonicalTensor)`` for every saved tensor under ``module``."""
    declare = getattr(module, "canonical_tensors", None)
    if callable(declare):
        for local, tensor in declare().items():
            yield prefix + local, tensor
        return
    for name, value in _children(module):
        if isinstance(value, nnx.Param):
            yield prefix + name, CanonicalTensor(value)
        elif isinstance(value, (nnx.Module, nnx.List)):
            yield from walk_canonical(value, prefix + name + ".")


def find_layer(module: nnx.Module, canonical_name: str) -> tuple[nnx.Module, str]:
    """The module that owns ``canonical_name`` and the tensor's local name in it (by attributes)."""
    parts = canonical_name.split(".")
    node = module
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, nnx.List) else getattr(node, part)
    return node, parts[-1]
