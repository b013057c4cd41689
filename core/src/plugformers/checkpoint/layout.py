"""File names of a Hugging Face-layout checkpoint and which weights a directory holds.

The loader looks, in this order, for ``model.safetensors``, ``model.safetensors.index.json``,
``pytorch_model.bin`` and ``pytorch_model.bin.index.json`` (Transformers' order); the first one
present is the checkpoint, whatever else lies beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CheckpointError

SAFE_WEIGHTS_NAME = "model.safetensors"
SAFE_WEIGHTS_INDEX_NAME = "model.safetensors.index.json"
WEIGHTS_NAME = "pytorch_model.bin"
WEIGHTS_INDEX_NAME = "pytorch_model.bin.index.json"

# Loader order: (file name, sharded?, format).
WEIGHT_FILE_ORDER = (
    (SAFE_WEIGHTS_NAME, False, "safetensors"),
    (SAFE_WEIGHTS_INDEX_NAME, True, "safetensors"),
    (WEIGHTS_NAME, False, "pt"),
    (WEIGHTS_INDEX_NAME, True, "pt"),
)

# Shard names this package writes: model-00001-of-00003.safetensors, or with a generation
# tag (model-r1-00001-of-00003.safetensors) when the plain name is still in use.
SHARD_NAME = re.compile(r"model(?:-r\d+)?-\d{5}-of-\d{5}\.safetensors")


def shard_name(index: int, count: int, generation: int = 0) -> str:
    """Transformers' shard file name (1-based ``index``), tagged ``-r<generation>`` when nonzero."""
    tag = f"-r{generation}" if generation else ""
    return f"model{tag}-{index:05d}-of-{count:05d}.safetensors"


@dataclass(frozen=True)
class WeightsLayout:
    """The weights a directory holds: the entry file (single file or index) and its format."""

    directory: Path
    entry: Path
    sharded: bool
    format: str  # "safetensors" or "pt"


def find_weights(directory: Path) -> WeightsLayout | None:
    """The committed weights of ``directory`` in loader order, or None when there are none."""
    for name, sharded, fmt in WEIGHT_FILE_ORDER:
        candidate = directory / name
        if candidate.is_file():
            return WeightsLayout(directory=directory, entry=candidate, sharded=sharded, format=fmt)
    return None


def require_weights(directory: Path) -> WeightsLayout:
    """Like :func:`find_weights`, but a CheckpointError naming the directory when it holds none."""
    if not directory.exists():
        raise CheckpointError(f"{directory}: checkpoint directory not found")
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: is not a directory (pass the checkpoint directory)")
    layout = find_weights(directory)
    if layout is None:
        names = ", ".join(name for name, _, _ in WEIGHT_FILE_ORDER)
        raise CheckpointError(f"{directory}: no weights found (looked for {names})")
    return layout
