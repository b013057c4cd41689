"""Rotary frequencies of every scaling type against Transformers' rope init functions (oracle)."""

from __future__ import annotations

import numpy as np
import pytest

from plugformers.errors import ConfigError
from plugformers_sdk.rope import dynamic_inv_freq, rope_parameters

HEAD_DIM = 16
MAX_POS = 128

CASES = [
    ("default", None, 1.0),
    ("default-partial", None, 0.5),
    ("linear", {"rope_type": "linear", "factor": 4.0}, 1.0),
    ("linear-legacy-type", {"type": "linear", "factor": 2.5}, 1.0),
    ("dynamic", {"rope_type": "dynamic", "factor": 2.0}, 1.0),
    ("llama3", {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 64}, 1.0),
    ("llama3-partial", {"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0, "high_freq_factor": 2.0,
                        "original_max_position_embeddings": 32}, 0.5),
    ("yarn", {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32}, 1.0),
    ("yarn-betas-notruncate", {"rope_type": "yarn", "factor": 3.0, "original_max_position_embeddings": 40,
                               "beta_fast": 16, "beta_slow": 2, "truncate": False}, 1.0),
    ("yarn-mscale", {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 16,
                     "mscale": 0.707, "mscale_all_dim": 1.0}, 1.0),
    ("yarn-attention-factor", {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 64,
                               "attention_factor": 0.9}, 1.0),
    ("yarn-no-factor", {"rope_type": "yarn", "factor": None, "original_max_position_embeddings": 32}, 1.0),
]


def _oracle(scaling, partial, base, seq_len=None):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    params = {"rope_type": "default"} if scaling is None else dict(scaling)
    params.setdefault("rope_type", params.get("type", "default"))
    params["rope_theta"] = base
    params["partial_rotary_factor"] = partial
    config = transformers.LlamaConfig(hidden_size=64, num_attention_heads=4, head_dim=HEAD_DIM,
                                      max_position_embeddings=MAX_POS, rope_parameters=params)
    rope_type = params["rope_type"]
    if rope_type == "default":
        # Llama's default init ignores partial_rotary_factor; linear scaling with factor 1 is the
        # default rope and honours it.
        config.rope_parameters.update(rope_type="linear", factor=1.0)
        rope_type = "linear"
    kwargs = {"seq_len": seq_len} if seq_len is not None else {}
    inv_freq, scaling_factor = ROPE_INIT_FUNCTIONS[rope_type](config, "cpu", **kwargs)
    return inv_freq.numpy(), float(scaling_factor)


@pytest.mark.parametrize("name,scaling,partial", CASES, ids=[c[0] for c in CASES])
def test_frequencies_match_transformers(name, scaling, partial):
    base = 500.0 if "partial" in name else 10000.0
    ours = rope_parameters(HEAD_DIM, base=base, max_position_embeddings=MAX_POS, rope_scaling=scaling,
                           partial_rotary_factor=partial)
    expected, scaling_factor = _oracle(scaling, partial, base)
    assert ours.inv_freq.dtype == np.float32
    assert ours.inv_freq.shape == expected.shape == (int(HEAD_DIM * partial) // 2,)
    np.testing.assert_allclose(ours.inv_freq, expected, rtol=2e-6, atol=0)
    assert ours.attention_scaling == pytest.approx(scaling_factor, rel=1e-12)


@pytest.mark.parametrize("seq_len", [MAX_POS // 2, MAX_POS, MAX_POS + 1, 3 * MAX_POS])
def test_dynamic_frequencies_grow_like_transformers(seq_len):
    scaling = {"rope_type": "dynamic", "factor": 2.0}
    params = rope_parameters(HEAD_DIM, max_position_embeddings=MAX_POS, rope_scaling=scaling)
    expected, _ = _oracle(scaling, 1.0, 10000.0, seq_len=seq_len)
    np.testing.assert_allclose(dynamic_inv_freq(params, seq_len), expected, rtol=2e-6)
    if seq_len > MAX_POS:  # really changed, i.e. the test can fail
        assert not np.allclose(dynamic_inv_freq(params, seq_len), params.inv_freq)


def test_v5_rope_parameters_dict_overrides_base_and_partial():
    params = rope_parameters(HEAD_DIM, rope_scaling={"rope_type": "default", "rope_theta": 100.0,
                                                     "partial_rotary_factor": 0.5})
    assert params.rot_dim == HEAD_DIM // 2
    np.testing.assert_allclose(params.inv_freq, 100.0 ** (-np.arange(0, 8, 2) / 8), rtol=1e-6)


def test_dynamic_is_identity_for_static_types():
    params = rope_parameters(HEAD_DIM, rope_scaling={"rope_type": "linear", "factor": 2.0})
    assert dynamic_inv_freq(params, 10 * MAX_POS) is params.inv_freq


@pytest.mark.parametrize(
    "scaling,key",
    [
        ({"rope_type": "longrope-ish"}, "rope_type"),
        ({"type": "nope"}, "rope_type"),
        ({"rope_type": "linear"}, "factor"),
        ({"rope_type": "linear", "factor": "2"}, "factor"),
        ({"rope_type": "dynamic", "factor": 0.5}, "factor"),
        ({"rope_type": "llama3", "factor": 8.0, "high_freq_factor": 4.0}, "low_freq_factor"),
        ({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 4.0, "high_freq_factor": 1.0}, "high_freq_factor"),
        ({"rope_type": "yarn", "factor": 2.0, "truncate": "yes"}, "truncate"),
        ({"rope_type": "yarn", "factor": float("nan")}, "factor"),
        ({"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": -3}, "original_max_position_embeddings"),
    ],
)
def test_bad_rope_scaling_names_the_key(scaling, key):
    with pytest.raises(ConfigError, match=key):
        rope_parameters(HEAD_DIM, rope_scaling=scaling)


@pytest.mark.parametrize(
    "kwargs,word",
    [({"partial_rotary_factor": 0.0}, "partial_rotary_factor"), ({"partial_rotary_factor": 0.1}, "partial_rotary_factor"),
     ({"base": 1.0}, "base"), ({"max_position_embeddings": 0}, "max_position_embeddings")],
)
def test_bad_arguments_are_config_errors(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        rope_parameters(HEAD_DIM, **kwargs)


def test_bad_head_dim():
    with pytest.raises(ConfigError, match="head_dim"):
        rope_parameters(0)
