"""Missing or corrupt vocabulary files give a TokenizerError that names the file."""

from __future__ import annotations

import json
import shutil

import architectures as arch
import pytest
from conftest import GPT2_DIR, ROBERTA_JSON, SPM_EN

from plugformers.errors import TokenizerError


def _write(path, data):
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


@pytest.mark.parametrize("cls", [arch.BertLikeTokenizer, arch.BertLikeTokenizerFast])
def test_missing_vocab_txt(tmp_path, cls):
    with pytest.raises(TokenizerError, match="vocab.txt"):
        cls.from_pretrained(tmp_path)


def test_vocab_txt_not_utf8_or_empty(tmp_path):
    with pytest.raises(TokenizerError, match="vocab.txt"):
        arch.BertLikeTokenizer(str(_write(tmp_path / "vocab.txt", b"\xff\xfe\x00bad")))
    with pytest.raises(TokenizerError, match="vocab.txt .* empty"):
        arch.BertLikeTokenizer(str(_write(tmp_path / "vocab.txt", "")))


@pytest.mark.parametrize("cls", [arch.GPT2LikeTokenizer, arch.GPT2LikeTokenizerFast])
def test_missing_vocab_json_or_merges(tmp_path, cls):
    shutil.copyfile(GPT2_DIR / "vocab.json", tmp_path / "vocab.json")
    with pytest.raises(TokenizerError, match="merges.txt"):
        cls.from_pretrained(tmp_path)
    (tmp_path / "vocab.json").unlink()
    shutil.copyfile(GPT2_DIR / "merges.txt", tmp_path / "merges.txt")
    with pytest.raises(TokenizerError, match="vocab.json"):
        cls.from_pretrained(tmp_path)


def test_corrupt_vocab_json_and_merges(tmp_path):
    merges = shutil.copyfile(GPT2_DIR / "merges.txt", tmp_path / "merges.txt")
    for bad in ("{not json", "[1, 2]", '{"a": "x"}', "{}"):
        vocab = _write(tmp_path / "vocab.json", bad)
        with pytest.raises(TokenizerError, match="vocab.json"):
            arch.GPT2LikeTokenizer(str(vocab), str(merges))
    vocab = shutil.copyfile(GPT2_DIR / "vocab.json", tmp_path / "vocab.json")
    bad_merges = _write(tmp_path / "merges.txt", "#version: 0.2\nĠ t\nthree tokens here\n")
    with pytest.raises(TokenizerError, match=r"merges.txt .*line 3"):
        arch.GPT2LikeTokenizer(str(vocab), str(bad_merges))


def test_missing_or_corrupt_tokenizer_json(tmp_path):
    with pytest.raises(TokenizerError, match="tokenizer.json"):
        arch.RobertaLikeTokenizerFast(tokenizer_file=str(tmp_path / "tokenizer.json"))
    for bad in ("{not json", '{"version": "1.0", "model": {"type": "Nope"}}'):
        path = _write(tmp_path / "tokenizer.json", bad)
        with pytest.raises(TokenizerError, match="tokenizer.json"):
            arch.RobertaLikeTokenizerFast(tokenizer_file=str(path))
        with pytest.raises(TokenizerError, match="tokenizer.json"):
            arch.RobertaLikeTokenizerFast.from_pretrained(tmp_path)


@pytest.mark.parametrize("cls", [arch.T5LikeTokenizer, arch.T5LikeTokenizerFast])
def test_missing_or_corrupt_sentencepiece_model(tmp_path, cls):
    with pytest.raises(TokenizerError, match=r"spiece.model or tokenizer.model|spiece.model"):
        cls.from_pretrained(tmp_path)
    good = SPM_EN.read_bytes()
    for bad in (b"", b"not a protobuf at all \xff\xff\xff", good[: len(good) // 3]):
        path = _write(tmp_path / "spiece.model", bad)
        with pytest.raises(TokenizerError, match="spiece.model"):
            cls(str(path))


@pytest.mark.parametrize("content", ["{broken", "[]", '{"added_tokens_decoder": {"x": {"content": "a"}}}'])
def test_corrupt_tokenizer_config(tmp_path, content):
    shutil.copyfile(ROBERTA_JSON, tmp_path / "tokenizer.json")
    _write(tmp_path / "tokenizer_config.json", content)
    with pytest.raises(TokenizerError, match="tokenizer_config.json"):
        arch.RobertaLikeTokenizerFast.from_pretrained(tmp_path)


def test_inconsistent_added_tokens_are_reported(tmp_path, gpt2_slow):
    gpt2_slow.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    config["added_tokens_decoder"]["70000"] = {"content": "<new>", "special": False}
    _write(tmp_path / "tokenizer_config.json", json.dumps(config))
    with pytest.raises(TokenizerError, match=r"tokenizer_config.json.*<new>.*70000"):
        arch.GPT2LikeTokenizer.from_pretrained(tmp_path)


def test_not_a_directory(tmp_path):
    with pytest.raises(TokenizerError):
        arch.BertLikeTokenizer.from_pretrained(tmp_path / "nowhere")
