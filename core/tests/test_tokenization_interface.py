"""The tokenizer interface (PreTrainedTokenizerBase) on the toy slow and fast tokenizers."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from test_tokenization_toy_tokenizer import VOCAB, ToyTokenizer, toy_fast, words

from plugformers.errors import TokenizerError
from plugformers.tokenization import AddedToken, BatchEncoding


@pytest.fixture(params=["slow", "fast"])
def tok(request):
    return ToyTokenizer() if request.param == "slow" else toy_fast()


CLS, SEP, PAD, UNK = VOCAB["[CLS]"], VOCAB["[SEP]"], VOCAB["[PAD]"], VOCAB["[UNK]"]


def test_single_pair_batch_shapes(tok):
    single = tok("hello world")
    assert isinstance(single, BatchEncoding)
    assert single["input_ids"] == [CLS, VOCAB["hello"], VOCAB["world"], SEP]
    assert single.input_ids == single["input_ids"]
    assert single["attention_mask"] == [1, 1, 1, 1]
    pair = tok("hello", "world")
    assert pair["token_type_ids"] == [0, 0, 0, 1, 1]
    batch = tok(["hello", "hello world"])
    assert [len(r) for r in batch["input_ids"]] == [3, 4]
    pairs = tok(["hello", "w1"], ["world", "w2 w3"])
    assert pairs["input_ids"][1] == [CLS, VOCAB["w1"], SEP, VOCAB["w2"], VOCAB["w3"], SEP]
    assert tok("hello", add_special_tokens=False)["input_ids"] == [VOCAB["hello"]]
    assert tok.encode("hello world") == single["input_ids"]


def test_pretokenized(tok):
    assert tok(["hello", "world"], is_split_into_words=True)["input_ids"] == tok("hello world")["input_ids"]
    batch = tok([["hello"], ["w1", "w2"]], is_split_into_words=True)
    assert batch["input_ids"][1] == [CLS, VOCAB["w1"], VOCAB["w2"], SEP]


def test_padding_modes(tok):
    texts = ["w1", words(5)]
    longest = tok(texts, padding=True)
    assert longest["input_ids"][0] == [CLS, VOCAB["w1"], SEP, PAD, PAD, PAD, PAD]
    assert longest["attention_mask"][0] == [1, 1, 1, 0, 0, 0, 0]
    assert tok(texts, padding="longest")["input_ids"] == longest["input_ids"]
    left = tok(texts, padding=True, padding_side="left")
    assert left["input_ids"][0] == [PAD] * 4 + [CLS, VOCAB["w1"], SEP]
    assert left["attention_mask"][0] == [0] * 4 + [1] * 3
    fixed = tok(texts, padding="max_length", max_length=10)
    assert {len(r) for r in fixed["input_ids"]} == {10}
    multiple = tok(texts, padding=True, pad_to_multiple_of=4)
    assert {len(r) for r in multiple["input_ids"]} == {8}
    assert tok(texts, padding=False)["input_ids"] == tok(texts)["input_ids"]
    mask = tok(texts, padding=True, return_special_tokens_mask=True)["special_tokens_mask"][0]
    assert mask == [1, 0, 1, 1, 1, 1, 1]


def test_truncation_strategies(tok):
    long_a, long_b = words(10), words(6, 20)
    assert len(tok(long_a, truncation=True, max_length=6)["input_ids"]) == 6
    assert tok(long_a, truncation=True, max_length=6)["input_ids"] == [CLS] + [VOCAB[f"w{i}"] for i in range(4)] + [SEP]
    first = tok(long_a, long_b, truncation="only_first", max_length=12)["input_ids"]
    assert first.count(SEP) == 2 and len(first) == 12 and first[-7:-1] == [VOCAB[f"w{i}"] for i in range(20, 26)]
    second = tok(long_a, long_b, truncation="only_second", max_length=15)["input_ids"]
    assert second[1:11] == [VOCAB[f"w{i}"] for i in range(10)] and len(second) == 15
    longest = tok(long_a, long_b, truncation="longest_first", max_length=11)["input_ids"]
    assert len(longest) == 11  # 8 text tokens split 4/4
    assert tok(long_a, max_length=5)["input_ids"] == tok(long_a, truncation=True, max_length=5)["input_ids"]
    with pytest.raises(TokenizerError, match="[Ss]econd sequence|only_second"):
        tok(long_a, truncation="only_second", max_length=5)
    with pytest.raises(TokenizerError, match="max_length=2"):
        tok(long_a, truncation=True, max_length=2)


def test_overflow_with_stride(tok):
    encoded = tok([words(10), "w1"], truncation=True, max_length=6, stride=2, return_overflowing_tokens=True)
    inner = [row[1:-1] for row in encoded["input_ids"]]
    w = [VOCAB[f"w{i}"] for i in range(10)]
    assert inner == [w[0:4], w[2:6], w[4:8], w[6:10], [VOCAB["w1"]]]
    assert encoded["overflow_to_sample_mapping"] == [0, 0, 0, 0, 1]
    single = tok(words(10), truncation=True, max_length=6, stride=2, return_overflowing_tokens=True)
    assert len(single["input_ids"]) == 4  # stays batched, as in Transformers
    with pytest.raises(TokenizerError, match="stride"):
        tok(words(10), truncation=True, max_length=6, stride=4, return_overflowing_tokens=True)


def test_return_tensors(tok):
    out = tok(["hello", "hello world"], padding=True, return_tensors="np")
    assert isinstance(out["input_ids"], np.ndarray) and out["input_ids"].shape == (2, 4)
    assert out["input_ids"].dtype == np.int64
    single = tok("hello", return_tensors="np")
    assert single["input_ids"].shape == (1, 3)
    with pytest.raises(TokenizerError, match="padding=True"):
        tok(["hello", "hello world"], return_tensors="np")
    torch = pytest.importorskip("torch")
    pt = tok(["hello", "hello world"], padding=True, return_tensors="pt")
    assert isinstance(pt["input_ids"], torch.Tensor) and pt["input_ids"].dtype == torch.int64
    assert pt.to("cpu") is pt


def test_return_flags(tok):
    out = tok("hello", "world", return_token_type_ids=False, return_attention_mask=False, return_length=True)
    assert set(out) == {"input_ids", "length"} and out["length"] == 5


def test_special_tokens_api(tok):
    assert tok.cls_token == "[CLS]" and tok.cls_token_id == CLS and tok.bos_token is None and tok.bos_token_id is None
    assert set(tok.all_special_ids) == {UNK, PAD, CLS, SEP, VOCAB["[MASK]"]}
    assert tok.special_tokens_map["mask_token"] == "[MASK]"
    assert tok.convert_tokens_to_ids(["hello", "nope"]) == [VOCAB["hello"], UNK]
    assert tok.convert_ids_to_tokens([CLS, VOCAB["hello"]], skip_special_tokens=True) == ["hello"]
    assert tok.tokenize("hello [MASK]world") == ["hello", "[MASK]", "world"]  # special tokens split from text


def test_add_tokens(tok):
    size = len(tok)
    assert tok.vocab_size == len(VOCAB) == size
    assert tok.add_tokens(["brandnew", "hello"]) == 1  # "hello" is already in the vocabulary
    assert len(tok) == size + 1 and tok.get_vocab()["brandnew"] == size
    assert tok.convert_tokens_to_ids(tok.tokenize("w1brandneww2")) == [VOCAB["w1"], size, VOCAB["w2"]]
    assert tok.add_special_tokens({"bos_token": "<bos>", "additional_special_tokens": ["<a>"]}) == 2
    assert tok.bos_token_id == size + 1 and tok.additional_special_tokens_ids == [size + 2]
    assert tok.decode(tok.encode("hello <a> brandnew"), skip_special_tokens=True) == "hello brandnew"
    assert tok.add_tokens([AddedToken("<lr>", lstrip=True, rstrip=True)]) == 1
    assert tok.encode("w1   <lr>   w2", add_special_tokens=False) == [VOCAB["w1"], size + 3, VOCAB["w2"]]
    with pytest.raises(TokenizerError, match="unknown key"):
        tok.add_special_tokens({"nonsense_token": "x"})


def test_decode(tok):
    ids = tok.encode("hello world .")
    assert tok.decode(ids) == "[CLS] hello world . [SEP]"
    assert tok.decode(ids, skip_special_tokens=True) == "hello world ."
    assert tok.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=True) == "hello world."
    assert tok.decode(np.array(ids), skip_special_tokens=True) == "hello world ."
    assert tok.batch_decode([ids, ids[:2]], skip_special_tokens=True) == ["hello world .", "hello"]
    assert tok.decode(VOCAB["hello"]) == "hello"
    with pytest.raises(TokenizerError, match="out of range"):
        tok.decode([10_000])


def test_model_max_length_warning_and_default(caplog):
    for tok in (ToyTokenizer(model_max_length=5), toy_fast(model_max_length=5)):
        with caplog.at_level(logging.WARNING, logger="plugformers.tokenization"):
            caplog.clear()
            tok(words(10))
        assert "longer than the specified maximum sequence length" in caplog.text
        assert len(tok(words(10), truncation=True)["input_ids"]) == 5  # max_length defaults to model_max_length
        assert len(tok(["w1"], padding="max_length")["input_ids"][0]) == 5


def test_bad_arguments(tok):
    with pytest.raises(TokenizerError, match="text"):
        tok(123)
    with pytest.raises(TokenizerError, match="text_pair"):
        tok(["a", "b"], ["c"])
    with pytest.raises(TokenizerError, match="padding"):
        tok("a", padding="sideways")
    with pytest.raises(TokenizerError, match="truncation"):
        tok("a", truncation="middle")
    with pytest.raises(TokenizerError, match="padding_side"):
        tok("a", padding=True, padding_side="up")
    with pytest.raises(TokenizerError, match="max_length"):
        ToyTokenizer()("a", padding="max_length")
    with pytest.raises(TokenizerError, match="unexpected argument"):
        tok("a", bogus=True)


def test_padding_without_pad_token_is_a_clear_error():
    tok = ToyTokenizer(pad_token=None)
    with pytest.raises(TokenizerError, match="pad_token"):
        tok(["a", "b c"], padding=True)


def test_pad_method(tok):
    rows = [{"input_ids": [CLS, SEP]}, {"input_ids": [CLS, VOCAB["w1"], VOCAB["w2"], SEP]}]
    padded = tok.pad(rows, return_tensors="np")
    assert padded["input_ids"].tolist() == [[CLS, SEP, PAD, PAD], rows[1]["input_ids"]]
    assert padded["attention_mask"].tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
    assert tok.pad({"input_ids": [CLS, SEP]}, padding="max_length", max_length=4)["input_ids"] == [CLS, SEP, PAD, PAD]


def test_offsets_and_word_ids_fast_only():
    fast = toy_fast()
    out = fast(["hello world", "w1"], return_offsets_mapping=True, padding=True)
    assert out["offset_mapping"][0] == [(0, 0), (0, 5), (6, 11), (0, 0)]
    assert out.word_ids(0) == [None, 0, 1, None]
    assert out.tokens(1)[:3] == ["[CLS]", "w1", "[SEP]"]
    assert out.char_to_token(0, 7) == 2
    with pytest.raises(TokenizerError, match="fast tokenizer"):
        ToyTokenizer()("hello", return_offsets_mapping=True)
    with pytest.raises(TokenizerError, match="fast tokenizer"):
        ToyTokenizer()("hello").word_ids()


def test_save_load_round_trip(tmp_path, tok):
    tok.add_tokens(["brandnew"])
    tok.padding_side = "left"
    tok.save_pretrained(tmp_path)
    cls = type(tok)
    if tok.is_fast:
        loaded = cls.from_pretrained(tmp_path)
    else:
        loaded = cls.from_pretrained(tmp_path)
    assert loaded.padding_side == "left"
    assert loaded.encode("hello brandnew w3") == tok.encode("hello brandnew w3")
    assert loaded.special_tokens_map == tok.special_tokens_map
