"""Attention against torch's scaled_dot_product_attention and a torch multi-head reference."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from plugformers.errors import ConfigError
from plugformers_sdk.flax import (
    MultiHeadAttention,
    RotaryEmbedding,
    make_attention_mask,
    scaled_dot_product_attention,
    walk_canonical,
)

ATOL = 1e-5


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def numpy_mask(padding, query_length, key_length, past_length, causal, dtype=np.float32):
    """Independent additive mask [b, 1, q, k] built with loops."""
    batch = padding.shape[0] if padding is not None else 1
    mask = np.zeros((batch, 1, query_length, key_length), dtype)
    for b in range(batch):
        for i in range(query_length):
            for j in range(key_length):
                blocked = (padding is not None and padding[b, j] == 0) or (causal and j > past_length + i)
                if blocked:
                    mask[b, 0, i, j] = np.finfo(dtype).min
    return mask


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("past_length", [0, 3])
def test_make_attention_mask_matches_loops(causal, past_length):
    padding = np.array([[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]])
    q = 6 - past_length
    mask = make_attention_mask(jnp.asarray(padding), batch_size=2, query_length=q, key_length=6,
                               dtype=jnp.float32, causal=causal, past_length=past_length)
    np.testing.assert_array_equal(mask, numpy_mask(padding, q, 6, past_length, causal))


def test_make_attention_mask_returns_none_when_nothing_is_masked():
    kwargs = {"batch_size": 2, "dtype": jnp.float32}
    assert make_attention_mask(None, query_length=4, key_length=4, causal=False, **kwargs) is None
    # one new token against its whole past: causality does not bite
    assert make_attention_mask(None, query_length=1, key_length=5, causal=True, past_length=4, **kwargs) is None
    causal = make_attention_mask(None, query_length=4, key_length=4, causal=True, **kwargs)
    np.testing.assert_array_equal(causal, np.broadcast_to(numpy_mask(None, 4, 4, 0, True), (2, 1, 4, 4)))


def test_mask_uses_the_dtype_minimum_and_rejects_bad_shapes():
    mask = make_attention_mask(jnp.array([[1, 0]]), batch_size=1, query_length=1, key_length=2,
                               dtype=jnp.bfloat16, causal=False)
    assert mask.dtype == jnp.bfloat16 and float(mask[0, 0, 0, 1]) == float(jnp.finfo(jnp.bfloat16).min)
    with pytest.raises(ConfigError, match="attention_mask must have shape"):
        make_attention_mask(jnp.ones((2, 3)), batch_size=2, query_length=4, key_length=4,
                            dtype=jnp.float32, causal=False)


def torch_sdpa(torch, q, k, v, mask=None, scale=None):
    return torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v),
        attn_mask=None if mask is None else torch.from_numpy(np.array(mask)), scale=scale,
        enable_gqa=k.shape[1] != q.shape[1],
    ).numpy()


def test_sdpa_matches_torch_plain_and_scaled(torch):
    q, k, v = rand(2, 4, 5, 8, seed=1), rand(2, 4, 7, 8, seed=2), rand(2, 4, 7, 8, seed=3)
    np.testing.assert_allclose(scaled_dot_product_attention(q, k, v), torch_sdpa(torch, q, k, v), atol=ATOL)
    np.testing.assert_allclose(scaled_dot_product_attention(q, k, v, scale=0.3),
                               torch_sdpa(torch, q, k, v, scale=0.3), atol=ATOL)


def test_sdpa_with_padding_and_causal_mask_matches_torch(torch):
    q, k, v = rand(2, 4, 6, 8, seed=1), rand(2, 4, 6, 8, seed=2), rand(2, 4, 6, 8, seed=3)
    padding = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    mask = make_attention_mask(jnp.asarray(padding), batch_size=2, query_length=6, key_length=6,
                               dtype=jnp.float32, causal=True)
    np.testing.assert_allclose(scaled_dot_product_attention(q, k, v, mask), torch_sdpa(torch, q, k, v, mask),
                               atol=ATOL)


def test_sdpa_grouped_query_heads_match_torch(torch):
    q, k, v = rand(2, 6, 5, 4, seed=1), rand(2, 2, 5, 4, seed=2), rand(2, 2, 5, 4, seed=3)
    np.testing.assert_allclose(scaled_dot_product_attention(q, k, v), torch_sdpa(torch, q, k, v), atol=ATOL)
    with pytest.raises(ConfigError, match="does not divide"):
        scaled_dot_product_attention(q, rand(2, 4, 5, 4), rand(2, 4, 5, 4))


def test_fully_padded_rows_stay_finite():
    q, k, v = rand(1, 2, 3, 4), rand(1, 2, 3, 4), rand(1, 2, 3, 4)
    mask = make_attention_mask(jnp.zeros((1, 3)), batch_size=1, query_length=3, key_length=3,
                               dtype=jnp.float16, causal=True)
    out = scaled_dot_product_attention(jnp.asarray(q, jnp.float16), jnp.asarray(k, jnp.float16),
                                       jnp.asarray(v, jnp.float16), mask)
    assert out.dtype == jnp.float16 and bool(jnp.all(jnp.isfinite(out)))


def test_sdpa_low_precision_close_to_float32(torch):
    q, k, v = rand(1, 2, 4, 8, seed=1), rand(1, 2, 4, 8, seed=2), rand(1, 2, 4, 8, seed=3)
    half = scaled_dot_product_attention(*(jnp.asarray(a, jnp.bfloat16) for a in (q, k, v)))
    assert half.dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(half, np.float32), torch_sdpa(torch, q, k, v), atol=3e-2)


def test_sdpa_dropout_needs_an_rng_and_is_off_outside_training():
    q = jnp.asarray(rand(1, 1, 3, 4))
    np.testing.assert_array_equal(scaled_dot_product_attention(q, q, q, dropout_p=0.5),
                                  scaled_dot_product_attention(q, q, q))
    with pytest.raises(ConfigError, match="dropout_rng"):
        scaled_dot_product_attention(q, q, q, dropout_p=0.5, training=True)


# -- MultiHeadAttention against a torch reference built here ------------------------------------------


class TorchAttention:
    """q/k/v/o nn.Linear + F.scaled_dot_product_attention, with rotary from the same cos/sin."""

    def __init__(self, torch, hidden, heads, kv_heads, kv_input=None, bias=True):
        self.torch, self.heads, self.kv_heads = torch, heads, kv_heads
        self.head_dim = hidden // heads
        kv_input = kv_input or hidden
        self.q = torch.nn.Linear(hidden, heads * self.head_dim, bias=bias)
        self.k = torch.nn.Linear(kv_input, kv_heads * self.head_dim, bias=bias)
        self.v = torch.nn.Linear(kv_input, kv_heads * self.head_dim, bias=bias)
        self.o = torch.nn.Linear(heads * self.head_dim, hidden, bias=bias)

    def state(self, names=("q_proj", "k_proj", "v_proj", "o_proj")):
        out = {}
        for name, module in zip(names, (self.q, self.k, self.v, self.o)):
            for key, value in module.state_dict().items():
                out[f"{name}.{key}"] = value.numpy()
        return out

    def __call__(self, hidden, mask=None, kv=None, cos=None, sin=None):
        torch = self.torch
        x = torch.from_numpy(hidden)
        source = x if kv is None else torch.from_numpy(kv)
        b, s, _ = x.shape

        def split(t, h):
            return t.view(b, -1, h, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q(x), self.heads), split(self.k(source), self.kv_heads), split(self.v(source), self.kv_heads)
        if cos is not None:
            c, si = torch.from_numpy(np.array(cos))[:, None], torch.from_numpy(np.array(sin))[:, None]

            def rot(t):
                half = t.shape[-1] // 2
                return t * c + torch.cat([-t[..., half:], t[..., :half]], -1) * si

            q, k = rot(q), rot(k)
        attn = torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=None if mask is None else torch.from_numpy(np.array(mask)),
            enable_gqa=self.heads != self.kv_heads)
        return self.o(attn.transpose(1, 2).reshape(b, s, -1)).detach().numpy()


def load(module, state):
    tensors = dict(walk_canonical(module))
    assert set(tensors) == set(state)
    for name, tensor in tensors.items():
        tensor.assign(state[name], jnp.float32)


def test_mha_self_attention_with_rotary_gqa_and_padding(torch):
    ref = TorchAttention(torch, 16, 4, 2)
    mha = MultiHeadAttention(16, 4, num_key_value_heads=2, rngs=nnx.Rngs(0))
    load(mha, ref.state())
    hidden = rand(2, 5, 16, seed=4)
    padding = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    mask = make_attention_mask(jnp.asarray(padding), batch_size=2, query_length=5, key_length=5,
                               dtype=jnp.float32, causal=True)
    cos, sin = RotaryEmbedding(4)(jnp.broadcast_to(jnp.arange(5), (2, 5)))
    out, present = mha(jnp.asarray(hidden), mask, position_embeddings=(cos, sin))
    assert present is None
    np.testing.assert_allclose(out, ref(hidden, mask, cos=cos, sin=sin), atol=ATOL)


def test_mha_cross_attention_matches_torch_and_reuses_cache(torch):
    ref = TorchAttention(torch, 16, 4, 4, kv_input=12)
    mha = MultiHeadAttention(16, 4, kv_input_size=12, names=("query", "key", "value", "out"), rngs=nnx.Rngs(0))
    assert [n for n, _ in walk_canonical(mha)][::2] == ["query.weight", "key.weight", "value.weight", "out.weight"]
    load(mha, ref.state(("query", "key", "value", "out")))
    hidden, encoder = rand(2, 3, 16, seed=5), rand(2, 7, 12, seed=6)
    out, present = mha(jnp.asarray(hidden), key_value_states=jnp.asarray(encoder), use_cache=True)
    np.testing.assert_allclose(out, ref(hidden, kv=encoder), atol=ATOL)
    assert present[0].shape == (2, 4, 7, 4)
    # with a cache the encoder states are not projected again: garbage states give the same result
    again, _ = mha(jnp.asarray(hidden), key_value_states=jnp.zeros((2, 7, 12)), past_key_value=present)
    np.testing.assert_allclose(again, out, atol=1e-6)


def test_mha_incremental_decoding_with_cache_equals_full_pass():
    mha = MultiHeadAttention(16, 4, num_key_value_heads=1, rngs=nnx.Rngs(1))
    rotary = RotaryEmbedding(4)

    @nnx.jit(static_argnames="past")
    def attend(module, hidden, positions, cache, past):
        mask = make_attention_mask(None, batch_size=2, query_length=hidden.shape[1],
                                   key_length=past + hidden.shape[1], dtype=jnp.float32, causal=True, past_length=past)
        return module(hidden, mask, position_embeddings=rotary(positions), past_key_value=cache, use_cache=True)

    hidden = jnp.asarray(rand(2, 6, 16, seed=7))
    positions = jnp.broadcast_to(jnp.arange(6), (2, 6))
    full, _ = attend(mha, hidden, positions, None, 0)
    first, cache = attend(mha, hidden[:, :4], positions[:, :4], None, 0)  # prefill 4, then one token at a time
    steps = [first]
    for t in (4, 5):
        out, cache = attend(mha, hidden[:, t:t + 1], positions[:, t:t + 1], cache, t)
        steps.append(out)
    assert cache[0].shape == (2, 1, 6, 4)
    np.testing.assert_allclose(jnp.concatenate(steps, axis=1), full, atol=ATOL)


def test_mha_rejects_heads_that_do_not_group():
    with pytest.raises(ConfigError, match="num_key_value_heads=3"):
        MultiHeadAttention(16, 4, num_key_value_heads=3, rngs=nnx.Rngs(0))
    with pytest.raises(ConfigError, match="hidden_size=10"):
        MultiHeadAttention(10, 4, rngs=nnx.Rngs(0))


def test_mha_attention_dropout_follows_module_mode():
    mha = MultiHeadAttention(8, 2, dropout=0.5, rngs=nnx.Rngs(0))
    hidden = jnp.asarray(rand(1, 6, 8))
    a, _ = mha(hidden)
    b, _ = mha(hidden)
    assert not np.allclose(a, b)  # training mode: fresh dropout masks
    mha.eval()
    c, _ = mha(hidden)
    d, _ = mha(hidden, training=False)
    np.testing.assert_array_equal(c, d)
