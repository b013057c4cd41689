"""``plugformers.outputs.ModelOutput`` classes as JAX pytrees, so models return them from ``jit``.

JAX only knows ``dict``/``OrderedDict`` by exact type, and a ``ModelOutput`` is a subclass, so
each output class is registered once: its children are the fields that are set, in order, and the
field names are the static part. :func:`register_model_outputs` registers every ``ModelOutput``
subclass defined so far; it runs when this package is imported and again whenever a Flax model
is built, which catches output classes a plugin defines in its modeling file.
:func:`register_model_output` registers one class explicitly (usable as a decorator).
"""

from __future__ import annotations

from typing import TypeVar

import jax

from plugformers.outputs import ModelOutput

OutputClass = TypeVar("OutputClass", bound=type)

_REGISTERED: set[type] = set()


def _flatten_with_keys(output: ModelOutput):
    keys = tuple(output.keys())
    return [(jax.tree_util.DictKey(k), output[k]) for k in keys], keys


def _flatten(output: ModelOutput):
    keys = tuple(output.keys())
    return [output[k] for k in keys], keys


def _unflatten(cls: type):
    def unflatten(keys, children):
        output = cls()
        for key, value in zip(keys, children):
            output[key] = value  # sets the key even for None/sentinel leaves, keeping the structure
        return output

    return unflatten


def register_model_output(cls: OutputClass) -> OutputClass:
    """Register one ``ModelOutput`` subclass as a pytree (idempotent); returns the class."""
    if cls not in _REGISTERED:
        jax.tree_util.register_pytree_with_keys(cls, _flatten_with_keys, _unflatten(cls), _flatten)
        _REGISTERED.add(cls)
    return cls


def register_model_outputs() -> None:
    """Register every ``ModelOutput`` subclass defined so far."""
    pending = list(ModelOutput.__subclasses__())
    while pending:
        cls = pending.pop()
        register_model_output(cls)
        pending.extend(cls.__subclasses__())
