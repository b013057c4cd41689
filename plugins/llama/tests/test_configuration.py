"""LlamaConfig: Transformers' keys and defaults, both rope spellings (4.x rope_theta + rope_scaling,
5.x rope_parameters), validation errors naming the field, and round trips with Transformers."""

from __future__ import annotations

import pytest

from plugformers.errors import ConfigError
from plugformers_llama.configuration import LlamaConfig


def test_defaults_fill_grouped_heads_and_head_dim():
    config = LlamaConfig(hidden_size=64, num_attention_heads=8)
    assert (config.num_key_value_heads, config.head_dim) == (8, 8)
    assert config.rope_parameters == {"rope_type": "default", "rope_theta": 10000.0}


def test_transformers_5_rope_parameters_are_read_and_written_in_both_spellings():
    config = LlamaConfig.from_dict({"model_type": "llama", "rope_parameters": {
        "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
        "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})
    assert config.rope_theta == 500000.0
    assert config.rope_scaling["rope_type"] == "llama3" and "rope_theta" not in config.rope_scaling
    saved = config.to_dict()
    assert saved["rope_parameters"]["rope_theta"] == 500000.0 and saved["rope_theta"] == 500000.0
    assert LlamaConfig.from_dict(saved) == config


def test_legacy_type_key_is_understood():
    config = LlamaConfig(rope_scaling={"type": "linear", "factor": 2.0})
    assert config.rope_parameters["rope_type"] == "linear"


@pytest.mark.parametrize("kwargs, field", [
    ({"num_attention_heads": 8, "num_key_value_heads": 3}, "num_key_value_heads"),
    ({"hidden_act": "no-such-act"}, "hidden_act"),
    ({"rope_scaling": {"rope_type": "nonsense", "factor": 2.0}}, "rope_scaling"),
    ({"rope_scaling": {"rope_type": "linear"}}, "factor"),
    ({"pretraining_tp": 2}, "pretraining_tp"),
    ({"vocab_size": 10, "pad_token_id": 10}, "pad_token_id"),
])
def test_bad_values_name_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        LlamaConfig(**kwargs)


def test_transformers_reads_our_config_and_we_read_theirs(tmp_path):
    transformers = pytest.importorskip("transformers", reason="Transformers 5.x (the oracle) is not installed")
    ours = LlamaConfig(hidden_size=48, num_attention_heads=6, num_key_value_heads=2, rope_theta=1e6,
                       rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32})
    ours.save_pretrained(tmp_path)
    theirs = transformers.LlamaConfig.from_pretrained(tmp_path)
    assert theirs.rope_parameters["rope_type"] == "yarn" and theirs.rope_parameters["rope_theta"] == 1e6
    assert (theirs.num_key_value_heads, theirs.head_dim) == (2, 8)
    theirs.save_pretrained(tmp_path / "back")
    back = LlamaConfig.from_pretrained(tmp_path / "back")
    assert back.rope_scaling["factor"] == 4.0 and back.rope_theta == 1e6 and back.num_key_value_heads == 2



@pytest.mark.parametrize("module, prefix", [("torch", ""), ("tf", "TF"), ("flax", "Flax")])
def test_only_the_causal_lm_head_can_generate(module, prefix):
    framework = {"torch": "torch", "tf": "tensorflow", "flax": "flax"}[module]
    pytest.importorskip(framework, reason=f"{framework} not installed")
    import importlib

    models = importlib.import_module(f"plugformers_llama.modeling_{module}")
    assert getattr(models, f"{prefix}LlamaForCausalLM").can_generate()
    for name in ("LlamaModel", "LlamaForSequenceClassification", "LlamaForTokenClassification"):
        assert not getattr(models, prefix + name).can_generate(), prefix + name
