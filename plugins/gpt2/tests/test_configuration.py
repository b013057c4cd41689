"""GPT2Config: Transformers' keys and defaults, aliases, validation naming the field, round trips."""

from __future__ import annotations

import json

import pytest

from plugformers.errors import ConfigError
from plugformers_gpt2.configuration import GPT2Config


def test_defaults_are_those_of_gpt2():
    config = GPT2Config()
    assert (config.vocab_size, config.n_positions, config.n_embd, config.n_layer, config.n_head) == (
        50257, 1024, 768, 12, 12)
    assert config.activation_function == "gelu_new" and config.n_inner is None and config.inner_size == 3072
    assert config.bos_token_id == config.eos_token_id == 50256
    assert config.summary_type == "cls_index" and config.scale_attn_weights and config.use_cache
    assert config.tie_word_embeddings


def test_generic_names_are_aliases():
    config = GPT2Config(hidden_size=64, num_attention_heads=8, num_hidden_layers=3, max_position_embeddings=128)
    assert (config.n_embd, config.n_head, config.n_layer, config.n_positions) == (64, 8, 3, 128)
    assert config.hidden_size == 64 and config.head_dim == 8
    assert "hidden_size" not in config.to_dict() and config.to_dict()["n_embd"] == 64


def test_attention_scale():
    config = GPT2Config(n_embd=64, n_head=4)
    assert config.attention_scale(2) == pytest.approx(1 / 4)
    config = GPT2Config(n_embd=64, n_head=4, scale_attn_by_inverse_layer_idx=True, scale_attn_weights=False)
    assert config.attention_scale(2) == pytest.approx(1 / 3)


@pytest.mark.parametrize("kwargs, field", [
    ({"n_embd": 30, "n_head": 4}, "n_embd"),
    ({"activation_function": "swishy"}, "activation_function"),
    ({"summary_type": "attn"}, "summary_type"),
    ({"attn_pdrop": 1.5}, "attn_pdrop"),
    ({"n_layer": 0}, "n_layer"),
    ({"n_inner": -1}, "n_inner"),
    ({"pad_token_id": 60000}, "pad_token_id"),
    ({"n_head": "4"}, "n_head"),
])
def test_bad_values_are_config_errors_naming_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        GPT2Config(**kwargs)


def test_round_trip_through_config_json(tmp_path):
    config = GPT2Config(n_embd=32, n_head=4, n_layer=2, num_labels=3, pad_token_id=0, summary_activation="tanh")
    config.save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    assert data["model_type"] == "gpt2" and data["n_embd"] == 32
    assert GPT2Config.from_pretrained(tmp_path) == config


@pytest.mark.oracle
def test_transformers_config_round_trips_both_ways(tmp_path):
    transformers = pytest.importorskip("transformers", reason="Transformers (the config oracle) is not installed")
    theirs = transformers.GPT2Config(n_embd=48, n_head=6, n_layer=3, n_inner=64, activation_function="gelu",
                                     scale_attn_by_inverse_layer_idx=True, num_labels=4)
    theirs.save_pretrained(tmp_path / "theirs")
    ours = GPT2Config.from_pretrained(tmp_path / "theirs")
    assert (ours.n_embd, ours.n_head, ours.n_layer, ours.n_inner) == (48, 6, 3, 64)
    assert ours.scale_attn_by_inverse_layer_idx and ours.num_labels == 4
    ours.save_pretrained(tmp_path / "ours")
    back = transformers.GPT2Config.from_pretrained(tmp_path / "ours")
    for key in ("n_embd", "n_head", "n_layer", "n_inner", "activation_function", "scale_attn_by_inverse_layer_idx",
                "summary_type", "bos_token_id", "eos_token_id", "layer_norm_epsilon", "num_labels"):
        assert getattr(back, key) == getattr(theirs, key), key
