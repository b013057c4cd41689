"""Malformed config.json files, read through AutoConfig (so the registered architecture's checks run)."""

from __future__ import annotations

import json
from pathlib import Path

from case import Case

from plugformers import AutoConfig
from plugformers.errors import ConfigError, MissingDependencyError


def config_dir(content) -> callable:
    def build(tmp: Path) -> Path:
        raw = content if isinstance(content, bytes) else json.dumps(content).encode()
        (tmp / "config.json").write_bytes(raw)
        return tmp
    return build


def bert(**fields) -> dict:
    return {"model_type": "bert", "hidden_size": 32, "num_attention_heads": 4, **fields}


CASES = [
    Case("config-missing", lambda tmp: tmp, AutoConfig.from_pretrained, Exception, "config.json"),
    Case("config-not-json", config_dir(b"{model_type: bert"), AutoConfig.from_pretrained, ConfigError, "config.json"),
    Case("config-not-utf8", config_dir(b"\xff\xfe\x00\x01"), AutoConfig.from_pretrained, ConfigError, "config.json"),
    Case("config-is-a-list", config_dir([1, 2]), AutoConfig.from_pretrained, ConfigError, "config.json"),
    Case("config-no-model-type", config_dir({"hidden_size": 3}), AutoConfig.from_pretrained, ConfigError, "model_type"),
    Case("config-unknown-model-type", config_dir({"model_type": "flux-capacitor"}), AutoConfig.from_pretrained,
         MissingDependencyError, "flux-capacitor"),
    Case("config-model-type-not-a-string", config_dir({"model_type": 7}), AutoConfig.from_pretrained, ConfigError,
         "model_type"),
    Case("config-wrong-type", config_dir(bert(hidden_size="big")), AutoConfig.from_pretrained, ConfigError,
         "hidden_size", needs="plugformers_bert"),
    Case("config-float-for-int", config_dir(bert(num_hidden_layers=2.5)), AutoConfig.from_pretrained, ConfigError,
         "num_hidden_layers", needs="plugformers_bert"),
    Case("config-absurd-vocab", config_dir(bert(vocab_size=10**12)), AutoConfig.from_pretrained, ConfigError,
         "vocab_size", needs="plugformers_bert"),
    Case("config-negative-layers", config_dir(bert(num_hidden_layers=-1)), AutoConfig.from_pretrained, ConfigError,
         "num_hidden_layers", needs="plugformers_bert"),
    Case("config-heads-do-not-divide-hidden", config_dir(bert(num_attention_heads=5)), AutoConfig.from_pretrained,
         ConfigError, "num_attention_heads", needs="plugformers_bert"),
    Case("config-bad-id2label", config_dir(bert(id2label={"zero": "neg"})), AutoConfig.from_pretrained, ConfigError,
         "id2label", needs="plugformers_bert"),
    Case("config-bad-problem-type", config_dir(bert(problem_type="vibes")), AutoConfig.from_pretrained, ConfigError,
         "problem_type", needs="plugformers_bert"),
    Case("config-bad-activation", config_dir(bert(hidden_act="sparkle")), AutoConfig.from_pretrained, ConfigError,
         "sparkle", needs="plugformers_bert"),
]
