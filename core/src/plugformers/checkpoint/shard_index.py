"""Shard index files (``model.safetensors.index.json``, ``pytorch_model.bin.index.json``).

Format, as Transformers writes it::

    {"metadata": {"total_size": <bytes of tensor data>, ...}, "weight_map": {tensor name: shard file name}}

Reading validates the index before any shard is opened: ``weight_map`` must map strings to
strings, and every shard must be a plain file name inside the checkpoint directory -- no
absolute path, no ``..``, no symlink that escapes the directory (symlinks into the blob store
of a huggingface_hub cache, ``<repo>/snapshots/<rev>/`` -> ``<repo>/blobs/``, are allowed) --
and must exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import CheckpointError


@dataclass(frozen=True)
class ShardIndex:
    """A validated shard index: tensor name -> shard path, plus the index's metadata."""

    path: Path
    weight_map: dict[str, str]
    metadata: dict[str, object]

    def shard_files(self) -> list[str]:
        """Shard file names in first-use order, without repeats."""
        return list(dict.fromkeys(self.weight_map.values()))


def read_shard_index(index_path: Path, *, check_files: bool = True) -> ShardIndex:
    """Read and validate ``index_path``; every error is a CheckpointError naming the index file."""
    try:
        text = index_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointError(f"{index_path}: shard index not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{index_path}: cannot read shard index: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{index_path}: corrupt shard index, not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{index_path}: corrupt shard index: expected a JSON object")
    weight_map = data.get("weight_map")
    if not isinstance(weight_map, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in weight_map.items()
    ):
        raise CheckpointError(f"{index_path}: 'weight_map' must be an object mapping tensor names to shard file names")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{index_path}: 'metadata' must be an object")
    index = ShardIndex(path=index_path, weight_map=dict(weight_map), metadata=dict(metadata))
    for shard in index.shard_files():
        check_shard_name(index_path, shard)
        if check_files:
            shard_path(index_path, shard)
    return index


def check_shard_name(index_path: Path, shard: str) -> None:
    """Refuse shard names that are not plain relative paths inside the directory."""
    posix, windows = PurePosixPath(shard), PureWindowsPath(shard)
    if (
        not shard
        or "\x00" in shard
        or posix.is_absolute()
        or windows.is_absolute()
        or windows.drive
        or shard.startswith(("/", "\\"))
        or ".." in posix.parts
        or ".." in windows.parts
    ):
        raise CheckpointError(f"{index_path}: shard path {shard!r} points outside the checkpoint directory")


def shard_path(index_path: Path, shard: str) -> Path:
    """The existing file of ``shard``, checked to stay inside the index's directory."""
    check_shard_name(index_path, shard)
    directory = index_path.parent
    path = directory / shard
    resolved = path.resolve()
    roots = [directory.resolve(), *_cache_roots(directory)]
    if not any(resolved == root or root in resolved.parents for root in roots):
        raise CheckpointError(
            f"{index_path}: shard {shard!r} resolves to {resolved}, outside the checkpoint directory {directory}"
        )
    if not resolved.is_file():
        raise CheckpointError(f"{index_path}: shard {shard!r} is missing ({path} does not exist)")
    return path


def _cache_roots(directory: Path) -> list[Path]:
    """The repo folder of a huggingface_hub cache snapshot that ``directory`` lies in, if any."""
    absolute = directory.absolute()
    for ancestor in [absolute, *absolute.parents]:
        if ancestor.name == "snapshots" and (ancestor.parent / "blobs").is_dir():
            return [(ancestor.parent / "blobs").resolve()]
    return []


def index_json(weight_map: dict[str, str], *, total_size: int, total_parameters: int | None = None) -> str:
    """The text of an index file, laid out as Transformers writes it (indent 2, sorted keys)."""
    metadata: dict[str, int] = {"total_size": total_size}
    if total_parameters is not None:
        metadata["total_parameters"] = total_parameters
    return json.dumps({"metadata": metadata, "weight_map": weight_map}, indent=2, sort_keys=True) + "\n"
