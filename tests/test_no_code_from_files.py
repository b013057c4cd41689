"""Nothing in a checkpoint is executed: remote-code keys in config.json select nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("plugformers_bert", reason="plugformers-bert not installed")


def test_auto_map_and_remote_code_keys_are_inert(tmp_path):
    (tmp_path / "evil_module.py").write_text("import pathlib\npathlib.Path(__file__).with_name('RAN').touch()\n")
    config = {"model_type": "bert", "vocab_size": 30, "hidden_size": 8, "num_hidden_layers": 1,
              "num_attention_heads": 2, "intermediate_size": 8,
              "auto_map": {"AutoConfig": "evil_module.EvilConfig", "AutoModel": "evil_module.EvilModel"},
              "trust_remote_code": True, "architectures": ["EvilModel"]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = f"""
import sys
sys.path.insert(0, {str(tmp_path)!r})
from plugformers import AutoConfig, AutoModel
config = AutoConfig.from_pretrained({str(tmp_path)!r})
model = AutoModel.from_config(config)
print(type(config).__name__, type(model).__name__, "evil_module" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["BertConfig", "BertModel", "False"]
    assert not (tmp_path / "RAN").exists()
