"""plugformers.hub against a local stand-in for the Hub, through the real huggingface_hub client.

The client is pointed at :mod:`hub_test_server` (127.0.0.1, ephemeral port) by patching
``huggingface_hub.constants`` (it reads ``HF_ENDPOINT`` at import time); one test starts a
fresh interpreter with ``HF_ENDPOINT`` / ``HF_HOME`` / ``HF_HUB_OFFLINE`` in its environment, as a
user would set them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hub_test_server import HubTestServer

from plugformers.checkpoint import CheckpointReader, save_checkpoint
from plugformers.errors import ModelReferenceError
from plugformers.hub import resolve_checkpoint_dir, resolve_file

constants = pytest.importorskip("huggingface_hub.constants")

CONFIG = b'{"model_type": "bert", "hidden_size": 4}'


@pytest.fixture
def hub(monkeypatch, tmp_path):
    with HubTestServer() as server:
        monkeypatch.setattr(constants, "ENDPOINT", server.endpoint)
        monkeypatch.setattr(
            constants, "HUGGINGFACE_CO_URL_TEMPLATE", server.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
        )
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        yield server


def _gets(server, filename: str) -> int:
    return sum(1 for r in server.log("GET") if r.path.endswith("/" + filename))


def test_download_into_cache_then_served_from_cache(hub, tmp_path):
    hub.add_repo("org/tiny", {"config.json": CONFIG})
    path = resolve_file("org/tiny", "config.json")
    assert path.read_bytes() == CONFIG
    assert Path(constants.HF_HUB_CACHE) in path.parents and "models--org--tiny" in str(path)
    assert _gets(hub, "config.json") == 1
    assert resolve_file("org/tiny", "config.json") == path
    assert _gets(hub, "config.json") == 1  # second call: metadata check only, no download


def test_cache_dir_argument(hub, tmp_path):
    hub.add_repo("org/tiny", {"config.json": CONFIG})
    path = resolve_file("org/tiny", "config.json", cache_dir=tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere") in path.parents


def test_revision(hub):
    repo = hub.add_repo("org/versions", {"config.json": b'{"v": 2}'})
    old = repo.add_commit({"config.json": b'{"v": 1}'}, ref="v1.0")
    assert json.loads(resolve_file("org/versions", "config.json").read_text()) == {"v": 2}
    assert json.loads(resolve_file("org/versions", "config.json", revision="v1.0").read_text()) == {"v": 1}
    assert json.loads(resolve_file("org/versions", "config.json", revision=old).read_text()) == {"v": 1}
    assert any("/resolve/v1.0/" in r.path for r in hub.log("HEAD"))
    with pytest.raises(ModelReferenceError, match="revision 'nope' does not exist"):
        resolve_file("org/versions", "config.json", revision="nope")


def test_token_reaches_the_server(hub):
    hub.add_repo("org/private", {"config.json": CONFIG}, token="hf_secret")
    with pytest.raises(ModelReferenceError, match="org/private.*private.*token") as info:
        resolve_file("org/private", "config.json")
    assert "config.json" in str(info.value)
    path = resolve_file("org/private", "config.json", token="hf_secret")
    assert path.read_bytes() == CONFIG
    assert any(r.headers.get("authorization") == "Bearer hf_secret" for r in hub.log("GET"))


def test_local_files_only(hub):
    hub.add_repo("org/tiny", {"config.json": CONFIG, "vocab.txt": b"a\nb\n"})
    cached = resolve_file("org/tiny", "config.json")
    hub.clear_log()
    assert resolve_file("org/tiny", "config.json", local_files_only=True) == cached
    with pytest.raises(ModelReferenceError, match="vocab.txt.*org/tiny.*not in the local.*local_files_only=True"):
        resolve_file("org/tiny", "vocab.txt", local_files_only=True)
    assert resolve_file("org/tiny", "vocab.txt", local_files_only=True, required=False) is None
    assert [r for r in hub.requests if "/resolve/" in r.path] == []  # nothing asked of the server


def test_hf_hub_offline_environment_variable(hub, monkeypatch):
    hub.add_repo("org/tiny", {"config.json": CONFIG, "vocab.txt": b"a\n"})
    cached = resolve_file("org/tiny", "config.json")
    hub.clear_log()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert resolve_file("org/tiny", "config.json") == cached
    with pytest.raises(ModelReferenceError, match="HF_HUB_OFFLINE"):
        resolve_file("org/tiny", "vocab.txt")
    assert [r for r in hub.requests if "/resolve/" in r.path] == []


def test_missing_repo_and_missing_file(hub):
    hub.add_repo("org/tiny", {"config.json": CONFIG})
    with pytest.raises(ModelReferenceError, match="config.json.*org/missing.*no such repo"):
        resolve_file("org/missing", "config.json")
    with pytest.raises(ModelReferenceError, match="'tokenizer.json' of Hub repo 'org/tiny' does not exist"):
        resolve_file("org/tiny", "tokenizer.json")
    assert resolve_file("org/tiny", "tokenizer.json", required=False) is None


def test_http_error(hub):
    hub.add_repo("org/broken", {"config.json": CONFIG}).fail_status = 403
    with pytest.raises(ModelReferenceError, match="org/broken.*403"):
        resolve_file("org/broken", "config.json")


def test_subfolder(hub):
    hub.add_repo("org/pipeline", {"text_encoder/config.json": CONFIG})
    path = resolve_file("org/pipeline", "config.json", subfolder="text_encoder")
    assert path.read_bytes() == CONFIG and path.parent.name == "text_encoder"


def _checkpoint_files(tmp_path, tensors, **save_kwargs) -> dict[str, bytes]:
    source = tmp_path / "source"
    save_checkpoint(tensors, source, **save_kwargs)
    (source / "config.json").write_bytes(CONFIG)
    return {path.name: path.read_bytes() for path in source.iterdir()}


def test_resolve_checkpoint_dir_sharded(hub, tmp_path):
    tensors = {f"w{i}": np.full(8, i, dtype=np.float32) for i in range(5)}
    files = _checkpoint_files(tmp_path, tensors, max_shard_size=64)
    files["README.md"] = b"not needed"
    hub.add_repo("org/sharded", files)
    directory = resolve_checkpoint_dir("org/sharded")
    assert (directory / "config.json").read_bytes() == CONFIG
    with CheckpointReader.open(directory) as reader:
        assert len(reader.files) == 3
        for name, value in tensors.items():
            np.testing.assert_array_equal(reader.get_numpy(name), value)
    assert _gets(hub, "README.md") == 0
    assert _gets(hub, "model.safetensors") == 0  # probed with HEAD only
    # offline afterwards: everything comes from the cache
    hub.clear_log()
    assert resolve_checkpoint_dir("org/sharded", local_files_only=True) == directory
    assert [r for r in hub.requests if "/resolve/" in r.path] == []


def test_resolve_checkpoint_dir_single_file_and_legacy(hub, tmp_path):
    files = _checkpoint_files(tmp_path, {"w": np.ones(3, dtype=np.float32)})
    hub.add_repo("org/single", files)
    directory = resolve_checkpoint_dir("org/single")
    assert sorted(os.listdir(directory)) == ["config.json", "model.safetensors"]

    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.bin")
    hub.add_repo("org/legacy", {"config.json": CONFIG, "pytorch_model.bin": (tmp_path / "legacy.bin").read_bytes()})
    directory = resolve_checkpoint_dir("org/legacy")
    with CheckpointReader.open(directory) as reader:
        assert torch.equal(reader.get_torch("w"), torch.ones(2))


def test_resolve_checkpoint_dir_without_weights_or_with_bad_index(hub):
    hub.add_repo("org/config-only", {"config.json": CONFIG})
    with pytest.raises(ModelReferenceError, match="org/config-only.*no weights"):
        resolve_checkpoint_dir("org/config-only")
    index = json.dumps({"weight_map": {"w": "../../escape.safetensors"}}).encode()
    hub.add_repo("org/evil", {"config.json": CONFIG, "model.safetensors.index.json": index})
    with pytest.raises(ModelReferenceError, match="org/evil.*outside"):
        resolve_checkpoint_dir("org/evil")


def test_environment_variables_in_a_fresh_process(hub, tmp_path):
    """HF_ENDPOINT and HF_HOME as a user sets them; then HF_HUB_OFFLINE=1 serves from the cache."""
    hub.add_repo("org/tiny", {"config.json": CONFIG})
    script = (
        "import sys; from plugformers.hub import resolve_file\n"
        "try:\n    print(resolve_file('org/tiny', sys.argv[1]))\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(HF_ENDPOINT=hub.endpoint, HF_HOME=str(tmp_path / "home"), HF_HUB_DISABLE_PROGRESS_BARS="1")

    def run(filename: str, **extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, filename], env={**env, **extra}, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    online = run("config.json")
    assert online.startswith(str(tmp_path / "home")) and Path(online).read_bytes() == CONFIG
    hub.clear_log()
    assert run("config.json", HF_HUB_OFFLINE="1") == online
    assert run("vocab.txt", HF_HUB_OFFLINE="1").startswith("ModelReferenceError")
    assert [r for r in hub.requests if "/resolve/" in r.path] == []
