"""Torch SDK layers and activations against torch.nn.functional / NumPy references and Transformers' ACT2FN."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from plugformers.errors import ConfigError
from plugformers_sdk.activations import ACTIVATION_NAMES
from plugformers_sdk.torch import (
    MLP,
    Conv1D,
    Dropout,
    Embedding,
    GatedMLP,
    LayerNorm,
    Linear,
    RMSNorm,
    get_activation,
)


def _x(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.oracle
@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_matches_transformers(name):
    activations = pytest.importorskip("transformers.activations")
    x = torch.linspace(-12.0, 12.0, 401, dtype=torch.float64)
    expected = activations.ACT2FN[name](x)
    got = get_activation(name)(x)
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-7)


def test_every_activation_name_is_implemented_and_unknown_is_config_error():
    for name in ACTIVATION_NAMES:
        assert callable(get_activation(name))
    with pytest.raises(ConfigError, match="geloo"):
        get_activation("geloo")


def test_linear_canonical_layout_matches_functional():
    layer = Linear(5, 3)
    assert tuple(layer.weight.shape) == (3, 5) and tuple(layer.bias.shape) == (3,)
    x = _x(2, 4, 5)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight, layer.bias))
    assert Linear(5, 3, bias=False).bias is None


def test_conv1d_is_transposed_linear():
    layer = Conv1D(5, 3)
    assert tuple(layer.weight.shape) == (5, 3)
    with torch.no_grad():
        layer.bias.copy_(_x(3, seed=1))
    x = _x(2, 4, 5)
    reference = x.numpy() @ layer.weight.detach().numpy() + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), reference, rtol=1e-5, atol=1e-6)
    assert set(dict(layer.named_parameters())) == {"weight", "bias"}


def test_embedding_lookup_padding_and_attend():
    layer = Embedding(10, 4, padding_idx=0)
    ids = torch.tensor([[0, 3, 9]])
    torch.testing.assert_close(layer(ids), layer.weight[ids])
    hidden = _x(1, 3, 4)
    np.testing.assert_allclose(layer.attend(hidden).detach().numpy(),
                               hidden.numpy() @ layer.weight.detach().numpy().T, rtol=1e-5, atol=1e-6)


def test_layer_norm_matches_functional_and_numpy():
    layer = LayerNorm(6, eps=1e-5)
    with torch.no_grad():
        layer.weight.copy_(_x(6, seed=2))
        layer.bias.copy_(_x(6, seed=3))
    x = _x(3, 6)
    torch.testing.assert_close(layer(x), F.layer_norm(x, (6,), layer.weight, layer.bias, 1e-5))
    a = x.numpy()
    ref = (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-5)
    ref = ref * layer.weight.detach().numpy() + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), ref, rtol=1e-5, atol=1e-5)
    assert LayerNorm(6, bias=False).bias is None


def test_rms_norm_llama_convention():
    layer = RMSNorm(6, eps=1e-6)
    with torch.no_grad():
        layer.weight.copy_(_x(6, seed=4))
    x = _x(2, 3, 6)
    a = x.numpy().astype(np.float64)
    ref = a / np.sqrt((a ** 2).mean(-1, keepdims=True) + 1e-6) * layer.weight.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    # Half precision: normalised in float32, cast back to bf16 BEFORE multiplying by the weight.
    xb = x.to(torch.bfloat16)
    layer_b = layer.to(torch.bfloat16)
    expected = layer_b.weight * (xb.float() * torch.rsqrt(xb.float().pow(2).mean(-1, keepdim=True) + 1e-6)).to(torch.bfloat16)
    assert layer_b(xb).dtype == torch.bfloat16
    torch.testing.assert_close(layer_b(xb), expected, rtol=0, atol=0)


@pytest.mark.oracle
def test_rms_norm_matches_transformers():
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    ours, theirs = RMSNorm(8, 1e-5), llama.LlamaRMSNorm(8, eps=1e-5)
    with torch.no_grad():
        ours.weight.copy_(_x(8, seed=5))
        theirs.weight.copy_(ours.weight)
    x = _x(2, 3, 8).to(torch.bfloat16)
    torch.testing.assert_close(ours.to(torch.bfloat16)(x), theirs.to(torch.bfloat16)(x), rtol=0, atol=0)


def test_dropout_only_in_training():
    layer = Dropout(0.5)
    x = torch.ones(1000)
    assert torch.equal(layer.eval()(x), x)
    out = layer.train()(x)
    assert (out == 0).any() and (out == 2).any()


def test_mlp_with_custom_names():
    mlp = MLP(4, 8, "gelu_new", up_name="c_fc", down_name="c_proj")
    assert set(dict(mlp.named_parameters())) == {"c_fc.weight", "c_fc.bias", "c_proj.weight", "c_proj.bias"}
    x = _x(2, 4)
    expected = F.linear(F.gelu(F.linear(x, mlp.c_fc.weight, mlp.c_fc.bias), approximate="tanh"),
                        mlp.c_proj.weight, mlp.c_proj.bias)
    torch.testing.assert_close(mlp(x), expected)


def test_gated_mlp_swiglu():
    mlp = GatedMLP(4, 6)
    assert set(dict(mlp.named_parameters())) == {"gate_proj.weight", "up_proj.weight", "down_proj.weight"}
    x = _x(3, 4)
    expected = F.linear(F.silu(F.linear(x, mlp.gate_proj.weight)) * F.linear(x, mlp.up_proj.weight),
                        mlp.down_proj.weight)
    torch.testing.assert_close(mlp(x), expected)


@pytest.mark.parametrize("name", ["gelu", "gelu_new", "relu", "silu", "tanh", "sigmoid", "quick_gelu"])
def test_activate_works_in_place_only_without_autograd(name):
    from plugformers_sdk.torch import activate, get_activation

    act = get_activation(name)
    x = torch.randn(4, 6)
    expected = act(x.clone())
    with torch.no_grad():
        fresh = x.clone()
        out = activate(act, fresh)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    in_place = name != "quick_gelu"  # no in-place twin: computed out of place
    assert (out.data_ptr() == fresh.data_ptr()) == in_place
    leaf = x.clone().requires_grad_(True)
    y = activate(act, leaf * 1.0)  # with autograd on, never in place: the backward pass still works
    y.sum().backward()
    assert leaf.grad is not None and torch.isfinite(leaf.grad).all()
