"""A legacy ``pytorch_model.bin`` file, read only through ``torch.load(weights_only=True)``.

Nothing else is ever unpickled: ``weights_only=True`` restricts the unpickler to tensors and
plain containers, so a pickle whose ``__reduce__`` would run code is refused (CheckpointError
naming the file) instead of executed. Zip-format files (every ``torch.save`` since PyTorch 1.6)
are memory-mapped (``mmap=True``).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

from ..errors import CheckpointError, MissingDependencyError
from .dtypes import code_of_torch


def load_torch_bin(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The state dict in ``path`` as ``{name: torch.Tensor}``; CheckpointError naming the file."""
    path = Path(path)
    try:
        import torch
    except ImportError:
        raise MissingDependencyError(
            f"{path} is a PyTorch pickle checkpoint; reading it needs: pip install torch"
        ) from None
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        if zipfile.is_zipfile(path):
            state = torch.load(path, weights_only=True, mmap=True, map_location="cpu")
        else:  # the pre-1.6 format cannot be memory-mapped; weights_only still applies
            state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:  # UnpicklingError, RuntimeError, EOFError, ... all mean "not loadable"
        raise CheckpointError(
            f"{path}: cannot load PyTorch checkpoint with weights_only=True (corrupt, truncated, or it contains"
            f" objects other than tensors, which are never unpickled): {type(error).__name__}: {error}"
        ) from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: expected a state dict of tensors, got {type(state).__name__}")
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{path}: entry {name!r} is not a named tensor ({type(value).__name__})")
    return state


class TorchBinFile:
    """A loaded ``pytorch_model.bin`` (or shard) with the same read methods as SafetensorsFile."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._state: dict[str, Any] | None = load_torch_bin(self.path)

    @property
    def state(self) -> dict[str, Any]:
        if self._state is None:
            raise CheckpointError(f"{self.path}: checkpoint file was closed")
        return self._state

    def keys(self) -> list[str]:
        return list(self.state)

    def __contains__(self, name: object) -> bool:
        return name in self.state

    def tensor(self, name: str) -> Any:
        try:
            return self.state[name]
        except KeyError:
            raise CheckpointError(f"{self.path}: no tensor named {name!r}") from None

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.tensor(name).shape)

    def dtype(self, name: str) -> str:
        return code_of_torch(self.tensor(name).dtype)

    def get_torch(self, name: str) -> Any:
        return self.tensor(name)

    def get_numpy(self, name: str) -> Any:
        """The tensor as a read-only NumPy array sharing its memory (bfloat16/float8 via ml_dtypes)."""
        from .dtypes import numpy_dtype

        tensor = self.tensor(name).detach()
        code = code_of_torch(tensor.dtype)
        target = numpy_dtype(code)
        try:
            array = tensor.numpy()
        except TypeError:  # bfloat16 / float8: reinterpret the bytes
            import torch

            raw = tensor.contiguous().reshape(-1).view(torch.uint8).numpy()
            array = raw.view(target).reshape(tuple(tensor.shape))
        array = array.view()
        array.flags.writeable = False
        return array

    def read_numpy(self, name: str) -> Any:
        """A fresh, writable, 64-byte-aligned copy of the tensor."""
        from .aligned import aligned_copy

        return aligned_copy(self.get_numpy(name))

    def close(self) -> None:
        self._state = None
