"""``CausalLMGeneration.prepare_inputs_for_generation`` and ``cached_length``, the SDK's one copy of
what every causal LM head needs for decoding steps."""

from __future__ import annotations

import numpy as np
import pytest

from plugformers_sdk.generation import CausalLMGeneration, GenerationMixin, cached_length


class Head(CausalLMGeneration, GenerationMixin):
    pass


def cache(length: int) -> tuple:
    key = np.zeros((1, 2, length, 4))
    return ((key, key), (key, key))


def test_only_tokens_not_yet_cached_are_fed():
    ids = np.arange(10)[None]
    mask = np.ones_like(ids)
    step = Head().prepare_inputs_for_generation(ids, past_key_values=cache(7), attention_mask=mask, position_ids=3)
    np.testing.assert_array_equal(step["input_ids"], [[7, 8, 9]])
    assert step["attention_mask"] is mask and step["use_cache"] is True and step["position_ids"] == 3
    first = Head().prepare_inputs_for_generation(ids)
    np.testing.assert_array_equal(first["input_ids"], ids)


def test_can_generate_marks_heads_that_mix_it_in():
    assert Head.can_generate() and not GenerationMixin.can_generate()


def test_cached_length():
    assert cached_length(None) == 0 and cached_length(()) == 0
    assert cached_length(cache(5)) == 5


def test_cached_length_is_dynamic_in_tensorflow():
    tf = pytest.importorskip("tensorflow", reason="TensorFlow not installed")
    seen = []

    @tf.function(input_signature=[tf.TensorSpec([1, 2, None, 4], tf.float32)])
    def length(key):
        seen.append(cached_length(((key, key),)))
        return seen[-1]

    assert int(length(tf.zeros((1, 2, 6, 4)))) == 6
    assert isinstance(seen[0], tf.Tensor)  # traced with an unknown length: not a Python int
