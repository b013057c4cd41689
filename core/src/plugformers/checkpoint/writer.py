"""save_checkpoint: write tensors as ``model.safetensors`` or shards + index, crash-safely.

Commit protocol (a SIGKILL at any moment leaves a directory that loads as the complete old or
the complete new checkpoint; the loader order is ``model.safetensors``,
``model.safetensors.index.json``, ``pytorch_model.bin``, ``pytorch_model.bin.index.json``):

1. Leftover temporary files of an earlier, killed save are deleted (the loader never reads
   them: they are named ``.<target>.<random>.tmp``).
2. Every weight file is written beside its target under a temporary name, fsync'd and renamed
   into place (:mod:`.atomic`). New shard names never collide with a file the *committed*
   checkpoint references: when ``model-00001-of-00003.safetensors`` is still in use, the new
   shards are named ``model-r1-00001-of-00003.safetensors`` (Transformers loads whatever names
   the index lists). Replacing files the committed checkpoint does not use is harmless.
3. Commit. Single file: renaming ``model.safetensors`` into place is the commit (it comes
   first in the loader order). Sharded: the index is renamed into place; that is the commit
   unless an old ``model.safetensors`` still shadows it, in which case deleting that file is
   the commit.
4. Only after the commit, files of the previous checkpoint that the new one does not use are
   deleted: a stale index, shard files named like ours, and a legacy ``pytorch_model.bin``
   (+ index and shards) when that was the committed checkpoint. Other files (config.json,
   tokenizer files, ...) are left alone.

Concurrent saves into one directory are not supported.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CheckpointError, ConfigError
from .atomic import atomic_open, atomic_write_text, fsync_directory, remove_temp_files
from .layout import (
    SAFE_WEIGHTS_INDEX_NAME,
    SAFE_WEIGHTS_NAME,
    SHARD_NAME,
    WEIGHTS_INDEX_NAME,
    WEIGHTS_NAME,
    find_weights,
    shard_name,
)
from .safetensors_writer import write_safetensors
from .shard_index import check_shard_name, index_json
from .sizes import parse_size
from .tensor_bytes import TensorSource, tensor_source

# Temporary files of these targets are ours to clean up.
_WEIGHT_TARGETS = (re.escape(SAFE_WEIGHTS_NAME), re.escape(SAFE_WEIGHTS_INDEX_NAME), SHARD_NAME.pattern)


def save_checkpoint(
    tensors: Mapping[str, Any],
    directory: str | os.PathLike[str],
    *,
    max_shard_size: int | str = "5GB",
    metadata: dict[str, str] | None = None,
) -> list[Path]:
    """Save ``tensors`` (NumPy arrays and/or torch tensors) into ``directory``; see the module docstring.

    Returns the files written: ``[model.safetensors]``, or the shards followed by the index.
    """
    directory = Path(directory)
    limit = parse_size(max_shard_size, name="max_shard_size")
    file_metadata = _file_metadata(metadata)
    if not isinstance(tensors, Mapping):
        raise CheckpointError(f"save_checkpoint({directory}): tensors must be a mapping of names to tensors")
    sources = [tensor_source(name, value) for name, value in tensors.items()]
    shards = split_into_shards(sources, limit)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CheckpointError(f"{directory}: cannot create checkpoint directory: {error}") from error
    remove_temp_files(directory, _WEIGHT_TARGETS)
    previous = find_weights(directory)
    in_use = _committed_files(directory)

    if len(shards) <= 1:
        target = directory / SAFE_WEIGHTS_NAME
        with atomic_open(target) as handle:  # the rename is the commit
            write_safetensors(handle, shards[0] if shards else [], file_metadata)
        written = [target]
    else:
        names = _fresh_shard_names(len(shards), in_use)
        written = []
        weight_map: dict[str, str] = {}
        for name, shard in zip(names, shards):
            with atomic_open(directory / name) as handle:
                write_safetensors(handle, shard, file_metadata)
            written.append(directory / name)
            weight_map.update({source.name: name for source in shard})
        text = index_json(
            weight_map,
            total_size=sum(source.nbytes for source in sources),
            total_parameters=sum(source.numel for source in sources),
        )
        written.append(atomic_write_text(directory / SAFE_WEIGHTS_INDEX_NAME, text))
        _remove(directory / SAFE_WEIGHTS_NAME)  # the commit, when an old single file shadowed the index

    _remove_stale(directory, keep={path.name for path in written}, previous_format=previous and previous.format)
    fsync_directory(directory)
    return written


def split_into_shards(sources: list[TensorSource], limit: int) -> list[list[TensorSource]]:
    """Group tensors in order into shards of at most ``limit`` bytes (a bigger tensor gets its own shard)."""
    shards: list[list[TensorSource]] = []
    current: list[TensorSource] = []
    size = 0
    for source in sources:
        if source.nbytes > limit:
            shards.append([source])
            continue
        if current and size + source.nbytes > limit:
            shards.append(current)
            current, size = [], 0
        current.append(source)
        size += source.nbytes
    if current:
        shards.append(current)
    return shards


def _file_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    if metadata is not None and (
        not isinstance(metadata, dict)
        or not all(isinstance(key, str) and isinstance(value, str) for key, value in metadata.items())
    ):
        raise ConfigError(f"metadata={metadata!r} must be a dict of strings to strings")
    return {"format": "pt", **(metadata or {})}


def _committed_files(directory: Path) -> set[str]:
    """Names of the files the committed checkpoint of ``directory`` uses (entry file and shards)."""
    layout = find_weights(directory)
    if layout is None:
        return set()
    names = {layout.entry.name}
    if layout.sharded:
        shards = _index_shards(layout.entry)
        if shards is None:  # unreadable index: treat every shard-like file as in use
            shards = {name for name in os.listdir(directory) if SHARD_NAME.fullmatch(name)}
        names |= shards
    return names


def _index_shards(index_path: Path) -> set[str] | None:
    try:
        weight_map = json.loads(index_path.read_text(encoding="utf-8"))["weight_map"]
        return {str(name) for name in weight_map.values()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _fresh_shard_names(count: int, in_use: set[str]) -> list[str]:
    generation = 0
    while True:
        names = [shard_name(index, count, generation) for index in range(1, count + 1)]
        if in_use.isdisjoint(names):
            return names
        generation += 1


def _remove_stale(directory: Path, *, keep: set[str], previous_format: str | None) -> None:
    """After the commit: delete files of older checkpoints that the new one does not use."""
    stale = {SAFE_WEIGHTS_INDEX_NAME, SAFE_WEIGHTS_NAME} - keep
    stale |= {name for name in os.listdir(directory) if SHARD_NAME.fullmatch(name)} - keep
    if previous_format == "pt":  # the legacy checkpoint was the committed one: it is replaced now
        stale |= _legacy_files(directory)
    for name in sorted(stale):
        _remove(directory / name)


def _legacy_files(directory: Path) -> set[str]:
    names = {WEIGHTS_NAME}
    index = directory / WEIGHTS_INDEX_NAME
    if index.is_file():
        names.add(WEIGHTS_INDEX_NAME)
        for shard in _index_shards(index) or set():
            with contextlib.suppress(CheckpointError):
                check_shard_name(index, shard)
                if "/" not in shard and "\\" not in shard:
                    names.add(shard)
    return names


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
