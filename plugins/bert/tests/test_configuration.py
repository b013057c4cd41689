"""BertConfig: Transformers' keys and defaults, round trips, and errors that name the key."""

from __future__ import annotations

import json

import pytest

from plugformers.errors import ConfigError
from plugformers_bert.configuration import BertConfig


def test_defaults_match_transformers():
    transformers = pytest.importorskip("transformers", reason="Transformers (the oracle) not installed")
    theirs = transformers.BertConfig().to_dict()
    ours = BertConfig().to_dict()
    for key in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
                "type_vocab_size", "initializer_range", "layer_norm_eps", "pad_token_id", "use_cache",
                "classifier_dropout", "is_decoder", "add_cross_attention", "tie_word_embeddings"):
        assert ours[key] == theirs[key], key


def test_reads_a_transformers_config_json(tmp_path):
    transformers = pytest.importorskip("transformers", reason="Transformers (the oracle) not installed")
    transformers.BertConfig(hidden_size=64, num_attention_heads=8, num_labels=5).save_pretrained(tmp_path)
    config = BertConfig.from_pretrained(tmp_path)
    assert (config.hidden_size, config.num_attention_heads, config.num_labels) == (64, 8, 5)


def test_round_trip_keeps_unknown_keys(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 64,
                                                      "num_attention_heads": 4, "gradient_checkpointing": False}))
    config = BertConfig.from_pretrained(tmp_path)
    config.save_pretrained(tmp_path / "again")
    again = BertConfig.from_pretrained(tmp_path / "again")
    assert again == config and again.to_dict()["gradient_checkpointing"] is False


def test_hidden_size_must_divide_by_heads_naming_both_keys():
    with pytest.raises(ConfigError, match="hidden_size.*num_attention_heads"):
        BertConfig(hidden_size=30, num_attention_heads=4)


@pytest.mark.parametrize("kind", ["relative_key", "relative_key_query"])
def test_only_absolute_position_embeddings(kind):
    with pytest.raises(ConfigError, match="position_embedding_type"):
        BertConfig(position_embedding_type=kind)


@pytest.mark.parametrize(("key", "value"), [("vocab_size", 0), ("num_hidden_layers", -1), ("hidden_act", "nope"),
                                            ("hidden_dropout_prob", 1.5), ("hidden_size", "big")])
def test_bad_values_name_the_key(key, value):
    with pytest.raises(ConfigError, match=key):
        BertConfig(**{key: value})


def test_bad_config_file_names_the_file(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "num_attention_heads": 5}))
    with pytest.raises(ConfigError, match="config.json"):
        BertConfig.from_pretrained(tmp_path)
