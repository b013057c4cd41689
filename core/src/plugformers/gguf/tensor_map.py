"""``GGUFMap``: what an architecture plugin declares so core can read its GGUF files.

A plugin registers ``gguf="plugformers_llama.gguf_map:GGUF_MAP"``; the map is plain data:

- ``architectures``: the ``general.architecture`` values it reads (``("llama",)``).
- ``model_type``: the registered ``model_type`` it produces.
- ``config``: GGUF metadata key -> config field. ``{arch}`` in a key stands for the file's
  architecture; a dotted field (``"rope_scaling.factor"``) fills a nested dict.
- ``config_defaults``: fields set when the file does not give them.
- ``tensors``: GGUF tensor name -> canonical (Transformers PyTorch) name; ``{bid}`` stands for
  the block (layer) number in both.
- ``transforms``: canonical name pattern -> ``(transform, config field)`` for tensors whose GGUF
  layout differs from the canonical one (see :data:`TRANSFORMS`); the field may be a tuple of
  fields, the first one set being used.
- ``tied_output``: the GGUF name of the output projection; a file without it has tied word
  embeddings (``tie_word_embeddings=True``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import CheckpointError


def reverse_rope_permute(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """Undo llama.cpp's query/key row permutation (interleaved rotary pairs back to the
    rotate-half layout): per head, rows ``[0, 2, 4, ..., 1, 3, 5, ...]`` of the stored tensor."""
    rows = weight.shape[0]
    if num_heads <= 0 or rows % (2 * num_heads):
        raise CheckpointError(f"cannot un-permute a tensor of {rows} rows into {num_heads} rotary heads")
    half = rows // num_heads // 2
    rest = weight.shape[1:]
    return weight.reshape(num_heads, half, 2, *rest).swapaxes(1, 2).reshape(weight.shape)


# transform name -> function(array, value of the named config field)
TRANSFORMS: dict[str, Callable[[np.ndarray, Any], np.ndarray]] = {
    "reverse_rope_permute": reverse_rope_permute,
}


@lru_cache(maxsize=512)
def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(template).replace(re.escape("{bid}"), r"(?P<bid>\d+)") + "$")


@dataclass(frozen=True)
class GGUFMap:
    """An architecture's GGUF names (see the module docstring)."""

    architectures: tuple[str, ...]
    model_type: str
    config: dict[str, str]
    tensors: dict[str, str]
    config_defaults: dict[str, Any] = field(default_factory=dict)
    transforms: dict[str, tuple[str, str | tuple[str, ...]]] = field(default_factory=dict)
    tied_output: str | None = "output.weight"

    def __post_init__(self) -> None:
        for pattern, (name, _field) in self.transforms.items():
            if name not in TRANSFORMS:
                raise ValueError(f"GGUFMap for {self.model_type}: unknown transform {name!r} for {pattern!r}")

    def canonical_name(self, gguf_name: str) -> str | None:
        """The canonical name of a GGUF tensor, or None when the map does not know it."""
        for gguf_template, canonical_template in self.tensors.items():
            match = _pattern(gguf_template).match(gguf_name)
            if match:
                return canonical_template.replace("{bid}", match.groupdict().get("bid") or "")
        return None

    def transform_for(self, canonical_name: str) -> tuple[str, str | tuple[str, ...]] | None:
        """``(transform name, config field)`` to apply to a canonical tensor, or None."""
        for template, spec in self.transforms.items():
            if _pattern(template).match(canonical_name):
                return spec
        return None
