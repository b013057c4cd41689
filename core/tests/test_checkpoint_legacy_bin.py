"""Legacy pytorch_model.bin checkpoints: loaded with torch.load(weights_only=True) only.

A pickle whose ``__reduce__`` would run a command must not run it: the load fails with a
CheckpointError naming the file, and the marker file the payload would create never appears.
"""

from __future__ import annotations

import json
import os
import pickle
import sys

import numpy as np
import pytest

from plugformers.checkpoint import CheckpointReader, save_checkpoint
from plugformers.errors import CheckpointError

torch = pytest.importorskip("torch")


class _Payload:
    """Unpickling this would create ``marker`` (through os.system, as an attacker would)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"{sys.executable} -c \"open({self.marker!r}, 'w').write('pwned')\"",))


def test_bin_checkpoint_loads(tmp_path):
    state = {"a": torch.randn(3, 4), "b": torch.arange(5), "h": torch.randn(2).to(torch.bfloat16)}
    torch.save(state, tmp_path / "pytorch_model.bin")
    with CheckpointReader.open(tmp_path) as reader:
        assert set(reader.keys()) == set(state)
        assert reader.dtype("a") == "F32" and reader.dtype("b") == "I64" and reader.dtype("h") == "BF16"
        assert reader.shape("a") == (3, 4)
        for name, tensor in state.items():
            assert torch.equal(reader.get_torch(name), tensor)
        np.testing.assert_array_equal(reader.get_numpy("a"), state["a"].numpy())
        assert reader.get_numpy("h").astype(np.float32).tolist() == state["h"].float().tolist()


def test_sharded_bin_checkpoint_loads(tmp_path):
    shards = {
        "pytorch_model-00001-of-00002.bin": {"x": torch.ones(2)},
        "pytorch_model-00002-of-00002.bin": {"y": torch.zeros(3)},
    }
    weight_map = {}
    for name, state in shards.items():
        torch.save(state, tmp_path / name)
        weight_map.update({key: name for key in state})
    (tmp_path / "pytorch_model.bin.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    with CheckpointReader.open(tmp_path) as reader:
        assert sorted(reader.keys()) == ["x", "y"] and len(reader.files) == 2
        assert torch.equal(reader.get_torch("y"), torch.zeros(3))


def test_safetensors_takes_precedence_over_bin(tmp_path):
    torch.save({"old": torch.ones(1)}, tmp_path / "pytorch_model.bin")
    save_checkpoint({"new": np.zeros(1, dtype=np.float32)}, tmp_path)
    with CheckpointReader.open(tmp_path) as reader:
        assert reader.keys() == ["new"]
    assert not (tmp_path / "pytorch_model.bin").exists()  # the replaced legacy checkpoint is removed


def test_payload_is_live_when_unpickled_unsafely(tmp_path):
    """Control: the payload really runs under a plain unpickler, so the test below means something."""
    marker = tmp_path / "control.txt"
    pickle.loads(pickle.dumps(_Payload(str(marker))))
    assert marker.read_text() == "pwned"


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("container", ["torch.save", "raw pickle"])
def test_malicious_pickle_is_not_executed(tmp_path, container):
    marker = tmp_path / "marker.txt"
    payload = {"weight": torch.ones(2), "evil": _Payload(str(marker))}
    path = tmp_path / "pytorch_model.bin"
    if container == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    with pytest.raises(CheckpointError, match="weights_only") as info:
        CheckpointReader.open(tmp_path)
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_non_tensor_state_is_refused(tmp_path):
    torch.save({"weight": torch.ones(1), "step": 3}, tmp_path / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="'step' is not a named tensor"):
        CheckpointReader.open(tmp_path)
    torch.save([torch.ones(1)], tmp_path / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="expected a state dict"):
        CheckpointReader.open(tmp_path)


def test_truncated_bin_is_refused_naming_it(tmp_path):
    torch.save({"w": torch.randn(100)}, tmp_path / "full.bin")
    raw = (tmp_path / "full.bin").read_bytes()
    (tmp_path / "pytorch_model.bin").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="pytorch_model.bin"):
        CheckpointReader.open(tmp_path)
