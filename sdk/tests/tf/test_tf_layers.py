"""TensorFlow SDK layers, activations and losses against independent PyTorch references.

Each TF layer is loaded with the canonical tensors of a freshly initialised torch.nn module (its
``state_dict()``) and must give the same float32 output within 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")

from plugformers.errors import ConfigError  # noqa: E402
from plugformers_sdk.activations import ACTIVATION_NAMES  # noqa: E402
from plugformers_sdk.tf import (  # noqa: E402
    MLP,
    Conv1D,
    Embedding,
    GatedMLP,
    LayerNorm,
    Linear,
    RMSNorm,
    binary_cross_entropy_with_logits,
    cross_entropy,
    get_activation,
    mse,
    sequence_classification_loss,
    tf,
    walk_canonical,
)

ATOL = 1e-5
F = torch.nn.functional


def load_from_torch(layer, module) -> None:
    """Assign a torch module's state_dict to a TF layer through the canonical walk (names must match exactly)."""
    state = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    tensors = walk_canonical(layer)
    assert sorted(tensors) == sorted(state)
    for name, tensor in tensors.items():
        assert tensor.shape == state[name].shape, name
        tensor.assign_canonical(state[name])


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def close(tf_value, torch_value, atol=ATOL):
    np.testing.assert_allclose(np.asarray(tf_value), torch_value.detach().numpy(), atol=atol, rtol=0)


def test_linear_with_and_without_bias_matches_torch():
    torch.manual_seed(0)
    for bias in (True, False):
        ref = torch.nn.Linear(6, 5, bias=bias)
        layer = Linear(6, 5, bias=bias)
        load_from_torch(layer, ref)
        assert tuple(layer.kernel.shape) == (6, 5)  # stored as the transposed weight
        x = rand(2, 3, 6)
        close(layer(x), ref(torch.from_numpy(x)))
        close(layer(x[0]), ref(torch.from_numpy(x[0])))  # rank 2 as well
        np.testing.assert_array_equal(walk_canonical(layer)["weight"].to_canonical(), ref.weight.detach().numpy())


def test_conv1d_is_a_linear_with_in_out_weight():
    layer = Conv1D(4, 3)
    weight, bias = rand(4, 3, seed=1), rand(3, seed=2)
    tensors = walk_canonical(layer)
    assert {k: t.shape for k, t in tensors.items()} == {"weight": (4, 3), "bias": (3,)}
    tensors["weight"].assign_canonical(weight)
    tensors["bias"].assign_canonical(bias)
    x = rand(2, 5, 4)
    close(layer(x), torch.from_numpy(x) @ torch.from_numpy(weight) + torch.from_numpy(bias))


def test_embedding_lookup_attend_and_padding_row():
    torch.manual_seed(0)
    ref = torch.nn.Embedding(11, 4, padding_idx=1)
    layer = Embedding(11, 4, padding_idx=1)
    assert np.all(layer.weight.numpy()[1] == 0) and np.any(layer.weight.numpy()[0] != 0)
    load_from_torch(layer, ref)
    ids = np.array([[0, 3, 10], [1, 2, 4]])
    close(layer(ids), ref(torch.from_numpy(ids)))
    hidden = rand(2, 3, 4)
    close(layer.attend(hidden), torch.from_numpy(hidden) @ ref.weight.T)


def test_layer_norm_with_and_without_bias_matches_torch():
    torch.manual_seed(0)
    for bias in (True, False):
        ref = torch.nn.LayerNorm(8, eps=1e-12, bias=bias)
        with torch.no_grad():
            ref.weight.normal_()
            if bias:
                ref.bias.normal_()
        layer = LayerNorm(8, eps=1e-12, bias=bias)
        load_from_torch(layer, ref)
        x = rand(2, 3, 8) * 3 + 1
        close(layer(x), ref(torch.from_numpy(x)))


def test_rms_norm_matches_the_llama_formula_and_keeps_low_precision():
    layer = RMSNorm(8, eps=1e-6)
    weight = rand(8, seed=3)
    walk_canonical(layer)["weight"].assign_canonical(weight)
    x = rand(2, 3, 8)
    xt = torch.from_numpy(x)
    expected = torch.from_numpy(weight) * (xt * torch.rsqrt(xt.pow(2).mean(-1, keepdim=True) + 1e-6))
    close(layer(x), expected)
    half = RMSNorm(8, dtype="bfloat16")
    assert half(tf.constant(x, tf.bfloat16)).dtype == tf.bfloat16


def test_mlp_and_gated_mlp_match_torch_modules():
    torch.manual_seed(0)

    class TorchMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = torch.nn.Linear(4, 7), torch.nn.Linear(7, 4)

        def forward(self, x):
            return self.fc2(F.gelu(self.fc1(x)))

    class TorchGated(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gate_proj = torch.nn.Linear(4, 6, bias=False)
            self.up_proj = torch.nn.Linear(4, 6, bias=False)
            self.down_proj = torch.nn.Linear(6, 4, bias=False)

        def forward(self, x):
            return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

    x = rand(2, 3, 4)
    ref, layer = TorchMLP(), MLP(4, 7, "gelu", up_name="fc1", down_name="fc2")
    load_from_torch(layer, ref)
    close(layer(x), ref(torch.from_numpy(x)))
    ref, layer = TorchGated(), GatedMLP(4, 6)
    load_from_torch(layer, ref)
    close(layer(x), ref(torch.from_numpy(x)))


def _torch_activation(name):
    acts = pytest.importorskip("transformers.activations")
    if name in ("relu2", "laplace", "sqrtsoftplus", "gelu_10", "hardswish", "swish") and name not in acts.ACT2CLS:
        formulas = {
            "relu2": lambda x: F.relu(x) ** 2,
            "laplace": lambda x: 0.5 * (1.0 + torch.erf((x - 0.707107) / (0.282095 * 2**0.5))),
            "sqrtsoftplus": lambda x: torch.sqrt(F.softplus(x)),
            "gelu_10": lambda x: torch.clip(F.gelu(x), -10, 10),
            "hardswish": F.hardswish,
            "swish": F.silu,
        }
        return formulas[name]
    return acts.ACT2FN[name]


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_every_activation_matches_transformers(name):
    x = np.linspace(-12, 12, 241, dtype=np.float32)
    reference = _torch_activation(name)(torch.from_numpy(x))
    close(get_activation(name)(tf.constant(x)), reference, atol=1e-5)


def test_unknown_activation_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match="gelu_nope"):
        get_activation("gelu_nope")


def test_losses_match_torch():
    logits = rand(3, 4, 5)
    labels = np.array([[1, -100, 4, 0], [2, 2, -100, 3], [0, 1, 2, 3]])
    close(cross_entropy(logits, labels), F.cross_entropy(torch.from_numpy(logits).reshape(-1, 5),
                                                         torch.from_numpy(labels).reshape(-1)))
    pred, target = rand(4, 2), rand(4, 2, seed=1)
    close(mse(pred, target), F.mse_loss(torch.from_numpy(pred), torch.from_numpy(target)))
    targets = (rand(4, 2, seed=2) > 0).astype(np.float32)
    close(binary_cross_entropy_with_logits(pred, targets),
          F.binary_cross_entropy_with_logits(torch.from_numpy(pred), torch.from_numpy(targets)))


def test_sequence_classification_loss_picks_the_problem_type():
    class Config:
        problem_type = None
        num_labels = 3

    logits = rand(4, 3)
    single = sequence_classification_loss(logits, np.array([0, 2, 1, 2]), Config())
    close(single, F.cross_entropy(torch.from_numpy(logits), torch.tensor([0, 2, 1, 2])))
    multi_targets = (rand(4, 3, seed=5) > 0).astype(np.float32)
    close(sequence_classification_loss(logits, multi_targets, Config()),
          F.binary_cross_entropy_with_logits(torch.from_numpy(logits), torch.from_numpy(multi_targets)))
    Config.num_labels = 1
    close(sequence_classification_loss(logits[:, :1], rand(4, seed=6), Config()),
          F.mse_loss(torch.from_numpy(logits[:, 0]), torch.from_numpy(rand(4, seed=6))))
    Config.problem_type = "nonsense"
    with pytest.raises(ConfigError, match="problem_type"):
        sequence_classification_loss(logits, np.array([0, 1, 0, 1]), Config())
