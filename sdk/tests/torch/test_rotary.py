"""RotaryEmbedding and apply_rotary_pos_emb against Transformers' Llama rotary (oracle)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from plugformers_sdk.rope import dynamic_inv_freq
from plugformers_sdk.torch import RotaryEmbedding, apply_rotary_pos_emb

HEAD_DIM, MAX_POS = 16, 32

SCALINGS = {
    "default": None,
    "linear": {"rope_type": "linear", "factor": 2.0},
    "dynamic": {"rope_type": "dynamic", "factor": 2.0},
    "llama3": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 16},
    "yarn": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8},
}


def _hf_rotary(scaling):
    transformers = pytest.importorskip("transformers")
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    params = {"rope_type": "default", "rope_theta": 10000.0, **(scaling or {})}
    config = transformers.LlamaConfig(hidden_size=64, num_attention_heads=4, head_dim=HEAD_DIM,
                                      max_position_embeddings=MAX_POS, rope_parameters=params)
    return LlamaRotaryEmbedding(config)


@pytest.mark.oracle
@pytest.mark.parametrize("name", list(SCALINGS))
@pytest.mark.parametrize("length", [MAX_POS // 2, 3 * MAX_POS])
def test_cos_sin_match_transformers(name, length):
    ours = RotaryEmbedding(HEAD_DIM, max_position_embeddings=MAX_POS, rope_scaling=SCALINGS[name])
    theirs = _hf_rotary(SCALINGS[name])
    positions = torch.arange(length)[None].expand(2, -1)
    x = torch.zeros(2, length, HEAD_DIM)
    cos, sin = ours(positions)
    hf_cos, hf_sin = theirs(x, positions)
    assert cos.shape == (2, length, HEAD_DIM)
    torch.testing.assert_close(cos, hf_cos, rtol=1e-5, atol=2e-5)
    torch.testing.assert_close(sin, hf_sin, rtol=1e-5, atol=2e-5)


def test_dynamic_frequencies_agree_with_numpy_and_grow():
    scaling = SCALINGS["dynamic"]
    ours = RotaryEmbedding(HEAD_DIM, max_position_embeddings=MAX_POS, rope_scaling=scaling)
    for length in (MAX_POS, 3 * MAX_POS):
        positions = torch.arange(length)[None]
        got = ours._frequencies(positions).numpy()
        np.testing.assert_allclose(got, dynamic_inv_freq(ours.params, length), rtol=1e-5)
    assert not np.allclose(ours._frequencies(torch.arange(3 * MAX_POS)[None]).numpy(), ours.params.inv_freq)


def test_yarn_scales_cos_and_sin():
    ours = RotaryEmbedding(HEAD_DIM, max_position_embeddings=MAX_POS, rope_scaling=SCALINGS["yarn"])
    cos, _ = ours(torch.zeros(1, 1, dtype=torch.long))
    assert ours.attention_scaling > 1.0
    torch.testing.assert_close(cos, torch.full_like(cos, ours.attention_scaling))


def test_output_dtype_and_inv_freq_stays_float32_under_cast():
    ours = RotaryEmbedding(HEAD_DIM).to(torch.bfloat16)
    assert ours.inv_freq.dtype == torch.float32
    cos, sin = ours(torch.arange(4)[None], torch.bfloat16)
    assert cos.dtype == sin.dtype == torch.bfloat16
    assert "inv_freq" not in ours.state_dict()


@pytest.mark.oracle
def test_apply_rotary_matches_transformers():
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    rotary = RotaryEmbedding(HEAD_DIM)
    q, k = torch.randn(2, 4, 5, HEAD_DIM), torch.randn(2, 2, 5, HEAD_DIM)
    cos, sin = rotary(torch.arange(5)[None].expand(2, -1))
    ours = apply_rotary_pos_emb(q, k, cos, sin)
    theirs = llama.apply_rotary_pos_emb(q, k, cos, sin)
    torch.testing.assert_close(ours[0], theirs[0])
    torch.testing.assert_close(ours[1], theirs[1])


def test_partial_rotary_turns_only_the_first_features():
    rotary = RotaryEmbedding(HEAD_DIM, partial_rotary_factor=0.5)
    assert rotary.rot_dim == HEAD_DIM // 2
    q, k = torch.randn(1, 2, 3, HEAD_DIM), torch.randn(1, 2, 3, HEAD_DIM)
    cos, sin = rotary(torch.arange(3)[None])
    assert cos.shape[-1] == HEAD_DIM // 2
    q2, k2 = apply_rotary_pos_emb(q, k, cos, sin)
    torch.testing.assert_close(q2[..., 8:], q[..., 8:])
    full_q, _ = apply_rotary_pos_emb(q[..., :8], k[..., :8], cos, sin)
    torch.testing.assert_close(q2[..., :8], full_q)
    # Rotation preserves norms pairwise, and position 0 is the identity.
    torch.testing.assert_close(q2[:, :, 0], q[:, :, 0])
    assert not torch.allclose(q2[:, :, 2, :8], q[:, :, 2, :8])


def test_rotary_is_relative():
    # <R(m) q, R(n) k> depends only on m - n.
    rotary = RotaryEmbedding(HEAD_DIM)
    q, k = torch.randn(1, 1, 1, HEAD_DIM, dtype=torch.float64), torch.randn(1, 1, 1, HEAD_DIM, dtype=torch.float64)

    def score(m, n):
        cm, sm = (t.double() for t in rotary(torch.tensor([[m]])))
        cn, sn = (t.double() for t in rotary(torch.tensor([[n]])))
        return (apply_rotary_pos_emb(q, q, cm, sm)[0] * apply_rotary_pos_emb(k, k, cn, sn)[1]).sum()

    torch.testing.assert_close(score(7, 3), score(14, 10), rtol=1e-5, atol=1e-5)
