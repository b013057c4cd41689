"""Slow (pure Python) and fast (tokenizers) tokenizers agree token for token.

On the English and Japanese corpora, on Unicode edge cases, and on arbitrary text (hypothesis,
restricted for the exact comparison to characters whose Unicode properties have been stable
since Unicode 3.2, because the Rust crates under ``tokenizers`` carry older Unicode tables than
Python's ``unicodedata``).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PAIRS = [
    ("bert_slow", "bert_fast"),          # slow from vocab.txt vs the real tokenizer.json
    ("bert_slow", "bert_converted"),     # slow vs fast converted from the same vocab.txt
    ("gpt2_slow", "gpt2_fast"),
    ("roberta_slow", "roberta_fast"),    # slow from extracted vocab vs the real tokenizer.json
    ("t5_slow", "t5_fast"),              # SentencePiece unigram, legacy, eos template
    ("llama_ja_slow", "llama_ja_fast"),  # SentencePiece unigram (Japanese), non-legacy, bos template
]

EDGE_CASES = [
    "",
    " ",
    "   leading and trailing   ",
    "e\u0301le\u0300ve",                      # combining marks
    "Cafe\u0301 na\u00efve \u00c5ngstr\u00f6m",
    "\U0001f600 emoji \U0001f468\u200d\U0001f469\u200d\U0001f467 family \U0001f1ef\U0001f1f5",
    "tab\there\nnew line\r\ncrlf\x0bvt\x0cff",
    "control\x00\x01\x1f\x7f\x85chars",
    "zero\u200bwidth\ufeffbom",
    "x" * 300,                                 # a very long word
    "supercalifragilisticexpialidocious" * 5,
    "\u4e2d\u6587\u5b57\u7b26 mixed with \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
    "punctuation!?...,;:'\"()[]{}<>@#$%^&*-_=+\\|/~`",
    "numbers 12345 3.14159 1,000,000 \u0661\u0662\u0663",
    "\u0391\u0398\u0397\u039d\u0391 \u039f\u0394\u039f\u03a3 \u03c3\u03bf\u03c6\u03af\u03b1",  # Greek, final sigma
    "\u0130stanbul \u0049\u0307",
    "don't won't I'm you're they've",
    "\u00a0non\u00a0breaking\u3000ideographic\u2028line",
]


@pytest.fixture(params=PAIRS, ids=lambda p: f"{p[0]}-vs-{p[1]}")
def slow_and_fast(request):
    return request.getfixturevalue(request.param[0]), request.getfixturevalue(request.param[1])


def _assert_same(slow, fast, texts):
    slow_ids = slow(texts)["input_ids"]
    fast_ids = fast(texts)["input_ids"]
    for text, a, b in zip(texts, slow_ids, fast_ids):
        assert a == b, (text, slow.convert_ids_to_tokens(a), fast.convert_ids_to_tokens(b))


def test_corpora_token_for_token(slow_and_fast, english_lines, japanese_lines):
    slow, fast = slow_and_fast
    _assert_same(slow, fast, english_lines)
    _assert_same(slow, fast, japanese_lines)
    # tokens too, not only ids
    for text in english_lines[:50] + japanese_lines[:50]:
        assert slow.tokenize(text) == fast.tokenize(text)


def test_unicode_edge_cases(slow_and_fast):
    slow, fast = slow_and_fast
    _assert_same(slow, fast, EDGE_CASES)


def test_decode_agrees(slow_and_fast, english_lines, japanese_lines):
    slow, fast = slow_and_fast
    ids = slow(english_lines[:100] + japanese_lines[:100] + EDGE_CASES)["input_ids"]
    for skip in (False, True):
        assert slow.batch_decode(ids, skip_special_tokens=skip) == fast.batch_decode(ids, skip_special_tokens=skip)


@pytest.fixture
def with_pad_token(slow_and_fast):
    """The pair, with pad_token = eos_token for the duration of the test when it has none."""
    slow, fast = slow_and_fast
    saved = slow.pad_token, fast.pad_token
    if slow.pad_token is None:
        slow.pad_token = fast.pad_token = slow.eos_token
    yield slow, fast
    slow.pad_token, fast.pad_token = saved


def test_pairs_padding_truncation_overflow_agree(with_pad_token, english_lines):
    slow, fast = with_pad_token
    firsts, seconds = english_lines[:40], english_lines[40:80]
    for options in (
        {"padding": True},
        {"padding": "max_length", "max_length": 48, "truncation": True, "padding_side": "left"},
        {"truncation": "longest_first", "max_length": 20, "stride": 3, "return_overflowing_tokens": True, "padding": True},
        {"truncation": "only_second", "max_length": 96, "stride": 2, "return_overflowing_tokens": True},
        {"truncation": "only_first", "max_length": 96, "return_overflowing_tokens": True, "pad_to_multiple_of": 8, "padding": True},
    ):
        a = slow(firsts, seconds, return_special_tokens_mask=True, **options)
        b = fast(firsts, seconds, return_special_tokens_mask=True, **options)
        assert set(a) == set(b), options
        for key in a:
            assert a[key] == b[key], (options, key)


def test_pretokenized_words_agree(with_pad_token, english_lines):
    slow, fast = with_pad_token
    words = [line.split() for line in english_lines[:60] if line.split()]
    a = slow(words, is_split_into_words=True, padding=True)
    b = fast(words, is_split_into_words=True, padding=True)
    assert a["input_ids"] == b["input_ids"]


_STABLE = st.characters(blacklist_categories=("Cs", "Cn", "Co")).filter(
    lambda c: unicodedata.ucd_3_2_0.category(c) not in ("Cn", "Co", "Cs") and c != "\u2581"
)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(alphabet=_STABLE, max_size=24))
def test_property_slow_equals_fast(slow_and_fast, text):
    slow, fast = slow_and_fast
    a, b = slow(text)["input_ids"], fast(text)["input_ids"]
    if a != b and hasattr(slow, "model_info"):
        # SentencePiece unigram: two segmentations with the same score are equally right; the
        # libraries break such ties differently. Both must then be optimal and decode the same.
        scores = [p.score for p in slow.model_info.pieces]
        assert sum(scores[i] for i in a) == pytest.approx(sum(scores[i] for i in b), abs=1e-4), text
        assert slow.decode(a) == fast.decode(b)
    else:
        assert a == b, (text, slow.convert_ids_to_tokens(a), fast.convert_ids_to_tokens(b))
