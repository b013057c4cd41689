"""save_pretrained / from_pretrained in Transformers' formats, both ways."""

from __future__ import annotations

import json

import architectures as arch
import pytest

from plugformers.tokenization import AddedToken

SAMPLES = ["Hello world, this is a test.", "Añother línea with ünïcode \u4e2d\u6587", "short"]

ALL = ["bert_slow", "bert_fast", "bert_converted", "gpt2_slow", "gpt2_fast", "roberta_slow", "roberta_fast",
       "t5_slow", "t5_fast", "llama_ja_slow", "llama_ja_fast"]


@pytest.mark.parametrize("name", ALL)
def test_round_trip_same_ids_and_settings(request, tmp_path, name):
    tokenizer = request.getfixturevalue(name)
    written = tokenizer.save_pretrained(tmp_path)
    names = {p.split("/")[-1] for p in written}
    assert {"tokenizer_config.json", "special_tokens_map.json"} <= names
    assert ("tokenizer.json" in names) == tokenizer.is_fast
    reloaded = type(tokenizer).from_pretrained(tmp_path)
    assert reloaded(SAMPLES)["input_ids"] == tokenizer(SAMPLES)["input_ids"]
    assert reloaded.special_tokens_map == tokenizer.special_tokens_map
    assert reloaded.model_max_length == tokenizer.model_max_length
    assert len(reloaded) == len(tokenizer)
    assert reloaded.get_vocab() == tokenizer.get_vocab()


def test_slow_files_are_transformers_formats(tmp_path, bert_slow, gpt2_slow, t5_slow):
    bert_slow.save_pretrained(tmp_path / "bert")
    lines = (tmp_path / "bert" / "vocab.txt").read_text(encoding="utf-8").split("\n")
    assert lines[101] == "[CLS]" and len(lines) - 1 == bert_slow.vocab_size
    gpt2_slow.save_pretrained(tmp_path / "gpt2")
    assert json.loads((tmp_path / "gpt2" / "vocab.json").read_text())["Hello"] == 15496
    assert (tmp_path / "gpt2" / "merges.txt").read_text().split("\n")[1] == "Ġ t"
    t5_slow.save_pretrained(tmp_path / "t5")
    assert (tmp_path / "t5" / "spiece.model").read_bytes() == t5_slow.model_proto


def test_added_and_special_tokens_survive(tmp_path, minilm_dir):
    for cls in (arch.BertLikeTokenizer, arch.BertLikeTokenizerFast):
        tokenizer = cls.from_pretrained(minilm_dir)
        assert tokenizer.add_tokens(["newword", AddedToken("[mine]", lstrip=True, normalized=False)]) == 2
        assert tokenizer.add_special_tokens({"additional_special_tokens": ["<extra>"]}) == 1
        text = "a newword [mine] b <extra> c"
        expected = tokenizer(text)["input_ids"]
        assert tokenizer.convert_tokens_to_ids("newword") == tokenizer.vocab_size
        directory = tmp_path / cls.__name__
        tokenizer.save_pretrained(directory)
        assert json.loads((directory / "added_tokens.json").read_text()) == {
            "newword": tokenizer.vocab_size, "[mine]": tokenizer.vocab_size + 1, "<extra>": tokenizer.vocab_size + 2}
        reloaded = cls.from_pretrained(directory)
        assert reloaded(text)["input_ids"] == expected
        assert reloaded.additional_special_tokens == ["<extra>"]
        assert reloaded.decode(expected, skip_special_tokens=True) == tokenizer.decode(expected, skip_special_tokens=True)


def test_fast_saved_from_vocab_files_loads_as_slow(tmp_path, bert_converted, bert_slow):
    bert_converted.save_pretrained(tmp_path)
    assert (tmp_path / "vocab.txt").is_file()
    slow = arch.BertLikeTokenizer.from_pretrained(tmp_path)
    assert slow(SAMPLES)["input_ids"] == bert_slow(SAMPLES)["input_ids"]


def test_chat_template_and_options_saved(tmp_path, gpt2_fast):
    tokenizer = gpt2_fast
    saved = tokenizer.chat_template
    tokenizer.chat_template = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    try:
        tokenizer.save_pretrained(tmp_path, filename_prefix=None)
    finally:
        tokenizer.chat_template = saved
    assert (tmp_path / "chat_template.jinja").read_text().startswith("{% for m in messages %}")
    reloaded = arch.GPT2LikeTokenizerFast.from_pretrained(tmp_path, padding_side="left")
    assert reloaded.padding_side == "left"
    assert reloaded.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False) == "user: hi\n"




@pytest.fixture(scope="module")
def hf():
    return pytest.importorskip("transformers", reason="Transformers is the oracle of the cross-loading tests")


@pytest.mark.oracle
@pytest.mark.parametrize("name,hf_class", [("bert_slow", "BertTokenizer"), ("bert_fast", "BertTokenizer"),
                                           ("gpt2_slow", "GPT2Tokenizer"), ("gpt2_fast", "GPT2Tokenizer"),
                                           ("roberta_fast", "RobertaTokenizer"), ("t5_slow", "T5Tokenizer")])
def test_transformers_loads_what_we_save(request, tmp_path, hf, name, hf_class):
    tokenizer = request.getfixturevalue(name)
    tokenizer.save_pretrained(tmp_path)
    theirs = getattr(hf, hf_class).from_pretrained(str(tmp_path), **({"extra_ids": 0} if hf_class == "T5Tokenizer" else {}))
    assert theirs(SAMPLES[:1])["input_ids"] == tokenizer(SAMPLES[:1])["input_ids"]
    assert theirs.model_max_length == tokenizer.model_max_length


@pytest.mark.oracle
def test_we_load_what_transformers_saves(tmp_path, hf, minilm_dir):
    # Transformers 5 saves tokenizer.json only (no vocab.txt), so this is the fast class's job.
    cls = arch.BertLikeTokenizerFast
    theirs = hf.BertTokenizer.from_pretrained(str(minilm_dir))
    theirs.add_tokens(["brandnew"])
    theirs.chat_template = "{{ messages[0]['content'] }}"
    theirs.save_pretrained(str(tmp_path))
    ours = cls.from_pretrained(tmp_path)
    text = "A brandnew test."
    assert ours(text)["input_ids"] == theirs(text)["input_ids"]
    assert ours.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False) == "x"
    assert ours.model_max_length == 512
