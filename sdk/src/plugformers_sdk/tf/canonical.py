"""The canonical tensor walk: Keras variables under their Transformers-PyTorch names and layouts.

A TensorFlow model mirrors the PyTorch module tree attribute by attribute, so the canonical name
of a tensor is the path of attributes that leads to the layer owning it (lists of layers give
``.0``, ``.1``, ...) followed by the name the layer declares for it. Each SDK layer declares its
own tensors and their layout transform through ``canonical_tensors()``::

    class Linear(CanonicalLayer):
        def canonical_tensors(self):
            return {"weight": CanonicalTensor(self.kernel, transpose=True),  # kernel is weight.T
                    "bias": CanonicalTensor(self.bias)}

:func:`canonical_variables` walks the tree; it never guesses from variable names, and it refuses a
model holding a variable that no layer declared (``PluginError`` naming the variable), so a plugin
cannot silently drop a tensor from its checkpoints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from plugformers.checkpoint.aligned import aligned_copy
from plugformers.errors import PluginError

from .deferred import give_value
from .framework import keras


@dataclass(frozen=True)
class CanonicalTensor:
    """One Keras variable and how its stored layout relates to the canonical one.

    ``transpose=True`` means the variable holds the canonical tensor with its axes reversed (a
    Dense kernel ``[in, out]`` is the PyTorch Linear weight ``[out, in]`` transposed). ``init``
    says how a fresh tensor starts (``"normal"``: N(0, initializer_range), ``"zeros"``, ``"ones"``);
    it is used for tensors a checkpoint lacks.
    """

    variable: Any
    transpose: bool = False
    init: str = "normal"

    @property
    def shape(self) -> tuple[int, ...]:
        """The canonical shape."""
        shape = tuple(int(d) for d in self.variable.shape)
        return shape[::-1] if self.transpose else shape

    def to_canonical(self) -> np.ndarray:
        value = np.asarray(self.variable.numpy())
        return np.ascontiguousarray(value.T) if self.transpose else value

    def assign_canonical(self, array: Any, *, owned: bool = False) -> None:
        """Set the variable from a canonical array (NumPy, possibly memory-mapped), one copy at a time.

        ``owned``: ``array`` is fresh and nobody else holds it, so a variable not yet created
        (a model being loaded, :mod:`.deferred`) may adopt its memory.
        """
        array = np.asarray(array)
        if self.transpose:
            array = array.T
        target = _numpy_dtype(self.variable)
        if array.dtype != target or not array.flags.c_contiguous:
            array, owned = aligned_copy(array, target), True  # one pass: transpose and cast
        give_value(self.variable, array, owned=owned)


def _numpy_dtype(variable: Any) -> np.dtype:
    import ml_dtypes  # installed with TensorFlow

    name = keras.backend.standardize_dtype(variable.dtype)
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


class CanonicalLayer(keras.layers.Layer):
    """A Keras layer that declares its own canonical tensors (override :meth:`canonical_tensors`).

    Keras reserves ``output`` as a read-only property, but Transformers' module trees use it as a
    sub-module name (BERT's ``attention.output.dense``); here it is an ordinary attribute, so
    architectures can mirror those trees as they are.
    """

    @property
    def output(self):
        try:
            return self.__dict__["output"]
        except KeyError:
            raise AttributeError("output") from None

    @output.setter
    def output(self, value):
        self.__dict__["output"] = value

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        return {}


def _children(layer: Any) -> Iterator[tuple[str, Any]]:
    """(attribute name, sub-layer) pairs in attribute order; lists and dicts of layers are expanded."""
    for name, value in vars(layer).items():
        if name.startswith("_"):
            continue
        if isinstance(value, keras.layers.Layer):
            yield name, value
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, keras.layers.Layer):
                    yield f"{name}.{index}", item
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(item, keras.layers.Layer):
                    yield f"{name}.{key}", item


def walk_canonical(layer: Any, prefix: str = "") -> dict[str, CanonicalTensor]:
    """Every declared tensor under ``layer``, by canonical name, in tree order.

    A variable reachable under two names (a layer shared by two attributes) keeps its first name.
    """
    out: dict[str, CanonicalTensor] = {}
    seen: set[int] = set()
    visited: set[int] = set()

    def visit(node: Any, path: str) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, CanonicalLayer):
            for name, tensor in node.canonical_tensors().items():
                if tensor is None or tensor.variable is None:
                    continue
                if id(tensor.variable) in seen:
                    continue
                seen.add(id(tensor.variable))
                out[f"{path}{name}"] = tensor
        for name, child in _children(node):
            visit(child, f"{path}{name}.")

    visit(layer, prefix)
    return out


def canonical_variables(layer: Any) -> dict[str, CanonicalTensor]:
    """:func:`walk_canonical`, refusing any weight of ``layer`` that no layer declared."""
    tensors = walk_canonical(layer)
    declared = {id(t.variable) for t in tensors.values()}
    undeclared = [v.path for v in layer.weights if id(v) not in declared]
    if undeclared:
        raise PluginError(
            f"{type(layer).__name__} holds variables that no layer declares in canonical_tensors(), so they "
            f"would be missing from its checkpoints: {', '.join(undeclared)}"
        )
    return tensors
