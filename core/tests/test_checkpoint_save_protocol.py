"""save_checkpoint over existing checkpoints: layout transitions, stale-file cleanup, failures."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from plugformers.checkpoint import (
    CheckpointReader,
    atomic_write_bytes,
    atomic_write_text,
    save_checkpoint,
)
from plugformers.checkpoint.atomic import atomic_open
from plugformers.errors import CheckpointError


def _tensors(seed: int, count: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"w{i}": rng.standard_normal(10).astype(np.float32) for i in range(count)}


def _assert_holds(directory, tensors) -> None:
    with CheckpointReader.open(directory) as reader:
        assert sorted(reader.keys()) == sorted(tensors)
        for name, value in tensors.items():
            np.testing.assert_array_equal(reader.get_numpy(name), value)


def _weight_files(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.startswith("model"))


@pytest.mark.parametrize("first", [60, "5GB"])
@pytest.mark.parametrize("second", [60, 100, "5GB"])
def test_transitions_leave_exactly_the_new_files(tmp_path, first, second):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("mine")
    save_checkpoint(_tensors(1), tmp_path, max_shard_size=first)
    new = _tensors(2)
    written = save_checkpoint(new, tmp_path, max_shard_size=second)
    _assert_holds(tmp_path, new)
    assert _weight_files(tmp_path) == sorted(path.name for path in written)
    assert (tmp_path / "config.json").read_text() == "{}" and (tmp_path / "notes.txt").read_text() == "mine"


def test_same_shard_count_gets_fresh_names_then_plain_names_again(tmp_path):
    first = save_checkpoint(_tensors(1), tmp_path, max_shard_size=60)
    second = save_checkpoint(_tensors(2), tmp_path, max_shard_size=60)
    third = save_checkpoint(_tensors(3), tmp_path, max_shard_size=60)
    assert first[0].name == "model-00001-of-00004.safetensors"
    assert second[0].name == "model-r1-00001-of-00004.safetensors"
    assert third[0].name == "model-00001-of-00004.safetensors"
    _assert_holds(tmp_path, _tensors(3))


def test_leftovers_of_a_killed_save_are_ignored_then_cleaned(tmp_path):
    save_checkpoint(_tensors(1), tmp_path, max_shard_size=60)
    # what a save killed before its commit leaves behind: temp files and unreferenced new shards
    (tmp_path / ".model-00001-of-00002.safetensors.0123456789ab.tmp").write_bytes(b"partial")
    (tmp_path / ".model.safetensors.index.json.0123456789ab.tmp").write_bytes(b"{")
    (tmp_path / "model-r1-00001-of-00004.safetensors").write_bytes(b"stale")
    (tmp_path / ".config.json.0123456789ab.tmp").write_bytes(b"someone else's")
    _assert_holds(tmp_path, _tensors(1))
    written = save_checkpoint(_tensors(2), tmp_path, max_shard_size=60)
    _assert_holds(tmp_path, _tensors(2))
    assert _weight_files(tmp_path) == sorted(path.name for path in written)
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith(".")) == [".config.json.0123456789ab.tmp"]


def test_single_file_shadowing_a_stale_index(tmp_path):
    """A kill after committing a single file but before removing the old index is still consistent."""
    save_checkpoint(_tensors(1), tmp_path, max_shard_size=60)
    index = (tmp_path / "model.safetensors.index.json").read_text()
    save_checkpoint(_tensors(2), tmp_path)
    (tmp_path / "model.safetensors.index.json").write_text(index)  # as if the cleanup had not run
    _assert_holds(tmp_path, _tensors(2))
    save_checkpoint(_tensors(3), tmp_path, max_shard_size=60)
    _assert_holds(tmp_path, _tensors(3))
    assert "model.safetensors" not in os.listdir(tmp_path)


def test_failure_while_writing_leaves_the_old_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    save_checkpoint(_tensors(1), tmp_path, max_shard_size=60)
    before = sorted(os.listdir(tmp_path))

    class Exploding(torch.Tensor):
        def contiguous(self, *args, **kwargs):
            raise RuntimeError("disk on fire")

    bad = {**_tensors(2), "w3": torch.ones(10).as_subclass(Exploding)}
    with pytest.raises(RuntimeError, match="disk on fire"):
        save_checkpoint(bad, tmp_path, max_shard_size=60)
    _assert_holds(tmp_path, _tensors(1))
    # the shards written before the failure got fresh names; the temp file of the failed one is gone
    assert set(before) <= set(os.listdir(tmp_path))
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path))


def test_legacy_bin_is_replaced_only_when_it_was_the_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(1)}, tmp_path / "pytorch_model.bin")
    save_checkpoint(_tensors(1), tmp_path)
    assert not (tmp_path / "pytorch_model.bin").exists()
    torch.save({"w": torch.ones(1)}, tmp_path / "pytorch_model.bin")  # beside a committed safetensors file
    save_checkpoint(_tensors(2), tmp_path)
    assert (tmp_path / "pytorch_model.bin").exists()


def test_index_named_shards_of_unreadable_index_are_not_overwritten(tmp_path):
    save_checkpoint(_tensors(1), tmp_path, max_shard_size=60)
    (tmp_path / "model.safetensors.index.json").write_text("{corrupt")
    written = save_checkpoint(_tensors(2), tmp_path, max_shard_size=60)
    assert written[0].name.startswith("model-r1-")
    _assert_holds(tmp_path, _tensors(2))


def test_atomic_write_helpers(tmp_path):
    target = tmp_path / "sub" / "file.json"
    assert atomic_write_text(target, json.dumps({"a": 1})) == target
    assert json.loads(target.read_text()) == {"a": 1}
    atomic_write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    with pytest.raises(ValueError):
        with atomic_open(target) as handle:
            handle.write(b"half")
            raise ValueError("interrupted")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(os.listdir(target.parent)) == ["file.json"]


def test_save_into_a_file_path_is_a_checkpoint_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="file"):
        save_checkpoint(_tensors(1), tmp_path / "file")
