"""Finding the :class:`GGUFMap` of a file's architecture among the registered plugins."""

from __future__ import annotations

from typing import Any

from ..errors import CheckpointError
from .tensor_map import GGUFMap


def registered_gguf_maps(registry: Any = None) -> list[GGUFMap]:
    """Every GGUF map the installed architecture plugins register (imports only the map modules)."""
    from ..registry import get_registry

    registry = registry or get_registry()
    maps = []
    for record in registry.architectures.values():
        if record.gguf:
            gguf_map = registry.load(record.gguf, record.model_type)
            if not isinstance(gguf_map, GGUFMap):
                raise CheckpointError(f"{record.gguf} (registered by {record.plugin}) is not a plugformers GGUFMap")
            maps.append(gguf_map)
    return maps


def find_gguf_map(architecture: str, *, source: str = "GGUF file", registry: Any = None) -> GGUFMap:
    """The map reading GGUF architecture ``architecture``; CheckpointError naming the file when
    no installed plugin reads it."""
    maps = registered_gguf_maps(registry)
    for gguf_map in maps:
        if architecture in gguf_map.architectures:
            return gguf_map
    known = sorted({a for m in maps for a in m.architectures})
    raise CheckpointError(
        f"{source}: GGUF architecture {architecture!r} is not supported by any installed plugin "
        f"(supported: {', '.join(known) or 'none'})"
    )
