"""Attention against a plain-math reference written here: padding, causal, cross, KV cache, GQA."""

from __future__ import annotations

import math

import pytest
import torch

from plugformers.errors import ConfigError
from plugformers_sdk.torch import MultiHeadAttention, make_attention_mask, scaled_dot_product_attention
from plugformers_sdk.torch.rotary import RotaryEmbedding


def _x(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def reference_attention(q, k, v, allowed=None):
    """softmax(q k^T / sqrt(d)) v, with boolean ``allowed`` [b, 1|h, q, k] and GQA by head index."""
    heads, kv_heads = q.shape[1], k.shape[1]
    group = heads // kv_heads
    out = torch.empty_like(q)
    for h in range(heads):
        scores = q[:, h] @ k[:, h // group].transpose(-1, -2) / math.sqrt(q.shape[-1])
        if allowed is not None:
            scores = scores.masked_fill(~allowed[:, min(h, allowed.shape[1] - 1)], float("-inf"))
        out[:, h] = torch.softmax(scores, dim=-1) @ v[:, h // group]
    return out


def reference_allowed(padding, query_length, key_length, causal, past=0):
    allowed = torch.ones(padding.shape[0], 1, query_length, key_length, dtype=torch.bool)
    allowed &= padding.bool()[:, None, None, :]
    if causal:
        for i in range(query_length):
            allowed[:, :, i, past + i + 1:] = False
    return allowed


@pytest.mark.parametrize("kv_heads", [4, 2, 1])
def test_sdpa_matches_reference_with_gqa_and_mask(kv_heads):
    q, k, v = _x(2, 4, 5, 8, seed=1), _x(2, kv_heads, 7, 8, seed=2), _x(2, kv_heads, 7, 8, seed=3)
    padding = torch.tensor([[1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1]])
    mask = make_attention_mask(padding, batch_size=2, query_length=5, key_length=7, dtype=torch.float64,
                               causal=True, past_length=2)
    got = scaled_dot_product_attention(q, k, v, mask)
    expected = reference_attention(q, k, v, reference_allowed(padding, 5, 7, True, past=2))
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


def test_sdpa_rejects_kv_heads_that_do_not_divide():
    with pytest.raises(ValueError, match="3 key/value heads"):
        scaled_dot_product_attention(_x(1, 4, 2, 8), _x(1, 3, 2, 8), _x(1, 3, 2, 8))


def test_make_attention_mask_values_and_none():
    assert make_attention_mask(None, batch_size=2, query_length=3, key_length=3, dtype=torch.float32,
                               causal=False) is None
    # A single new token with a cache masks nothing causally.
    assert make_attention_mask(None, batch_size=1, query_length=1, key_length=5, dtype=torch.float32,
                               causal=True, past_length=4) is None
    mask = make_attention_mask(None, batch_size=1, query_length=3, key_length=3, dtype=torch.float16, causal=True)
    assert mask.shape == (1, 1, 3, 3) and mask.dtype == torch.float16
    minimum = torch.finfo(torch.float16).min
    expected = torch.tensor([[0, minimum, minimum], [0, 0, minimum], [0, 0, 0]], dtype=torch.float16)
    assert torch.equal(mask[0, 0], expected)
    assert torch.isfinite(mask).all()
    padding = torch.tensor([[1, 0, 1]])
    mask = make_attention_mask(padding, batch_size=1, query_length=2, key_length=3, dtype=torch.float32, causal=False)
    assert mask.shape == (1, 1, 2, 3)
    assert (mask[0, 0, :, 1] == torch.finfo(torch.float32).min).all() and (mask[0, 0, :, [0, 2]] == 0).all()
    with pytest.raises(ValueError, match="attention_mask"):
        make_attention_mask(torch.ones(1, 4), batch_size=1, query_length=2, key_length=3, dtype=torch.float32,
                            causal=False)


def test_all_ones_mask_is_dropped_eagerly_but_kept_under_tracing():
    ones = torch.ones(2, 3, dtype=torch.long)
    kwargs = dict(batch_size=2, query_length=3, key_length=3, dtype=torch.float32)
    assert make_attention_mask(ones, causal=False, **kwargs) is None  # nothing to mask: faster attention
    causal = make_attention_mask(ones, causal=True, **kwargs)
    assert causal is not None and (causal[:, 0, 0, 1:] < 0).all()  # causality still masks
    traced = torch.jit.trace(lambda m: make_attention_mask(m, causal=False, **kwargs), (ones,), check_trace=False)
    padded = torch.tensor([[1, 1, 0], [1, 1, 1]])
    mask = traced(padded)  # traced on all ones, yet the padding of a later input is still masked
    assert mask is not None and (mask[0, 0, :, 2] < 0).all() and (mask[1] == 0).all()


def test_fully_padded_row_stays_finite():
    q, k, v = _x(1, 2, 3, 4), _x(1, 2, 3, 4, seed=1), _x(1, 2, 3, 4, seed=2)
    mask = make_attention_mask(torch.zeros(1, 3), batch_size=1, query_length=3, key_length=3, dtype=torch.float64,
                               causal=False)
    assert torch.isfinite(scaled_dot_product_attention(q, k, v, mask)).all()


def _attention(kv_heads=2, **kwargs):
    torch.manual_seed(0)
    module = MultiHeadAttention(16, 4, num_key_value_heads=kv_heads, **kwargs).double().eval()
    return module


def _heads(x, heads):
    return x.view(x.shape[0], x.shape[1], heads, -1).transpose(1, 2)


def test_self_attention_with_padding_matches_reference():
    module = _attention(kv_heads=2)
    hidden = _x(2, 5, 16, seed=4)
    padding = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])
    mask = make_attention_mask(padding, batch_size=2, query_length=5, key_length=5, dtype=torch.float64, causal=False)
    out, present = module(hidden, mask)
    assert present is None
    q, k, v = _heads(module.q_proj(hidden), 4), _heads(module.k_proj(hidden), 2), _heads(module.v_proj(hidden), 2)
    ctx = reference_attention(q, k, v, reference_allowed(padding, 5, 5, False))
    expected = module.o_proj(ctx.transpose(1, 2).reshape(2, 5, 16))
    torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-10)


def test_causal_kv_cache_incremental_equals_full_with_rotary():
    module = _attention(kv_heads=1, bias=False)
    rotary = RotaryEmbedding(4, max_position_embeddings=32)
    hidden = _x(2, 6, 16, seed=5)
    positions = torch.arange(6)[None].expand(2, -1)
    cos, sin = (t.double() for t in rotary(positions))
    mask = make_attention_mask(None, batch_size=2, query_length=6, key_length=6, dtype=torch.float64, causal=True)
    full, _ = module(hidden, mask, position_embeddings=(cos, sin))
    # Prefill 4 tokens, then one token at a time.
    mask4 = make_attention_mask(None, batch_size=2, query_length=4, key_length=4, dtype=torch.float64, causal=True)
    out, past = module(hidden[:, :4], mask4, position_embeddings=(cos[:, :4], sin[:, :4]), use_cache=True)
    outputs = [out]
    for t in (4, 5):
        step_mask = make_attention_mask(None, batch_size=2, query_length=1, key_length=t + 1, dtype=torch.float64,
                                        causal=True, past_length=t)
        out, past = module(hidden[:, t:t + 1], step_mask, position_embeddings=(cos[:, t:t + 1], sin[:, t:t + 1]),
                           past_key_value=past, use_cache=True)
        outputs.append(out)
    assert past[0].shape == (2, 1, 6, 4)
    torch.testing.assert_close(torch.cat(outputs, dim=1), full, rtol=1e-10, atol=1e-10)
    # And the causal result really differs from unmasked attention (the test can fail).
    unmasked, _ = module(hidden, None, position_embeddings=(cos, sin))
    assert not torch.allclose(unmasked, full)


def test_cross_attention_and_cached_cross_keys():
    module = _attention(kv_heads=4, kv_input_size=12, names=("query", "key", "value", "out"))
    assert set(dict(module.named_parameters())) == {f"{n}.{p}" for n in ("query", "key", "value", "out")
                                                     for p in ("weight", "bias")}
    assert module.key.weight.shape == (16, 12)
    hidden, encoder = _x(2, 3, 16, seed=6), _x(2, 7, 12, seed=7)
    enc_padding = torch.tensor([[1] * 7, [1, 1, 1, 1, 0, 0, 0]])
    mask = make_attention_mask(enc_padding, batch_size=2, query_length=3, key_length=7, dtype=torch.float64,
                               causal=False)
    out, present = module(hidden, mask, key_value_states=encoder, use_cache=True)
    q, k, v = _heads(module.query(hidden), 4), _heads(module.key(encoder), 4), _heads(module.value(encoder), 4)
    ctx = reference_attention(q, k, v, reference_allowed(enc_padding, 3, 7, False))
    torch.testing.assert_close(out, module.out(ctx.transpose(1, 2).reshape(2, 3, 16)), rtol=1e-10, atol=1e-10)
    # A cached cross key/value is reused as is.
    again, _ = module(hidden, mask, key_value_states=encoder, past_key_value=present)
    torch.testing.assert_close(again, out, rtol=0, atol=0)
    fake = (torch.zeros_like(present[0]), torch.zeros_like(present[1]))
    zeros, _ = module(hidden, mask, key_value_states=encoder, past_key_value=fake)
    torch.testing.assert_close(zeros, module.out.bias.expand_as(zeros), rtol=0, atol=1e-12)


def test_output_bias_and_head_dim_options():
    module = MultiHeadAttention(16, 4, head_dim=8, bias=True, output_bias=False)
    assert module.q_proj.weight.shape == (32, 16) and module.o_proj.weight.shape == (16, 32)
    assert module.o_proj.bias is None and module.q_proj.bias is not None
    with pytest.raises(ConfigError, match="num_key_value_heads=3"):
        MultiHeadAttention(16, 4, num_key_value_heads=3)


def test_attention_dropout_follows_training_flag():
    module = _attention(kv_heads=4, dropout=0.9)
    hidden = _x(1, 8, 16)
    a, _ = module(hidden)
    b, _ = module(hidden)
    torch.testing.assert_close(a, b)
    c, _ = module(hidden, training=True)
    assert not torch.allclose(a, c)
