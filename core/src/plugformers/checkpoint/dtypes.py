"""Safetensors dtype codes and their NumPy / PyTorch equivalents.

NumPy has no bfloat16 or float8 types: those come from ``ml_dtypes`` (imported lazily, only
when such a tensor is read or written as NumPy). PyTorch is imported only by the ``torch_*``
functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import CheckpointError, MissingDependencyError


@dataclass(frozen=True)
class DType:
    """One safetensors dtype: its code, item size, NumPy name and torch attribute name."""

    code: str
    itemsize: int
    numpy: str  # a numpy dtype name, or "ml_dtypes.<name>"
    torch: str  # attribute of the torch module


_TABLE = (
    DType("F64", 8, "float64", "float64"),
    DType("F32", 4, "float32", "float32"),
    DType("F16", 2, "float16", "float16"),
    DType("BF16", 2, "ml_dtypes.bfloat16", "bfloat16"),
    DType("I64", 8, "int64", "int64"),
    DType("I32", 4, "int32", "int32"),
    DType("I16", 2, "int16", "int16"),
    DType("I8", 1, "int8", "int8"),
    DType("U64", 8, "uint64", "uint64"),
    DType("U32", 4, "uint32", "uint32"),
    DType("U16", 2, "uint16", "uint16"),
    DType("U8", 1, "uint8", "uint8"),
    DType("BOOL", 1, "bool", "bool"),
    DType("C64", 8, "complex64", "complex64"),
    DType("F8_E4M3", 1, "ml_dtypes.float8_e4m3fn", "float8_e4m3fn"),
    DType("F8_E5M2", 1, "ml_dtypes.float8_e5m2", "float8_e5m2"),
    DType("F8_E4M3FNUZ", 1, "ml_dtypes.float8_e4m3fnuz", "float8_e4m3fnuz"),
    DType("F8_E5M2FNUZ", 1, "ml_dtypes.float8_e5m2fnuz", "float8_e5m2fnuz"),
    DType("F8_E8M0", 1, "ml_dtypes.float8_e8m0fnu", "float8_e8m0fnu"),
)

DTYPES: dict[str, DType] = {entry.code: entry for entry in _TABLE}


def lookup(code: str) -> DType:
    try:
        return DTYPES[code]
    except KeyError:
        raise CheckpointError(f"unknown safetensors dtype {code!r}; known: {', '.join(DTYPES)}") from None


def _ml_dtypes() -> Any:
    try:
        import ml_dtypes
    except ImportError:
        raise CheckpointError(
            "bfloat16 and float8 tensors need the ml_dtypes package to be read or written as NumPy arrays:"
            " pip install ml_dtypes"
        ) from None
    return ml_dtypes


def numpy_dtype(code: str) -> Any:
    """The NumPy dtype of a safetensors code (bfloat16/float8 through ml_dtypes)."""
    import numpy as np

    name = lookup(code).numpy
    if name.startswith("ml_dtypes."):
        attribute = name.split(".", 1)[1]
        ml_dtypes = _ml_dtypes()
        if not hasattr(ml_dtypes, attribute):
            raise CheckpointError(f"dtype {code} needs a newer ml_dtypes with {attribute}: pip install -U ml_dtypes")
        return np.dtype(getattr(ml_dtypes, attribute))
    return np.dtype(name)


def torch_dtype(code: str) -> Any:
    """The torch dtype of a safetensors code."""
    try:
        import torch
    except ImportError:
        raise MissingDependencyError("reading tensors as torch.Tensor needs PyTorch: pip install torch") from None

    name = lookup(code).torch
    if not hasattr(torch, name):
        raise MissingDependencyError(f"dtype {code} needs a torch with torch.{name}: pip install -U torch")
    return getattr(torch, name)


def code_of_numpy(dtype: Any) -> str:
    """The safetensors code of a NumPy dtype; CheckpointError for dtypes safetensors cannot hold."""
    import numpy as np

    dtype = np.dtype(dtype)
    name = dtype.name
    for entry in _TABLE:
        numpy_name = entry.numpy.split(".", 1)[1] if entry.numpy.startswith("ml_dtypes.") else entry.numpy
        if name == numpy_name and dtype.itemsize == entry.itemsize:
            return entry.code
    raise CheckpointError(f"NumPy dtype {dtype} cannot be stored in safetensors")


def code_of_torch(dtype: Any) -> str:
    """The safetensors code of a torch dtype; CheckpointError for dtypes safetensors cannot hold."""
    name = str(dtype).removeprefix("torch.")
    for entry in _TABLE:
        if entry.torch == name:
            return entry.code
    raise CheckpointError(f"torch dtype {dtype} cannot be stored in safetensors")
