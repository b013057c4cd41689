"""PretrainedConfig: typed fields, aliases, unknown keys, errors, and the round trip with Transformers."""

from __future__ import annotations

import json

import pytest

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError


class TinyBertConfig(PretrainedConfig):
    model_type = "bert"
    attribute_map = {"n_embd": "hidden_size"}
    positive_fields = ("vocab_size", "hidden_size", "num_hidden_layers")
    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    hidden_act: str = "gelu"
    layer_norm_eps: float = 1e-12
    pad_token_id: int | None = 0


def test_defaults_overrides_and_aliases():
    config = TinyBertConfig(hidden_size=32)
    assert (config.hidden_size, config.vocab_size, config.pad_token_id) == (32, 30522, 0)
    assert config.n_embd == 32
    config.n_embd = 64
    assert config.hidden_size == 64
    assert TinyBertConfig(n_embd=16).hidden_size == 16


def test_wrong_type_names_the_key():
    with pytest.raises(ConfigError, match=r"TinyBertConfig.hidden_size must be int, got str"):
        TinyBertConfig(hidden_size="big")
    with pytest.raises(ConfigError, match="layer_norm_eps"):
        TinyBertConfig(layer_norm_eps="tiny")
    with pytest.raises(ConfigError, match="hidden_size"):
        TinyBertConfig(hidden_size=True)  # a bool is not an int here


def test_impossible_values_name_the_key():
    with pytest.raises(ConfigError, match=r"num_hidden_layers must be > 0"):
        TinyBertConfig(num_hidden_layers=0)
    with pytest.raises(ConfigError, match=r"vocab_size=.*absurdly large"):
        TinyBertConfig(vocab_size=10**12)
    with pytest.raises(ConfigError, match="problem_type"):
        TinyBertConfig(problem_type="guess")
    with pytest.raises(ConfigError, match="id2label keys"):
        TinyBertConfig(id2label={"zero": "A"})


def test_unknown_keys_round_trip_but_are_not_fields():
    config = TinyBertConfig.from_dict({"model_type": "bert", "hidden_size": 8, "gradient_checkpointing": True,
                                       "some_future_key": {"a": [1, 2]}})
    assert config.some_future_key == {"a": [1, 2]}
    assert "some_future_key" not in TinyBertConfig._fields
    again = TinyBertConfig.from_dict(json.loads(config.to_json_string()))
    assert again == config and again.to_dict()["some_future_key"] == {"a": [1, 2]}


def test_labels():
    config = TinyBertConfig(num_labels=3)
    assert config.id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    config = TinyBertConfig(id2label={"0": "neg", "1": "pos"})
    assert config.num_labels == 2 and config.label2id == {"neg": 0, "pos": 1}
    assert json.loads(config.to_json_string())["id2label"] == {"0": "neg", "1": "pos"}
    with pytest.raises(ConfigError, match="num_labels=3 disagrees"):
        TinyBertConfig(id2label={"0": "a", "1": "b"}, num_labels=3)


def test_model_type_mismatch_is_refused():
    with pytest.raises(ConfigError, match="model_type is 'gpt2' but TinyBertConfig expects 'bert'"):
        TinyBertConfig.from_dict({"model_type": "gpt2"})


def test_save_and_load_directory(tmp_path):
    config = TinyBertConfig(hidden_size=24, num_labels=4)
    config.save_pretrained(tmp_path / "out")
    assert TinyBertConfig.from_json_file(tmp_path / "out" / "config.json") == config
    assert not [p for p in (tmp_path / "out").iterdir() if p.name != "config.json"]  # no temp leftovers


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"model_type": "bert", "hidden_size": "x"}', "hidden_size must be int"),
])
def test_bad_config_files_name_the_file(tmp_path, text, message):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        TinyBertConfig.from_json_file(path)
    if "hidden_size" not in message:
        assert str(path) in str(info.value)


def test_transformers_round_trip_both_ways(tmp_path):
    transformers = pytest.importorskip("transformers", reason="Transformers oracle not installed")
    theirs = transformers.BertConfig(hidden_size=48, num_hidden_layers=3, num_attention_heads=4,
                                     id2label={0: "neg", 1: "pos"}, problem_type="single_label_classification")
    theirs.save_pretrained(tmp_path / "theirs")
    ours = TinyBertConfig.from_json_file(tmp_path / "theirs" / "config.json")
    assert (ours.hidden_size, ours.num_hidden_layers, ours.id2label) == (48, 3, {0: "neg", 1: "pos"})
    assert ours.num_attention_heads == 4  # a key we do not declare is kept
    ours.hidden_act = "gelu_new"
    ours.save_pretrained(tmp_path / "ours")
    back = transformers.BertConfig.from_pretrained(tmp_path / "ours")
    assert (back.hidden_size, back.num_hidden_layers, back.num_attention_heads) == (48, 3, 4)
    assert (back.hidden_act, back.id2label, back.problem_type) == ("gelu_new", {0: "neg", 1: "pos"},
                                                                    "single_label_classification")
