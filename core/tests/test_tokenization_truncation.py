"""Truncation windows and pair lengths: the slow implementation equals the tokenizers library's."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tokenization_toy_tokenizer import ToyTokenizer, toy_fast, words

from plugformers.errors import TokenizerError
from plugformers.tokenization.strategies import TruncationStrategy
from plugformers.tokenization.truncation import longest_first_lengths, truncate_pair, windows


def test_windows_right_and_left():
    ids = list(range(10))
    assert windows(ids, 4, 1, "right") == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert windows(ids, 4, 1, "left") == [[6, 7, 8, 9], [3, 4, 5, 6], [0, 1, 2, 3]]
    assert windows(ids, 20, 3, "right") == [ids]
    with pytest.raises(TokenizerError, match="stride"):
        windows(ids, 4, 4, "right")


def test_longest_first_lengths():
    assert longest_first_lengths(3, 10, 8) == (3, 5)      # only the longer one is cut
    assert longest_first_lengths(10, 3, 8) == (5, 3)
    assert longest_first_lengths(10, 10, 7) == (3, 4)     # both cut, the longer gets the odd one
    assert longest_first_lengths(6, 9, 7) == (3, 4)


def test_pair_overflow_order():
    a, b = list(range(6)), list(range(100, 106))
    out = truncate_pair(a, b, strategy=TruncationStrategy.LONGEST_FIRST, budget=6, stride=1, side="right", overflow=True)
    assert out[0] == ([0, 1, 2], [100, 101, 102])
    assert out[1] == ([2, 3, 4], [100, 101, 102])  # first's overflow with the kept second...
    assert out[2] == ([2, 3, 4], [102, 103, 104])  # ...and with the second's overflow windows
    assert out[-1] == ([0, 1, 2], [104, 105])


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n1=st.integers(0, 14), n2=st.integers(0, 14), max_length=st.integers(4, 20), stride=st.integers(0, 3),
    strategy=st.sampled_from(["longest_first", "only_first", "only_second"]), side=st.sampled_from(["left", "right"]),
    pair=st.booleans(),
)
def test_slow_windows_equal_the_library(n1, n2, max_length, stride, strategy, side, pair):
    slow, fast = ToyTokenizer(truncation_side=side), toy_fast(truncation_side=side)
    args = (words(n1), words(n2, 20)) if pair else (words(n1),)
    options = dict(truncation=strategy, max_length=max_length, stride=stride, return_overflowing_tokens=True)
    outcomes = []
    for tok in (slow, fast):
        try:
            encoded = tok(*args, **options)
            outcomes.append((encoded["input_ids"], encoded["token_type_ids"], encoded["overflow_to_sample_mapping"]))
        except TokenizerError:
            outcomes.append("error")
    assert outcomes[0] == outcomes[1]
