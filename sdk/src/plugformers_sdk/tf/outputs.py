"""Model outputs that survive ``tf.function``: ``plugformers.outputs`` classes TensorFlow can rebuild.

When a ``tf.function`` (or ``model.export``) returns a mapping, TensorFlow rebuilds it by calling
its class with one positional argument, an iterable of ``(key, value)`` pairs. The dataclass
outputs of ``plugformers.outputs`` take their fields as arguments instead, so
:func:`as_tf_output` swaps an output for an instance of a subclass (same name, same fields,
``isinstance`` still true) whose constructor also accepts that form. ``PreTrainedModel.__call__``
applies it to whatever ``call`` returns, so architectures simply return the core classes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import fields
from typing import Any

from plugformers.outputs import ModelOutput

_SUBCLASSES: dict[type, type] = {}


def tf_output_class(cls: type) -> type:
    """The tf.function-friendly subclass of a ``ModelOutput`` class (cached)."""
    if cls in _SUBCLASSES or getattr(cls, "_plugformers_tf_output", False):
        return _SUBCLASSES.get(cls, cls)
    sub = type(cls.__name__, (cls,), {
        "__init__": lambda self, *a, **k: _init(self, cls, *a, **k),
        "__reduce__": lambda self: (cls, tuple(getattr(self, f.name) for f in fields(self))),
        "_plugformers_tf_output": True,
        "__module__": __name__,
        "__qualname__": cls.__qualname__,
    })
    _SUBCLASSES[cls] = sub
    return sub


def _init(self: ModelOutput, parent: type, *args: Any, **kwargs: Any) -> None:
    if len(args) == 1 and not kwargs and _is_pairs(args[0]):
        kwargs = dict(args[0].items() if isinstance(args[0], Mapping) else args[0])
        args = ()
    parent.__init__(self, *args, **kwargs)


def _is_pairs(value: Any) -> bool:
    # TensorFlow passes a generator of (key, value) pairs; a mapping is accepted too.
    return isinstance(value, (Mapping, Iterator))


def as_tf_output(output: Any) -> Any:
    """``output`` as an instance of its tf.function-friendly subclass (anything else unchanged)."""
    if not isinstance(output, ModelOutput) or getattr(type(output), "_plugformers_tf_output", False):
        return output
    sub = tf_output_class(type(output))
    return sub(**{f.name: getattr(output, f.name) for f in fields(output)})
