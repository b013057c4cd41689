"""Computed (non-persistent) buffers that survive building a model on the meta device.

A model loaded with ``from_pretrained`` is built under ``torch.device("meta")``, so every tensor
created in ``__init__`` -- buffers included -- has no data. Parameters and persistent buffers
get their data from the checkpoint; a non-persistent buffer (rotary ``inv_freq``, BERT's
``position_ids``) is not in the checkpoint and must be computed again. Register it with
:func:`register_computed_buffer` and the base class recomputes it on the real device after
loading::

    register_computed_buffer(self, "position_ids", lambda: torch.arange(max_len).expand((1, -1)))

The factory must not capture ``self`` (capture plain numbers) and must create its tensor with
default device placement: it is called inside a ``torch.device(...)`` context.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

BufferFactory = Callable[[], torch.Tensor]

_FACTORIES_ATTRIBUTE = "_plugformers_computed_buffers"


def register_computed_buffer(module: torch.nn.Module, name: str, factory: BufferFactory) -> None:
    """Register ``factory()`` as the non-persistent buffer ``name`` of ``module``, remembering
    the factory so the buffer can be rebuilt (:func:`rebuild_computed_buffers`)."""
    factories = module.__dict__.setdefault(_FACTORIES_ATTRIBUTE, {})
    factories[name] = factory
    module.register_buffer(name, factory(), persistent=False)


def rebuild_computed_buffers(model: torch.nn.Module, device: torch.device | str | None = None) -> None:
    """Recompute every registered computed buffer of ``model`` on ``device`` (default: where the
    model's parameters live)."""
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    with torch.device(device):
        for module in model.modules():
            for name, factory in module.__dict__.get(_FACTORIES_ATTRIBUTE, {}).items():
                module.register_buffer(name, factory(), persistent=False)
