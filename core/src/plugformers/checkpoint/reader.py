"""CheckpointReader: one read interface over every weight layout of a checkpoint directory.

``CheckpointReader.open(directory)`` picks, in Transformers' order, ``model.safetensors``,
``model.safetensors.index.json`` + shards, ``pytorch_model.bin`` or
``pytorch_model.bin.index.json`` + shards. Safetensors headers are validated at open time and
tensors are read lazily from memory maps; legacy ``.bin`` files go through
``torch.load(weights_only=True)`` only, shard by shard on first use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from ..errors import CheckpointError
from .layout import WeightsLayout, require_weights
from .safetensors_file import SafetensorsFile
from .shard_index import read_shard_index, shard_path
from .torch_bin_file import TorchBinFile


class WeightFile(Protocol):
    path: Path

    def keys(self) -> list[str]: ...
    def __contains__(self, name: object) -> bool: ...
    def shape(self, name: str) -> tuple[int, ...]: ...
    def dtype(self, name: str) -> str: ...
    def get_numpy(self, name: str) -> Any: ...
    def read_numpy(self, name: str) -> Any: ...
    def get_torch(self, name: str) -> Any: ...
    def close(self) -> None: ...


class CheckpointReader:
    """Read the tensors of a checkpoint directory by name (see the module docstring)."""

    def __init__(self, directory: Path, layout: WeightsLayout, files: list[Path], owners: dict[str, Path]) -> None:
        self.path = directory
        self.layout = layout
        self.files = files
        self._owners = owners  # tensor name -> weight file path
        self._open: dict[Path, WeightFile] = {}

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> CheckpointReader:
        directory = Path(directory)
        layout = require_weights(directory)
        if not layout.sharded:
            files = [layout.entry]
            reader = cls(directory, layout, files, {})
            first = reader._file(layout.entry)
            reader._owners = {name: layout.entry for name in first.keys()}
            return reader
        index = read_shard_index(layout.entry)
        paths = {shard: shard_path(layout.entry, shard) for shard in index.shard_files()}
        owners = {name: paths[shard] for name, shard in index.weight_map.items()}
        reader = cls(directory, layout, list(paths.values()), owners)
        if layout.format == "safetensors":  # headers are cheap: validate every shard now
            for shard, path in paths.items():
                names = set(reader._file(path).keys())
                missing = sorted(
                    name for name, owner in index.weight_map.items() if owner == shard and name not in names
                )
                if missing:
                    raise CheckpointError(
                        f"{layout.entry}: the index places {missing[:5]} in shard {shard!r}, which does not hold them"
                    )
        return reader

    # -- lookup -----------------------------------------------------------------------------
    def _file(self, path: Path) -> WeightFile:
        opened = self._open.get(path)
        if opened is None:
            opened = SafetensorsFile(path) if self.layout.format == "safetensors" else TorchBinFile(path)
            self._open[path] = opened
        return opened

    def _owner(self, name: str) -> WeightFile:
        try:
            path = self._owners[name]
        except KeyError:
            raise CheckpointError(f"{self.layout.entry}: checkpoint has no tensor named {name!r}") from None
        weight_file = self._file(path)
        if name not in weight_file:
            raise CheckpointError(f"{path}: tensor {name!r} listed in {self.layout.entry.name} is not in this shard")
        return weight_file

    # -- public API -------------------------------------------------------------------------
    def keys(self) -> list[str]:
        return list(self._owners)

    def __contains__(self, name: object) -> bool:
        return name in self._owners

    def __len__(self) -> int:
        return len(self._owners)

    def shape(self, name: str) -> tuple[int, ...]:
        return self._owner(name).shape(name)

    def dtype(self, name: str) -> str:
        return self._owner(name).dtype(name)

    def get_numpy(self, name: str) -> Any:
        return self._owner(name).get_numpy(name)

    def read_numpy(self, name: str) -> Any:
        """The tensor as a writable, 64-byte-aligned array no other call returns: the file's
        copy-on-write map where it allows, else a fresh copy (see ``SafetensorsFile.read_numpy``)."""
        return self._owner(name).read_numpy(name)

    def get_torch(self, name: str) -> Any:
        return self._owner(name).get_torch(name)

    def close(self) -> None:
        for weight_file in self._open.values():
            weight_file.close()
        self._open.clear()

    def __enter__(self) -> CheckpointReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CheckpointReader({str(self.path)!r}, {len(self._owners)} tensors in {len(self.files)} file(s))"
