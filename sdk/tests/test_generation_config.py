"""GenerationConfig: Transformers' keys, validation naming the key, generation_config.json both ways."""

import json

import pytest

from plugformers.errors import GenerationError
from plugformers_sdk.generation import GenerationConfig


def test_defaults_and_lengths():
    config = GenerationConfig()
    assert (config.max_length, config.top_k, config.top_p, config.num_beams, config.do_sample) == (20, 50, 1.0, 1, False)
    assert config.max_new(prompt_length=5) == 15
    config.update(max_new_tokens=7, min_new_tokens=2)
    assert config.max_new(prompt_length=5) == 7 and config.min_new(prompt_length=5) == 2
    assert GenerationConfig(eos_token_id=[3, 4]).eos_token_ids == [3, 4]


@pytest.mark.parametrize("kwargs, key", [
    ({"top_p": 1.5}, "top_p"), ({"num_beams": 0}, "num_beams"), ({"temperature": "hot"}, "temperature"),
    ({"do_sample": True, "temperature": 0.0}, "temperature"), ({"bad_words_ids": [[1], []]}, "bad_words_ids"),
    ({"num_return_sequences": 3}, "num_return_sequences"), ({"max_new_tokens": True}, "max_new_tokens"),
])
def test_invalid_values_name_the_key(kwargs, key):
    with pytest.raises(GenerationError, match=key):
        GenerationConfig(**kwargs)


def test_update_returns_unknown_kwargs():
    config = GenerationConfig()
    assert config.update(do_sample=True, top_k=5, attention_mask="x") == {"attention_mask": "x"}
    assert config.do_sample and config.top_k == 5


def test_round_trip_with_transformers(tmp_path):
    transformers = pytest.importorskip("transformers", reason="Transformers oracle not installed")
    theirs = transformers.GenerationConfig(max_new_tokens=9, do_sample=True, top_p=0.9, temperature=0.7,
                                           eos_token_id=[2, 3], repetition_penalty=1.2, no_repeat_ngram_size=3)
    theirs.save_pretrained(tmp_path / "theirs")
    ours = GenerationConfig.from_pretrained(tmp_path / "theirs")
    assert (ours.max_new_tokens, ours.top_p, ours.temperature, ours.eos_token_ids) == (9, 0.9, 0.7, [2, 3])
    assert ours.repetition_penalty == 1.2 and ours.no_repeat_ngram_size == 3
    saved = json.loads((tmp_path / "theirs" / "generation_config.json").read_text())
    assert ours.transformers_version == saved["transformers_version"]  # a key we do not declare is kept
    ours.update(num_beams=4, length_penalty=0.5, do_sample=False)
    ours.save_pretrained(tmp_path / "ours")
    back = transformers.GenerationConfig.from_pretrained(tmp_path / "ours")
    assert (back.num_beams, back.length_penalty, back.max_new_tokens, back.eos_token_id) == (4, 0.5, 9, [2, 3])


def test_bad_file_names_the_file(tmp_path):
    (tmp_path / "generation_config.json").write_text(json.dumps({"top_k": "many"}))
    with pytest.raises(GenerationError, match=r"generation_config.json.*top_k"):
        GenerationConfig.from_pretrained(tmp_path)
