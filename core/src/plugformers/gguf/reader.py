"""``GGUFCheckpointReader``: a GGUF file read like a checkpoint directory.

Same interface as :class:`plugformers.checkpoint.CheckpointReader` (``keys``, ``shape``,
``dtype``, ``get_numpy``, ``read_numpy``, ``get_torch``, ``close``, context manager, ``path``, ``files``), with
canonical (Transformers PyTorch) tensor names produced by the architecture's :class:`GGUFMap`.
Tensors are dequantised one at a time on request, so loading never holds a second dequantised
copy of the whole model. GGUF tensors the map does not name keep their GGUF name (a model
loading them reports them as unexpected).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError
from .dequantize import BLOCK_LAYOUTS, dequantize
from .file import GGUFFile
from .tensor_map import TRANSFORMS, GGUFMap

_DTYPE_CODES = {"float32": "F32", "float16": "F16"}


def _config_value(config: Any, field: str) -> Any:
    if isinstance(config, Mapping):
        return config.get(field)
    return getattr(config, field, None)


class GGUFCheckpointReader:
    """Canonical tensors of a GGUF file (see the module docstring).

    ``config``: the model config (object or dict) giving the values transforms need (head
    counts); ``dtype``: ``"float32"`` (default) or ``"float16"`` for dequantised tensors.
    """

    def __init__(self, file: GGUFFile, gguf_map: GGUFMap, config: Any, *, dtype: str = "float32") -> None:
        if dtype not in _DTYPE_CODES:
            raise ValueError(f"GGUFCheckpointReader: dtype must be 'float32' or 'float16', got {dtype!r}")
        self.file = file
        self.gguf_map = gguf_map
        self.config = config
        self.path = file.path
        self.files = [file.path]
        self._dtype = dtype
        self._sources: dict[str, str] = {}  # canonical name -> GGUF name
        for gguf_name, info in file.tensors.items():
            if info.type_name not in BLOCK_LAYOUTS:
                raise CheckpointError(
                    f"{file.path}: tensor {gguf_name!r} has quantisation type {info.type_name}, which is not "
                    f"supported (supported: {', '.join(BLOCK_LAYOUTS)})"
                )
            name = gguf_map.canonical_name(gguf_name) or gguf_name
            if name in self._sources:
                raise CheckpointError(
                    f"{file.path}: GGUF tensors {self._sources[name]!r} and {gguf_name!r} both map to {name!r}"
                )
            self._sources[name] = gguf_name

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, gguf_map: GGUFMap | None = None, config: Any = None,
             dtype: str = "float32") -> GGUFCheckpointReader:
        """Open ``path``; the map is found through the registry by ``general.architecture`` when
        not given, and the config is built from the metadata when not given."""
        from .config import gguf_config_dict
        from .lookup import find_gguf_map

        file = GGUFFile.open(path)
        gguf_map = gguf_map or find_gguf_map(file.architecture, source=str(file.path))
        if config is None:
            config = gguf_config_dict(file, gguf_map)
        return cls(file, gguf_map, config, dtype=dtype)

    # -- the CheckpointReader interface ---------------------------------------------------------
    def keys(self) -> list[str]:
        return list(self._sources)

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def _info(self, name: str):
        try:
            return self.file.tensors[self._sources[name]]
        except KeyError:
            raise CheckpointError(f"{self.path}: no tensor {name!r} in this GGUF file") from None

    def shape(self, name: str) -> tuple[int, ...]:
        return self._info(name).shape

    def dtype(self, name: str) -> str:
        """The safetensors code of what :meth:`get_numpy` returns (``"F32"`` or ``"F16"``)."""
        self._info(name)
        return _DTYPE_CODES[self._dtype]

    def gguf_type(self, name: str) -> str:
        """The stored quantisation type (``"Q4_1"``, ``"F32"`` ...)."""
        return self._info(name).type_name

    def gguf_name(self, name: str) -> str:
        self._info(name)
        return self._sources[name]

    def get_numpy(self, name: str) -> np.ndarray:
        """The dequantised tensor, canonical layout, as float32 (or float16) NumPy (read-only when
        it is a view of the memory-mapped file: float tensors stored in the requested dtype)."""
        info = self._info(name)
        array = dequantize(info.raw, info.type_name, info.shape, dtype=self._dtype,
                           source=f"{self.path}: tensor {info.name!r}")
        spec = self.gguf_map.transform_for(name)
        if spec is not None:
            transform, fields = spec
            fields = (fields,) if isinstance(fields, str) else tuple(fields)
            value = next((v for v in (_config_value(self.config, f) for f in fields) if v is not None), None)
            if value is None:
                raise CheckpointError(f"{self.path}: tensor {name!r} needs config field {fields[0]!r}, which is unset")
            array = TRANSFORMS[transform](array, value)
        return np.ascontiguousarray(array)

    def read_numpy(self, name: str) -> np.ndarray:
        """The dequantised tensor as a fresh, writable, 64-byte-aligned array."""
        from ..checkpoint.aligned import aligned_copy

        return aligned_copy(self.get_numpy(name))

    def get_torch(self, name: str) -> Any:
        import torch

        array = self.get_numpy(name)
        return torch.from_numpy(array if array.flags.writeable else array.copy())

    def close(self) -> None:
        """Nothing to release beyond the memory map, which goes with the reader."""

    def __enter__(self) -> GGUFCheckpointReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GGUFCheckpointReader({str(Path(self.path))!r}, {len(self._sources)} tensors)"
