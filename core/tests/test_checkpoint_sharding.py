"""Sharded checkpoints: shard sizes, names and index as Transformers writes them; index validation."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from plugformers.checkpoint import CheckpointReader, parse_size, save_checkpoint
from plugformers.checkpoint.layout import SHARD_NAME
from plugformers.errors import CheckpointError, ConfigError


def _tensors(count: int = 6, size: int = 40) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {f"layer.{i}.weight": rng.standard_normal(size // 4 + i).astype(np.float32) for i in range(count)}


def _load_all(directory) -> dict[str, np.ndarray]:
    with CheckpointReader.open(directory) as reader:
        return {name: np.array(reader.get_numpy(name)) for name in reader.keys()}


@pytest.mark.parametrize("max_shard_size", [1, 60, 100, "100B", "1KB", "10KiB", "5GB"])
def test_shard_sizes_and_index(tmp_path, max_shard_size):
    tensors = _tensors()
    written = save_checkpoint(tensors, tmp_path, max_shard_size=max_shard_size)
    limit = parse_size(max_shard_size)
    total = sum(t.nbytes for t in tensors.values())
    loaded = _load_all(tmp_path)
    assert loaded.keys() == tensors.keys()
    for name in tensors:
        np.testing.assert_array_equal(loaded[name], tensors[name])
    if total <= limit:
        assert [p.name for p in written] == ["model.safetensors"]
        assert not (tmp_path / "model.safetensors.index.json").exists()
        return
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert index["metadata"]["total_size"] == total
    assert index["metadata"]["total_parameters"] == sum(t.size for t in tensors.values())
    shards = sorted(set(index["weight_map"].values()))
    count = len(shards)
    assert count > 1
    assert shards == [f"model-{i:05d}-of-{count:05d}.safetensors" for i in range(1, count + 1)]
    assert [p.name for p in written] == [*shards, "model.safetensors.index.json"]
    assert set(index["weight_map"]) == set(tensors)
    for shard in shards:
        data = sum(tensors[n].nbytes for n, s in index["weight_map"].items() if s == shard)
        names = [n for n, s in index["weight_map"].items() if s == shard]
        assert data <= limit or len(names) == 1  # a tensor larger than the limit sits alone
    assert not (tmp_path / "model.safetensors").exists()


def test_index_text_matches_transformers_layout(tmp_path):
    save_checkpoint(_tensors(3), tmp_path, max_shard_size=60)
    text = (tmp_path / "model.safetensors.index.json").read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"


def test_parse_size_against_transformers():
    hub = pytest.importorskip("transformers.utils.hub")
    for text in ["5GB", "500MB", "10KiB", "1MiB", "2GiB", "3KB", "8Mb", "7gb", "100kb"]:
        assert parse_size(text) == hub.convert_file_size_to_int(text), text
    assert parse_size(1234) == 1234
    assert parse_size("1.5GB") == 1_500_000_000
    assert parse_size(" 2 TB ") == 2 * 10**12
    for bad in ["", "GB", "5XB", "-5GB", 0, -1, True, 1.5, None, "5 G B"]:
        with pytest.raises(ConfigError):
            parse_size(bad)


class TestTransformersOracle:
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")

    def _model(self):
        config = self.transformers.BertConfig(
            vocab_size=50,
            hidden_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=32,
        )
        self.torch.manual_seed(0)
        return self.transformers.BertModel(config).eval()

    @pytest.mark.oracle
    def test_transformers_loads_what_we_save(self, tmp_path):
        model = self._model()
        state = model.state_dict()
        model.config.save_pretrained(tmp_path)
        written = save_checkpoint(state, tmp_path, max_shard_size="4KB")
        assert len(written) > 3
        loaded, info = self.transformers.BertModel.from_pretrained(tmp_path, output_loading_info=True)
        assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
        reloaded = loaded.state_dict()
        for name, tensor in state.items():
            assert self.torch.equal(reloaded[name], tensor), name

    @pytest.mark.oracle
    def test_we_read_what_transformers_saves(self, tmp_path):
        model = self._model()
        model.save_pretrained(tmp_path, max_shard_size="8KB")
        assert (tmp_path / "model.safetensors.index.json").is_file()
        state = model.state_dict()
        with CheckpointReader.open(tmp_path) as reader:
            assert len(reader.files) > 1
            assert set(reader.keys()) == set(state)
            for name, tensor in state.items():
                assert self.torch.equal(reader.get_torch(name), tensor), name
                np.testing.assert_array_equal(reader.get_numpy(name), tensor.numpy())


# -- index validation ---------------------------------------------------------------------------
@pytest.fixture
def sharded(tmp_path):
    directory = tmp_path / "ckpt"
    save_checkpoint(_tensors(4), directory, max_shard_size=60)
    return directory


def _rewrite_index(directory, update) -> str:
    path = directory / "model.safetensors.index.json"
    data = json.loads(path.read_text())
    update(data)
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (lambda d: d["weight_map"].update({"layer.0.weight": "model-00009-of-00009.safetensors"}), "is missing"),
        (lambda d: d["weight_map"].update({"layer.0.weight": "/etc/passwd"}), "outside"),
        (lambda d: d["weight_map"].update({"layer.0.weight": "../outside.safetensors"}), "outside"),
        (lambda d: d["weight_map"].update({"layer.0.weight": "sub/../../x.safetensors"}), "outside"),
        (lambda d: d["weight_map"].update({"layer.0.weight": 3}), "weight_map"),
        (lambda d: d.update({"weight_map": ["a", "b"]}), "weight_map"),
        (lambda d: d.pop("weight_map"), "weight_map"),
        (lambda d: d.update({"metadata": 5}), "metadata"),
    ],
)
def test_bad_index_is_refused_naming_it(sharded, update, message):
    index = _rewrite_index(sharded, update)
    with pytest.raises(CheckpointError, match=message) as info:
        CheckpointReader.open(sharded)
    assert index in str(info.value)


def test_corrupt_index_json(sharded):
    (sharded / "model.safetensors.index.json").write_text("{oops")
    with pytest.raises(CheckpointError, match="index.json.*not valid JSON"):
        CheckpointReader.open(sharded)


def test_index_naming_a_tensor_its_shard_lacks(sharded):
    _rewrite_index(sharded, lambda d: d["weight_map"].update({"ghost": "model-00001-of-00004.safetensors"}))
    with pytest.raises(CheckpointError, match="ghost"):
        CheckpointReader.open(sharded)


def test_symlink_escaping_the_directory_is_refused(sharded, tmp_path):
    outside = tmp_path / "elsewhere.safetensors"
    shard = sharded / "model-00001-of-00004.safetensors"
    outside.write_bytes(shard.read_bytes())
    shard.unlink()
    shard.symlink_to(outside)
    with pytest.raises(CheckpointError, match="outside the checkpoint directory"):
        CheckpointReader.open(sharded)


def test_symlinks_into_a_hub_cache_blob_store_are_allowed(tmp_path):
    source = tmp_path / "source"
    tensors = _tensors(4)
    save_checkpoint(tensors, source, max_shard_size=60)
    repo = tmp_path / "models--org--name"
    snapshot = repo / "snapshots" / ("a" * 40)
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for path in source.iterdir():
        blob = repo / "blobs" / f"blob-{path.name}"
        blob.write_bytes(path.read_bytes())
        (snapshot / path.name).symlink_to(os.path.relpath(blob, snapshot))
    loaded = _load_all(snapshot)
    for name in tensors:
        np.testing.assert_array_equal(loaded[name], tensors[name])


def test_shard_name_pattern():
    assert SHARD_NAME.fullmatch("model-00001-of-00002.safetensors")
    assert SHARD_NAME.fullmatch("model-r1-00001-of-00002.safetensors")
    assert not SHARD_NAME.fullmatch("model.safetensors")
    assert not SHARD_NAME.fullmatch("adapter-00001-of-00002.safetensors")
