"""Entry points ``from_pretrained(..., gguf_file=...)`` goes through: resolve the file, build the
config from its metadata, open its tensors, build its tokenizer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .config import gguf_config_dict
from .file import GGUFFile
from .lookup import find_gguf_map
from .reader import GGUFCheckpointReader


def resolve_gguf_file(reference: str | os.PathLike[str], gguf_file: str | os.PathLike[str],
                      **hub_kwargs: Any) -> Path:
    """The local path of ``gguf_file`` in ``reference`` (a directory, checkpoint source or Hub
    repo), or ``gguf_file`` itself when it is an existing path."""
    direct = Path(gguf_file)
    if direct.is_absolute() and direct.is_file():
        return direct
    from ..hub import resolve_file

    return Path(resolve_file(reference, str(gguf_file), **{k: v for k, v in hub_kwargs.items() if v is not None}))


def load_gguf_config(path: str | os.PathLike[str] | GGUFFile, config_class: type | None = None,
                     **overrides: Any) -> Any:
    """The config of the model in a GGUF file: an instance of ``config_class``, or of the
    registered config class of the file's architecture."""
    from ..errors import ConfigError

    file = path if isinstance(path, GGUFFile) else GGUFFile.open(path)
    gguf_map = find_gguf_map(file.architecture, source=str(file.path))
    data = gguf_config_dict(file, gguf_map)
    if config_class is None:
        from ..auto import AutoConfig

        config_class = AutoConfig.config_class(gguf_map.model_type)
    try:
        return config_class.from_dict(data, **overrides)
    except ConfigError as error:
        raise ConfigError(f"{file.path}: {error}") from None


def open_gguf_checkpoint(path: str | os.PathLike[str], config: Any = None, *,
                         dtype: str = "float32") -> GGUFCheckpointReader:
    """A :class:`GGUFCheckpointReader` over ``path`` (the config supplies head counts)."""
    return GGUFCheckpointReader.open(path, config=config, dtype=dtype)


def gguf_model_type(path: str | os.PathLike[str] | GGUFFile) -> str:
    """The registered ``model_type`` that reads the file's ``general.architecture``."""
    file = path if isinstance(path, GGUFFile) else GGUFFile.open(path)
    return find_gguf_map(file.architecture, source=str(file.path)).model_type
