"""The framework-neutral half of ``from_pretrained`` / ``save_pretrained``.

Each framework's ``PreTrainedModel`` calls these, so the three share one way to resolve a
reference, read its config and open its weights, and one way to write a checkpoint:

- :func:`resolve_pretrained`: reference (local directory, checkpoint-source name or Hub id) ->
  ``(directory, config)``, with the config read from ``config.json`` and overridden by keyword
  arguments (an unknown override is kept like any unknown key, as Transformers does).
- :func:`open_weights`: a :class:`plugformers.checkpoint.CheckpointReader` over the directory.
- :func:`checkpoint_shapes`: canonical name -> shape of every tensor in a checkpoint.
- :func:`save_pretrained`: ``config.json`` + canonical safetensors (sharded past
  ``max_shard_size``), each file written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError

from .weights import Shape


def resolve_pretrained(
    config_class: type[PretrainedConfig],
    reference: str | os.PathLike[str],
    *,
    config: PretrainedConfig | None = None,
    hub_kwargs: Mapping[str, Any] | None = None,
    config_overrides: Mapping[str, Any] | None = None,
) -> tuple[Path, PretrainedConfig]:
    """Resolve ``reference`` to a local checkpoint directory and load its config.

    ``config`` (an instance of ``config_class``) replaces ``config.json``; ``config_overrides``
    are set on the config either way. ``hub_kwargs``: revision, token, local_files_only,
    cache_dir, subfolder (``None`` values are dropped).
    """
    from plugformers.hub import resolve_checkpoint_dir

    hub_kwargs = {k: v for k, v in (hub_kwargs or {}).items() if v is not None}
    overrides = dict(config_overrides or {})
    directory = resolve_checkpoint_dir(reference, **hub_kwargs)
    if config is None:
        config = config_class.from_pretrained(directory, **overrides)
    else:
        if not isinstance(config, config_class):
            raise ConfigError(
                f"config= must be a {config_class.__name__}, got {type(config).__name__}"
            )
        config = config.copy()
        for key, value in overrides.items():
            setattr(config, key, value)
        config.validate()
    return directory, config


def open_weights(directory: str | os.PathLike[str]):
    """A :class:`~plugformers.checkpoint.CheckpointReader` over ``directory``'s weight files."""
    from plugformers.checkpoint import CheckpointReader

    return CheckpointReader.open(directory)


def checkpoint_shapes(reader: Any) -> dict[str, Shape]:
    """Canonical name -> shape of every tensor the reader holds."""
    return {name: tuple(reader.shape(name)) for name in reader.keys()}


def save_pretrained(
    directory: str | os.PathLike[str],
    config: PretrainedConfig,
    tensors: Mapping[str, Any],
    *,
    max_shard_size: int | str = "5GB",
    dtype: str | None = None,
) -> list[Path]:
    """Write ``config.json`` and the canonical ``tensors`` into ``directory``.

    ``tensors`` must already omit tied copies. ``dtype`` (the model's float dtype name) is
    recorded as ``torch_dtype`` in the written config, as Transformers does; the caller's config
    object is not changed. Returns the files written (config first).
    """
    from plugformers.checkpoint import save_checkpoint
    from plugformers.errors import CheckpointError

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise CheckpointError(f"save_pretrained: {directory} exists and is not a directory")
    if dtype is not None:
        config = config.copy()
        config.torch_dtype = dtype
    written = [config.save_pretrained(directory)]
    written += save_checkpoint(tensors, directory, max_shard_size=max_shard_size, metadata={"format": "pt"})
    return written
