"""plugformers.hub without the network: local directories, checkpoint sources, bad references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import plugformers.registry
from plugformers.checkpoint import save_checkpoint
from plugformers.errors import ConfigError, ModelReferenceError
from plugformers.hub import HUB_KWARGS, is_repo_id, resolve_checkpoint_dir, resolve_file, split_hub_kwargs


@pytest.fixture
def model_dir(tmp_path) -> Path:
    directory = tmp_path / "model"
    save_checkpoint({"w": np.ones(2, dtype=np.float32)}, directory)
    (directory / "config.json").write_text('{"model_type": "bert"}')
    return directory


def test_split_hub_kwargs():
    hub, rest = split_hub_kwargs({"revision": "v1", "token": "t", "num_labels": 3, "cache_dir": "/c"})
    assert hub == {"revision": "v1", "token": "t", "cache_dir": "/c"} and rest == {"num_labels": 3}
    assert set(HUB_KWARGS) == {"revision", "token", "local_files_only", "cache_dir", "subfolder"}


def test_local_directory(model_dir):
    assert resolve_file(model_dir, "config.json") == model_dir / "config.json"
    assert resolve_file(str(model_dir), "config.json") == model_dir / "config.json"
    assert resolve_file(model_dir, "tokenizer.json", required=False) is None
    with pytest.raises(ModelReferenceError, match=r"model.*has no file 'tokenizer.json'"):
        resolve_file(model_dir, "tokenizer.json")


def test_local_subfolder(model_dir):
    (model_dir / "text_encoder").mkdir()
    (model_dir / "text_encoder" / "config.json").write_text("{}")
    assert resolve_file(model_dir, "config.json", subfolder="text_encoder") == model_dir / "text_encoder/config.json"


def test_path_to_a_file_names_both(model_dir):
    with pytest.raises(ModelReferenceError, match="is a file, not a directory") as info:
        resolve_file(model_dir / "config.json", "config.json")
    assert str(model_dir / "config.json") in str(info.value)


@pytest.mark.parametrize("reference", ["./missing/dir", "a/b/c", "/abs/missing", "bad name", "-lead", "x--y/z", "a/"])
def test_neither_directory_nor_repo_id(reference):
    assert not is_repo_id(reference)
    with pytest.raises(ModelReferenceError, match="not an existing local directory.*not a valid Hub repo id") as info:
        resolve_file(reference, "config.json")
    assert reference in str(info.value)


def test_missing_path_object_is_not_sent_to_the_hub(tmp_path):
    with pytest.raises(ModelReferenceError, match="not an existing local directory"):
        resolve_file(tmp_path / "nope", "config.json")


@pytest.mark.parametrize("reference", ["bert-base-uncased", "org/model", "Org_1/model.v2-x"])
def test_repo_ids(reference):
    assert is_repo_id(reference)


def test_empty_and_wrong_type_references():
    for bad in ("", None, 3):
        with pytest.raises(ModelReferenceError):
            resolve_file(bad, "config.json")


def test_checkpoint_source_serves_a_name(monkeypatch, model_dir):
    asked = []

    class FakeRegistry:
        def resolve_source(self, reference):
            asked.append(reference)
            return model_dir if reference == "shipped-model" else None

    monkeypatch.setattr(plugformers.registry, "get_registry", lambda *a, **k: FakeRegistry())
    assert resolve_file("shipped-model", "config.json") == model_dir / "config.json"
    assert resolve_checkpoint_dir("shipped-model") == model_dir
    with pytest.raises(ModelReferenceError, match="a/b/c"):
        resolve_file("a/b/c", "config.json")
    assert "shipped-model" in asked


def test_checkpoint_source_returning_a_non_directory(monkeypatch, tmp_path):
    class FakeRegistry:
        def resolve_source(self, reference):
            return tmp_path / "gone"

    monkeypatch.setattr(plugformers.registry, "get_registry", lambda *a, **k: FakeRegistry())
    with pytest.raises(ModelReferenceError, match="not a directory"):
        resolve_file("shipped-model", "config.json")


def test_resolve_checkpoint_dir_local(model_dir, tmp_path):
    assert resolve_checkpoint_dir(model_dir) == model_dir
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelReferenceError, match="config.json"):
        resolve_checkpoint_dir(empty)
    (empty / "config.json").write_text("{}")
    with pytest.raises(ModelReferenceError, match="no weights"):
        resolve_checkpoint_dir(empty)
    with pytest.raises(ConfigError, match="force_download"):
        resolve_checkpoint_dir(model_dir, force_download=True)
