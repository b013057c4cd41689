"""Flax SDK layers against PyTorch references loaded with the same canonical weights."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from plugformers.errors import ConfigError
from plugformers_sdk.activations import ACTIVATION_NAMES
from plugformers_sdk.flax import (
    MLP,
    Conv1D,
    Dropout,
    Embedding,
    GatedMLP,
    LayerNorm,
    Linear,
    RMSNorm,
    get_activation,
    walk_canonical,
)

ATOL = 1e-5


def canonical(layer) -> dict[str, np.ndarray]:
    return {name: tensor.to_numpy() for name, tensor in walk_canonical(layer)}


def load(layer, torch_module) -> None:
    """Set the Flax layer from the torch module's state dict through the canonical transforms."""
    ours = dict(walk_canonical(layer))
    state = torch_module.state_dict()
    assert set(ours) == set(state)
    for name, tensor in ours.items():
        tensor.assign(state[name].detach().numpy(), jnp.float32)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_linear_matches_torch(torch):
    ref = torch.nn.Linear(6, 5)
    layer = Linear(6, 5, rngs=nnx.Rngs(0))
    load(layer, ref)
    x = rand(3, 4, 6)
    np.testing.assert_allclose(layer(jnp.asarray(x)), ref(torch.from_numpy(x)).detach().numpy(), atol=ATOL)
    # the stored kernel is [in, out]; the canonical weight is torch's [out, in]
    assert layer.kernel.get_value().shape == (6, 5)
    np.testing.assert_array_equal(canonical(layer)["weight"], ref.weight.detach().numpy())


def test_linear_without_bias_declares_only_weight():
    layer = Linear(4, 3, bias=False, rngs=nnx.Rngs(0))
    assert list(canonical(layer)) == ["weight"]
    assert canonical(layer)["weight"].shape == (3, 4)


def test_conv1d_matches_gpt2_convention(torch):
    weight, bias = rand(6, 5, seed=1), rand(5, seed=2)
    layer = Conv1D(6, 5, rngs=nnx.Rngs(0))
    dict(walk_canonical(layer))["weight"].assign(weight, jnp.float32)
    dict(walk_canonical(layer))["bias"].assign(bias, jnp.float32)
    x = rand(2, 3, 6)
    expected = torch.addmm(torch.from_numpy(bias), torch.from_numpy(x.reshape(-1, 6)), torch.from_numpy(weight))
    np.testing.assert_allclose(layer(jnp.asarray(x)), expected.numpy().reshape(2, 3, 5), atol=ATOL)
    assert canonical(layer)["weight"].shape == (6, 5)


def test_embedding_lookup_and_attend(torch):
    ref = torch.nn.Embedding(10, 4, padding_idx=1)
    layer = Embedding(10, 4, padding_idx=1, rngs=nnx.Rngs(0))
    np.testing.assert_array_equal(np.asarray(layer.weight.get_value())[1], 0.0)  # padding row starts at zero
    load(layer, ref)
    ids = np.array([[0, 1, 9], [3, 3, 2]])
    np.testing.assert_allclose(layer(jnp.asarray(ids)), ref(torch.from_numpy(ids)).detach().numpy(), atol=ATOL)
    hidden = rand(2, 3, 4)
    expected = torch.from_numpy(hidden) @ ref.weight.detach().T
    np.testing.assert_allclose(layer.attend(jnp.asarray(hidden)), expected.numpy(), atol=ATOL)


@pytest.mark.parametrize("bias", [True, False])
def test_layer_norm_matches_torch(torch, bias):
    ref = torch.nn.LayerNorm(8, eps=1e-12, bias=bias)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(rand(8, seed=3)))
        if bias:
            ref.bias.copy_(torch.from_numpy(rand(8, seed=4)))
    layer = LayerNorm(8, eps=1e-12, bias=bias)
    load(layer, ref)
    x = rand(2, 5, 8) * 3 + 1
    np.testing.assert_allclose(layer(jnp.asarray(x)), ref(torch.from_numpy(x)).detach().numpy(), atol=ATOL)


def test_rms_norm_matches_torch(torch):
    weight = rand(8, seed=5)
    layer = RMSNorm(8, eps=1e-6)
    dict(walk_canonical(layer))["weight"].assign(weight, jnp.float32)
    x = rand(2, 5, 8)
    expected = torch.nn.functional.rms_norm(torch.from_numpy(x), (8,), torch.from_numpy(weight), eps=1e-6)
    np.testing.assert_allclose(layer(jnp.asarray(x)), expected.numpy(), atol=ATOL)


def test_norms_compute_in_float32_and_return_input_dtype(torch):
    x = rand(2, 8) * 100
    ref = torch.nn.LayerNorm(8).to(torch.bfloat16)
    layer = LayerNorm(8)
    out = layer(jnp.asarray(x, jnp.bfloat16))
    assert out.dtype == jnp.bfloat16
    expected = ref(torch.from_numpy(x).to(torch.bfloat16)).float().detach().numpy()
    np.testing.assert_allclose(np.asarray(out, np.float32), expected, atol=1e-2)
    norm = RMSNorm(8)
    norm.weight.set_value(norm.weight.get_value().astype(jnp.float16))
    assert norm(jnp.asarray(x, jnp.float16)).dtype == jnp.float16


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activations_match_transformers(name):
    activations = pytest.importorskip("transformers.activations", reason="transformers (oracle) is not installed")
    torch = pytest.importorskip("torch")
    if name not in activations.ACT2FN:
        pytest.skip(f"Transformers has no activation {name!r}")
    x = np.linspace(-12, 12, 97, dtype=np.float32)
    expected = activations.ACT2FN[name](torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(get_activation(name)(jnp.asarray(x)), expected, atol=1e-5, rtol=1e-5)


def test_unknown_activation_is_a_config_error():
    with pytest.raises(ConfigError, match="hidden_act='nope'"):
        get_activation("nope")


def test_mlp_matches_torch_and_uses_given_names(torch):
    layer = MLP(4, 6, "gelu_new", up_name="c_fc", down_name="c_proj", rngs=nnx.Rngs(0))
    assert list(canonical(layer)) == ["c_fc.weight", "c_fc.bias", "c_proj.weight", "c_proj.bias"]
    up, down = torch.nn.Linear(4, 6), torch.nn.Linear(6, 4)
    dict(walk_canonical(layer))["c_fc.weight"].assign(up.weight.detach().numpy(), jnp.float32)
    dict(walk_canonical(layer))["c_fc.bias"].assign(up.bias.detach().numpy(), jnp.float32)
    dict(walk_canonical(layer))["c_proj.weight"].assign(down.weight.detach().numpy(), jnp.float32)
    dict(walk_canonical(layer))["c_proj.bias"].assign(down.bias.detach().numpy(), jnp.float32)
    x = rand(2, 3, 4)
    expected = down(torch.nn.functional.gelu(up(torch.from_numpy(x)), approximate="tanh"))
    np.testing.assert_allclose(layer(jnp.asarray(x)), expected.detach().numpy(), atol=ATOL)


def test_gated_mlp_matches_torch(torch):
    layer = GatedMLP(4, 6, rngs=nnx.Rngs(0))
    gate, up, down = torch.nn.Linear(4, 6, bias=False), torch.nn.Linear(4, 6, bias=False), torch.nn.Linear(6, 4, bias=False)
    tensors = dict(walk_canonical(layer))
    assert list(tensors) == ["gate_proj.weight", "up_proj.weight", "down_proj.weight"]
    for name, ref in (("gate_proj", gate), ("up_proj", up), ("down_proj", down)):
        tensors[f"{name}.weight"].assign(ref.weight.detach().numpy(), jnp.float32)
    x = torch.from_numpy(rand(2, 3, 4))
    expected = down(torch.nn.functional.silu(gate(x)) * up(x))
    np.testing.assert_allclose(layer(jnp.asarray(x.numpy())), expected.detach().numpy(), atol=ATOL)


def test_dropout_follows_train_and_eval_mode():
    layer = Dropout(0.5, rngs=nnx.Rngs(0))
    x = jnp.ones((1000,))
    dropped = layer(x)
    assert 0.3 < float(jnp.mean(dropped == 0)) < 0.7
    np.testing.assert_allclose(jnp.unique(dropped), [0.0, 2.0])
    layer.eval()
    np.testing.assert_array_equal(layer(x), x)
    assert float(jnp.mean(layer(x, training=True) == 0)) > 0.3  # an explicit flag wins over the mode
    layer.train()
    np.testing.assert_array_equal(layer(x, training=False), x)
    with pytest.raises(ConfigError, match="p must be in"):
        Dropout(1.5)


def test_linear_dtype_follows_its_parameters():
    layer = Linear(4, 3, rngs=nnx.Rngs(0))
    for variable in (layer.kernel, layer.bias):
        variable.set_value(variable.get_value().astype(jnp.bfloat16))
    assert layer(jnp.ones((2, 4), jnp.float32)).dtype == jnp.bfloat16


def test_bad_sizes_are_config_errors():
    with pytest.raises(ConfigError, match="in_features"):
        Linear(0, 3, rngs=nnx.Rngs(0))
    with pytest.raises(ConfigError, match="padding_idx"):
        Embedding(4, 2, padding_idx=7, rngs=nnx.Rngs(0))


def test_layers_run_under_jit():
    layer = GatedMLP(4, 6, rngs=nnx.Rngs(0))
    x = jnp.asarray(rand(2, 4))
    np.testing.assert_allclose(nnx.jit(lambda m, v: m(v))(layer, x), layer(x), atol=1e-6)


def test_dropout_built_for_loading_shares_the_model_stream_and_still_varies():
    from plugformers_sdk.flax.initialization import abstract_scope

    rngs = nnx.Rngs(0)
    with abstract_scope():
        first, second = Dropout(0.5, rngs=rngs), Dropout(0.5, rngs=rngs)
    assert first.rngs is second.rngs  # one stream, no per-layer fork (a compiled JAX call each)
    x = jnp.ones((256,))
    mask = first(x, training=True)
    assert not np.array_equal(second(x, training=True), mask)  # the stream advances between layers
    assert not np.array_equal(first(x, training=True), mask)  # and between calls
    np.testing.assert_array_equal(first(x, training=False), x)
    pair = nnx.List([first, second])
    jitted = nnx.jit(lambda layers, v: layers[0](v, training=True) + layers[1](v, training=True))
    assert not np.array_equal(jitted(pair, x), jitted(pair, x))  # shared state is updated under jit too
