"""Rotary embeddings per scaling type against Transformers' Llama rotary embedding (the oracle)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from plugformers.errors import ConfigError
from plugformers_sdk.flax import RotaryEmbedding, apply_rotary_pos_emb, walk_canonical
from plugformers_sdk.rope import dynamic_inv_freq, rope_parameters

HEAD_DIM, MAX_POS = 16, 32

SCALINGS = {
    "default": None,
    "linear": {"rope_type": "linear", "factor": 2.0},
    "dynamic": {"rope_type": "dynamic", "factor": 2.0},
    "llama3": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 8},
    "yarn": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8, "beta_fast": 32.0,
             "beta_slow": 1.0},
    "legacy-type-key": {"type": "linear", "factor": 3.0},
}


def oracle_cos_sin(scaling, positions, base=10000.0):
    modeling_llama = pytest.importorskip("transformers.models.llama.modeling_llama",
                                         reason="transformers (oracle) is not installed")
    torch = pytest.importorskip("torch")
    from transformers import LlamaConfig

    rope = {"rope_type": "default", "rope_theta": base}
    if scaling:
        rope = {**scaling, "rope_theta": base}
        rope.setdefault("rope_type", rope.pop("type", "default"))
    config = LlamaConfig(hidden_size=HEAD_DIM * 2, num_attention_heads=2, max_position_embeddings=MAX_POS,
                         rope_parameters=rope)
    rotary = modeling_llama.LlamaRotaryEmbedding(config)
    ids = torch.from_numpy(np.asarray(positions))
    cos, sin = rotary(torch.zeros(1, dtype=torch.float32), ids)
    return cos.numpy(), sin.numpy()


@pytest.mark.oracle
@pytest.mark.parametrize("kind", list(SCALINGS))
def test_cos_sin_match_transformers(kind):
    scaling = SCALINGS[kind]
    positions = np.arange(24)[None].repeat(2, axis=0)
    cos, sin = RotaryEmbedding(HEAD_DIM, max_position_embeddings=MAX_POS, rope_scaling=scaling)(jnp.asarray(positions))
    expected_cos, expected_sin = oracle_cos_sin(scaling, positions)
    assert cos.shape == (2, 24, HEAD_DIM)
    np.testing.assert_allclose(cos, expected_cos, atol=1e-5)
    np.testing.assert_allclose(sin, expected_sin, atol=1e-5)


@pytest.mark.oracle
def test_dynamic_rope_grows_beyond_the_original_length_also_under_jit():
    scaling = SCALINGS["dynamic"]
    rotary = RotaryEmbedding(HEAD_DIM, max_position_embeddings=MAX_POS, rope_scaling=scaling)
    positions = np.arange(MAX_POS + 16)[None]
    expected_cos, expected_sin = oracle_cos_sin(scaling, positions)
    short_cos, _ = oracle_cos_sin(scaling, positions[:, :MAX_POS])
    assert not np.allclose(expected_cos[:, :MAX_POS], short_cos, atol=1e-4)  # frequencies really changed
    eager = rotary(jnp.asarray(positions))
    jitted = nnx.jit(lambda module, ids: module(ids))(rotary, jnp.asarray(positions))
    for cos, sin in (eager, jitted):
        np.testing.assert_allclose(cos, expected_cos, atol=1e-5)
        np.testing.assert_allclose(sin, expected_sin, atol=1e-5)


def test_dynamic_frequencies_come_from_the_shared_rope_module():
    rotary = RotaryEmbedding(HEAD_DIM, max_position_embeddings=MAX_POS, rope_scaling=SCALINGS["dynamic"])
    params = rope_parameters(HEAD_DIM, max_position_embeddings=MAX_POS, rope_scaling=SCALINGS["dynamic"])
    positions = jnp.array([[0, 70]])
    cos, _ = jax.jit(lambda ids: rotary(ids))(positions)
    inv = dynamic_inv_freq(params, 71)
    np.testing.assert_allclose(cos[0, 1, : HEAD_DIM // 2], np.cos(70 * inv.astype(np.float64)), atol=1e-5)


@pytest.mark.oracle
def test_apply_rotary_matches_transformers():
    modeling_llama = pytest.importorskip("transformers.models.llama.modeling_llama",
                                         reason="transformers (oracle) is not installed")
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 4, 5, HEAD_DIM), np.float32), rng.standard_normal((2, 2, 5, HEAD_DIM), np.float32)
    cos, sin = RotaryEmbedding(HEAD_DIM)(jnp.broadcast_to(jnp.arange(5), (2, 5)))
    ours = apply_rotary_pos_emb(jnp.asarray(q), jnp.asarray(k), cos, sin)
    theirs = modeling_llama.apply_rotary_pos_emb(torch.from_numpy(q), torch.from_numpy(k),
                                                 torch.from_numpy(np.array(cos)), torch.from_numpy(np.array(sin)))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b.numpy(), atol=1e-5)


def test_partial_rotary_rotates_only_the_first_features():
    rotary = RotaryEmbedding(HEAD_DIM, partial_rotary_factor=0.5)
    cos, sin = rotary(jnp.arange(5)[None])
    assert cos.shape == (1, 5, HEAD_DIM // 2)
    x = np.random.default_rng(1).standard_normal((1, 2, 5, HEAD_DIM)).astype(np.float32)
    q, _ = apply_rotary_pos_emb(jnp.asarray(x), jnp.asarray(x), cos, sin)
    np.testing.assert_array_equal(q[..., HEAD_DIM // 2:], x[..., HEAD_DIM // 2:])
    # independent NumPy rotation of the first half: pairs (i, i + rot/2) rotate by angle pos * inv_freq[i]
    rot = HEAD_DIM // 2
    inv = 1.0 / (10000.0 ** (np.arange(0, rot, 2) / rot))
    angle = np.arange(5)[:, None] * inv[None]
    x1, x2 = x[..., : rot // 2], x[..., rot // 2: rot]
    expected = np.concatenate([x1 * np.cos(angle) - x2 * np.sin(angle), x2 * np.cos(angle) + x1 * np.sin(angle)], -1)
    np.testing.assert_allclose(q[..., :rot], expected, atol=1e-5)


def test_rotary_has_no_canonical_tensors_and_rejects_bad_scaling():
    assert list(walk_canonical(RotaryEmbedding(HEAD_DIM))) == []
    with pytest.raises(ConfigError, match="rope_type"):
        RotaryEmbedding(HEAD_DIM, rope_scaling={"rope_type": "unknown"})


def test_cos_sin_dtype():
    cos, sin = RotaryEmbedding(HEAD_DIM)(jnp.arange(3)[None], dtype=jnp.bfloat16)
    assert cos.dtype == sin.dtype == jnp.bfloat16
