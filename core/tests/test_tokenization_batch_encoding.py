"""BatchEncoding: a dict with attribute access, tensor conversion, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from plugformers.errors import TokenizerError
from plugformers.tokenization import BatchEncoding


def test_dict_and_attributes():
    enc = BatchEncoding({"input_ids": [[1, 2]], "attention_mask": [[1, 1]]})
    assert isinstance(enc, dict) and enc.input_ids == [[1, 2]] and enc["attention_mask"] == [[1, 1]]
    assert enc[:1] == {"input_ids": [[1, 2]], "attention_mask": [[1, 1]]}
    with pytest.raises(AttributeError):
        _ = enc.nothing
    assert not enc.is_fast
    with pytest.raises(TokenizerError, match="fast tokenizer"):
        enc.char_to_token(0)


def test_tensors_and_ragged_rows():
    enc = BatchEncoding({"input_ids": [1, 2, 3]}, tensor_type="np", prepend_batch_axis=True)
    assert enc["input_ids"].shape == (1, 3) and enc["input_ids"].dtype == np.int64
    with pytest.raises(TokenizerError, match="input_ids.*padding=True"):
        BatchEncoding({"input_ids": [[1], [1, 2]]}, tensor_type="np")
    tf_or_jax = pytest.importorskip("jax", reason="jax is needed for return_tensors='jax'")
    jax_enc = BatchEncoding({"input_ids": [[1, 2]]}, tensor_type="jax")
    assert isinstance(jax_enc["input_ids"], tf_or_jax.Array)


def test_pickle_round_trip():
    enc = BatchEncoding({"input_ids": [[1, 2]]}, n_sequences=1)
    again = pickle.loads(pickle.dumps(enc))
    assert again == enc and again.n_sequences == 1 and again.input_ids == [[1, 2]]
