"""The bytes of one NumPy array or torch tensor, as a safetensors file stores them.

Each tensor contributes exactly its own elements, contiguous, little-endian, in C order: a
non-contiguous view is packed, and tensors that share storage are written separately, each
with its own bytes (never the whole shared storage). Conversion happens per tensor at write
time, so a save holds at most one packed copy at once.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from ..errors import CheckpointError
from .dtypes import code_of_numpy, code_of_torch, lookup


@dataclass(frozen=True)
class TensorSource:
    """A tensor to be saved: its safetensors dtype, shape, size and original object."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    value: Any

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * lookup(self.dtype).itemsize

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def to_bytes(self) -> memoryview:
        """The tensor's own bytes, contiguous and little-endian."""
        if _is_torch_tensor(self.value):
            return _torch_bytes(self.value)
        return _numpy_bytes(self.value)


def tensor_source(name: object, value: object) -> TensorSource:
    """Describe ``value`` (a NumPy array or torch tensor) for saving; CheckpointError otherwise."""
    import numpy as np

    if not isinstance(name, str) or not name:
        raise CheckpointError(f"tensor names must be non-empty strings, got {name!r}")
    if name == "__metadata__":
        raise CheckpointError("'__metadata__' is reserved in safetensors and cannot name a tensor")
    if _is_torch_tensor(value):
        if value.is_sparse or value.layout != _torch_strided():
            raise CheckpointError(f"tensor {name!r}: only dense (strided) torch tensors can be saved")
        return TensorSource(name, code_of_torch(value.dtype), tuple(value.shape), value)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        try:
            code = code_of_numpy(value.dtype)
        except CheckpointError as error:
            raise CheckpointError(f"tensor {name!r}: {error}") from None
        return TensorSource(name, code, tuple(value.shape), value)
    raise CheckpointError(f"tensor {name!r}: expected a NumPy array or torch.Tensor, got {type(value).__name__}")


def _is_torch_tensor(value: object) -> bool:
    torch = sys.modules.get("torch")  # a torch tensor implies torch is already imported
    return torch is not None and isinstance(value, torch.Tensor)


def _torch_strided() -> Any:
    return sys.modules["torch"].strided


def _numpy_bytes(value: Any) -> memoryview:
    import numpy as np

    array = np.asarray(value)
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and sys.byteorder == "big"):
        array = array.astype(array.dtype.newbyteorder("<"))
    array = np.ascontiguousarray(array)
    return memoryview(array.reshape(-1).view(np.uint8))


def _torch_bytes(value: Any) -> memoryview:
    import torch

    tensor = value.detach()
    if tensor.device.type != "cpu":
        tensor = tensor.cpu()
    tensor = tensor.resolve_conj().resolve_neg().contiguous().reshape(-1)
    if sys.byteorder == "big":  # pragma: no cover - little-endian hosts only in CI
        raise CheckpointError("saving torch tensors on a big-endian host is not supported")
    return memoryview(tensor.view(torch.uint8).numpy())
