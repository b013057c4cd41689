"""TensorFlow attention and rotary embeddings against PyTorch's scaled_dot_product_attention.

The reference attention is written here from torch.nn.Linear and
torch.nn.functional.scaled_dot_product_attention, loaded with the same canonical weights.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")

from plugformers.errors import ConfigError  # noqa: E402
from plugformers_sdk.rope import dynamic_inv_freq, rope_parameters  # noqa: E402
from plugformers_sdk.tf import (  # noqa: E402
    MultiHeadAttention,
    RotaryEmbedding,
    apply_rotary_pos_emb,
    make_attention_mask,
    scaled_dot_product_attention,
    tf,
    walk_canonical,
)

F = torch.nn.functional
ATOL = 1e-5


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def close(tf_value, torch_value, atol=ATOL):
    np.testing.assert_allclose(np.asarray(tf_value), torch_value.detach().numpy(), atol=atol, rtol=0)


def torch_rotate(x, cos, sin):
    """Reference rotate_half rotary of the first cos.shape[-1] features (x [b,h,s,d], cos [b,s,r])."""
    cos, sin = cos[:, None], sin[:, None]
    r = cos.shape[-1]
    rot, rest = x[..., :r], x[..., r:]
    half = torch.cat([-rot[..., r // 2:], rot[..., :r // 2]], dim=-1)
    return torch.cat([rot * cos + half * sin, rest], dim=-1)


class TorchAttention(torch.nn.Module):
    """The reference: torch Linear projections + F.scaled_dot_product_attention (with enable_gqa)."""

    def __init__(self, hidden, heads, kv_heads, kv_input=None):
        super().__init__()
        self.heads, self.kv_heads, self.d = heads, kv_heads, hidden // heads
        kv_input = kv_input or hidden
        self.q_proj = torch.nn.Linear(hidden, heads * self.d)
        self.k_proj = torch.nn.Linear(kv_input, kv_heads * self.d)
        self.v_proj = torch.nn.Linear(kv_input, kv_heads * self.d)
        self.o_proj = torch.nn.Linear(heads * self.d, hidden)

    def forward(self, x, mask=None, kv=None, rotary=None):
        b, s, _ = x.shape
        src = x if kv is None else kv
        q = self.q_proj(x).view(b, s, self.heads, self.d).transpose(1, 2)
        k = self.k_proj(src).view(b, src.shape[1], self.kv_heads, self.d).transpose(1, 2)
        v = self.v_proj(src).view(b, src.shape[1], self.kv_heads, self.d).transpose(1, 2)
        if rotary is not None:
            q, k = torch_rotate(q, *rotary), torch_rotate(k, *rotary)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=self.kv_heads != self.heads)
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1))


def paired(hidden=16, heads=4, kv_heads=4, kv_input=None, seed=0):
    torch.manual_seed(seed)
    ref = TorchAttention(hidden, heads, kv_heads, kv_input)
    layer = MultiHeadAttention(hidden, heads, num_key_value_heads=kv_heads, kv_input_size=kv_input)
    state = ref.state_dict()
    tensors = walk_canonical(layer)
    assert sorted(tensors) == sorted(state)
    for name, tensor in tensors.items():
        tensor.assign_canonical(state[name].numpy())
    return ref, layer


PADDING = np.array([[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]])  # second row left-padded


def torch_mask(mask2d, q, k, causal, past=0):
    allowed = torch.ones(1 if mask2d is None else len(mask2d), 1, q, k, dtype=torch.bool)
    if mask2d is not None:
        allowed &= torch.from_numpy(mask2d.astype(bool))[:, None, None, :]
    if causal:
        allowed &= torch.arange(k)[None, :] <= (torch.arange(q)[:, None] + past)
    return torch.where(allowed, 0.0, torch.finfo(torch.float32).min)


def test_make_attention_mask_padding_causal_and_none():
    assert make_attention_mask(None, batch_size=2, query_length=6, key_length=6, dtype="float32",
                               causal=False) is None
    assert make_attention_mask(None, batch_size=2, query_length=1, key_length=5, dtype="float32",
                               causal=True, past_length=4) is None
    mask = make_attention_mask(PADDING, batch_size=2, query_length=6, key_length=6, dtype="float32", causal=True)
    assert mask.shape == (2, 1, 6, 6)
    close(mask, torch_mask(PADDING, 6, 6, True))
    low = make_attention_mask(PADDING, batch_size=2, query_length=6, key_length=6, dtype="bfloat16", causal=False)
    assert low.dtype == tf.bfloat16 and np.isfinite(tf.cast(low, tf.float32).numpy()).all()
    assert float(tf.reduce_min(tf.cast(low, tf.float32))) == float(tf.bfloat16.min)
    # decoding 2 new tokens after 4 cached ones
    step = make_attention_mask(None, batch_size=1, query_length=2, key_length=6, dtype="float32", causal=True,
                               past_length=tf.constant(4))
    close(step, torch_mask(None, 2, 6, True, past=4))


@pytest.mark.parametrize("kv_heads", [4, 2, 1])
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_matches_torch_with_padding_causal_and_gqa(kv_heads, causal):
    q, k, v = rand(2, 4, 6, 8), rand(2, kv_heads, 6, 8, seed=1), rand(2, kv_heads, 6, 8, seed=2)
    mask = make_attention_mask(PADDING, batch_size=2, query_length=6, key_length=6, dtype="float32", causal=causal)
    ours = scaled_dot_product_attention(q, k, v, mask)
    ref = F.scaled_dot_product_attention(torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v),
                                         attn_mask=torch_mask(PADDING, 6, 6, causal), enable_gqa=kv_heads != 4)
    close(ours, ref)
    scaled = scaled_dot_product_attention(q, k, v, None, scale=0.3)
    close(scaled, F.scaled_dot_product_attention(torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v),
                                                 scale=0.3, enable_gqa=kv_heads != 4))


def test_fully_masked_row_stays_finite_and_low_precision_softmax():
    q, k, v = rand(1, 2, 3, 4), rand(1, 2, 3, 4, seed=1), rand(1, 2, 3, 4, seed=2)
    mask = make_attention_mask(np.zeros((1, 3)), batch_size=1, query_length=3, key_length=3, dtype="float32",
                               causal=False)
    assert np.isfinite(scaled_dot_product_attention(q, k, v, mask).numpy()).all()
    half = scaled_dot_product_attention(*(tf.constant(a, tf.bfloat16) for a in (q, k, v)))
    assert half.dtype == tf.bfloat16
    full = scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(tf.cast(half, tf.float32).numpy(), full.numpy(), atol=3e-2)


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_self_attention_layer_with_padding_causal_and_gqa(kv_heads):
    ref, layer = paired(kv_heads=kv_heads)
    x = rand(2, 6, 16)
    mask = make_attention_mask(PADDING, batch_size=2, query_length=6, key_length=6, dtype="float32", causal=True)
    out, present = layer(x, mask)
    assert present is None
    close(out, ref(torch.from_numpy(x), torch_mask(PADDING, 6, 6, True)))


def test_cross_attention_and_its_cache_reuse():
    ref, layer = paired(kv_input=12)
    x, memory = rand(2, 3, 16), rand(2, 5, 12, seed=1)
    mask = make_attention_mask(PADDING[:, :5], batch_size=2, query_length=3, key_length=5, dtype="float32",
                               causal=False)
    out, present = layer(x, mask, key_value_states=memory, use_cache=True)
    close(out, ref(torch.from_numpy(x), torch_mask(PADDING[:, :5], 3, 5, False), kv=torch.from_numpy(memory)))
    assert present[0].shape == (2, 4, 5, 4)
    # With the cache given, keys/values are reused: a different memory has no effect.
    again, _ = layer(x, mask, key_value_states=np.zeros_like(memory), past_key_value=present)
    np.testing.assert_allclose(again.numpy(), out.numpy(), atol=1e-6)


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_kv_cache_incremental_equals_full_with_rotary(kv_heads):
    ref, layer = paired(kv_heads=kv_heads)
    rotary = RotaryEmbedding(4, max_position_embeddings=32)
    x = rand(2, 6, 16)
    positions = np.tile(np.arange(6), (2, 1))
    cos, sin = rotary(positions)
    full_mask = make_attention_mask(PADDING, batch_size=2, query_length=6, key_length=6, dtype="float32",
                                    causal=True)
    full, _ = layer(x, full_mask, position_embeddings=(cos, sin))
    close(full, ref(torch.from_numpy(x), torch_mask(PADDING, 6, 6, True),
                    rotary=(torch.from_numpy(cos.numpy()), torch.from_numpy(sin.numpy()))))
    # Prefill 4 tokens, then decode 2 one at a time.
    mask = make_attention_mask(PADDING[:, :4], batch_size=2, query_length=4, key_length=4, dtype="float32",
                               causal=True)
    out, cache = layer(x[:, :4], mask, position_embeddings=(cos[:, :4], sin[:, :4]), use_cache=True)
    pieces = [out]
    for t in (4, 5):
        mask = make_attention_mask(PADDING[:, :t + 1], batch_size=2, query_length=1, key_length=t + 1,
                                   dtype="float32", causal=True, past_length=t)
        out, cache = layer(x[:, t:t + 1], mask, position_embeddings=(cos[:, t:t + 1], sin[:, t:t + 1]),
                           past_key_value=cache, use_cache=True)
        pieces.append(out)
    assert cache[0].shape == (2, kv_heads, 6, 4)
    # Compare the real (non-padding) query positions: a padding query sees no key at all, and the
    # uniform attention it falls back to depends on how many keys there are.
    real = PADDING.astype(bool)
    incremental = tf.concat(pieces, axis=1).numpy()
    np.testing.assert_allclose(incremental[real], full.numpy()[real], atol=ATOL)


def test_attention_compiles_with_xla():
    _, layer = paired(kv_heads=2)
    rotary = RotaryEmbedding(4)

    @tf.function(jit_compile=True)
    def step(x, mask2d, positions):
        mask = make_attention_mask(mask2d, batch_size=tf.shape(x)[0], query_length=tf.shape(x)[1],
                                   key_length=tf.shape(x)[1], dtype="float32", causal=True)
        return layer(x, mask, position_embeddings=rotary(positions))[0]

    x = rand(2, 6, 16)
    positions = np.tile(np.arange(6), (2, 1))
    compiled = step(tf.constant(x), tf.constant(PADDING), tf.constant(positions))
    mask = make_attention_mask(PADDING, batch_size=2, query_length=6, key_length=6, dtype="float32", causal=True)
    eager, _ = layer(x, mask, position_embeddings=rotary(positions))
    np.testing.assert_allclose(compiled.numpy(), eager.numpy(), atol=ATOL)


def test_bad_head_counts_are_config_errors():
    with pytest.raises(ConfigError, match="num_attention_heads"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ConfigError, match="num_key_value_heads"):
        MultiHeadAttention(16, 4, num_key_value_heads=3)


ROPE_CASES = [
    ("default", None, 1.0),
    ("partial", None, 0.5),
    ("linear", {"rope_type": "linear", "factor": 4.0}, 1.0),
    ("llama3", {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 16}, 1.0),
    ("yarn", {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}, 1.0),
    ("dynamic", {"rope_type": "dynamic", "factor": 2.0}, 1.0),
]


@pytest.mark.parametrize("name,scaling,partial", ROPE_CASES, ids=[c[0] for c in ROPE_CASES])
def test_rotary_cos_sin_use_the_shared_frequencies(name, scaling, partial):
    head_dim, max_pos = 8, 16
    rotary = RotaryEmbedding(head_dim, max_position_embeddings=max_pos, rope_scaling=scaling,
                             partial_rotary_factor=partial)
    params = rope_parameters(head_dim, max_position_embeddings=max_pos, rope_scaling=scaling,
                             partial_rotary_factor=partial)
    for length in (10, 40):  # within and beyond max_position_embeddings (dynamic grows its base)
        positions = np.stack([np.arange(length), np.arange(length) + 3]) if length == 10 else np.arange(length)[None]
        inv = dynamic_inv_freq(params, int(positions.max()) + 1)
        angles = positions[..., None].astype(np.float64) * inv.astype(np.float64)
        emb = np.concatenate([angles, angles], axis=-1)
        cos, sin = rotary(positions)
        assert cos.shape == (*positions.shape, params.rot_dim) and cos.dtype == tf.float32
        np.testing.assert_allclose(cos.numpy(), np.cos(emb) * params.attention_scaling, atol=2e-5)
        np.testing.assert_allclose(sin.numpy(), np.sin(emb) * params.attention_scaling, atol=2e-5)
    if name == "dynamic":
        assert not np.allclose(dynamic_inv_freq(params, 40), params.inv_freq)  # the test can fail
    if name == "yarn":
        assert params.attention_scaling != 1.0
    half, _ = rotary(np.arange(4)[None], dtype="bfloat16")
    assert half.dtype == tf.bfloat16


def test_apply_rotary_matches_transformers_llama_and_partial():
    q, k = rand(2, 4, 5, 8), rand(2, 2, 5, 8, seed=1)
    cos, sin = RotaryEmbedding(8)(np.tile(np.arange(5), (2, 1)))
    q_rot, k_rot = apply_rotary_pos_emb(q, k, cos, sin)
    tcos, tsin = torch.from_numpy(cos.numpy()), torch.from_numpy(sin.numpy())
    close(q_rot, torch_rotate(torch.from_numpy(q), tcos, tsin))
    close(k_rot, torch_rotate(torch.from_numpy(k), tcos, tsin))
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    expected_q, expected_k = llama.apply_rotary_pos_emb(torch.from_numpy(q), torch.from_numpy(k), tcos, tsin)
    close(q_rot, expected_q)
    close(k_rot, expected_k)
    # partial: only the first 4 features of each head rotate
    cos4, sin4 = RotaryEmbedding(8, partial_rotary_factor=0.5)(np.tile(np.arange(5), (2, 1)))
    q_part, _ = apply_rotary_pos_emb(q, k, cos4, sin4)
    np.testing.assert_array_equal(q_part.numpy()[..., 4:], q[..., 4:])
    close(q_part, torch_rotate(torch.from_numpy(q), torch.from_numpy(cos4.numpy()), torch.from_numpy(sin4.numpy())))
