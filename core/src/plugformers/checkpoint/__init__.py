"""Checkpoint I/O: read and write Hugging Face-layout weights (safetensors, sharded, legacy .bin).

- :class:`CheckpointReader` reads ``model.safetensors``, sharded safetensors, or legacy
  ``pytorch_model.bin`` (through ``torch.load(weights_only=True)`` only), lazily and memory-mapped.
- :func:`save_checkpoint` writes ``model.safetensors`` or shards + ``model.safetensors.index.json``
  atomically (see :mod:`plugformers.checkpoint.writer` for the commit protocol).
- :func:`atomic_write_text`, :func:`atomic_write_bytes` write any file crash-safely;
  :func:`parse_size` reads ``"5GB"``-style sizes.

Nothing here imports torch until a torch tensor is asked for.
"""

from __future__ import annotations

from .atomic import atomic_write_bytes, atomic_write_text
from .layout import SAFE_WEIGHTS_INDEX_NAME, SAFE_WEIGHTS_NAME, WEIGHTS_INDEX_NAME, WEIGHTS_NAME
from .reader import CheckpointReader
from .sizes import parse_size
from .writer import save_checkpoint

__all__ = [
    "CheckpointReader",
    "save_checkpoint",
    "atomic_write_bytes",
    "atomic_write_text",
    "parse_size",
    "SAFE_WEIGHTS_NAME",
    "SAFE_WEIGHTS_INDEX_NAME",
    "WEIGHTS_NAME",
    "WEIGHTS_INDEX_NAME",
]
