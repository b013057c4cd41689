"""PyTorch activations by Transformers name (definitions: ``plugformers_sdk.activations``)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .. import activations as spec


def _gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


def _gelu_fast(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(x * spec.GELU_FAST_SQRT_2_OVER_PI * (1.0 + spec.GELU_TANH_COEFFICIENT * x * x)))


def _gelu_10(x: torch.Tensor) -> torch.Tensor:
    low, high = spec.GELU_10_RANGE
    return torch.clamp(F.gelu(x), low, high)


def _quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(spec.QUICK_GELU_ALPHA * x)


def _relu2(x: torch.Tensor) -> torch.Tensor:
    return torch.square(F.relu(x))


def _leaky_relu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, spec.LEAKY_RELU_SLOPE)


def _laplace(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1.0 + torch.erf((x - spec.LAPLACE_MU) / (spec.LAPLACE_SIGMA * math.sqrt(2.0))))


def _sqrtsoftplus(x: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(F.softplus(x))


def _linear(x: torch.Tensor) -> torch.Tensor:
    return x


_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": F.gelu,
    "gelu_python": F.gelu,
    "gelu_new": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": _gelu_tanh,
    "gelu_accurate": _gelu_tanh,
    "gelu_fast": _gelu_fast,
    "gelu_10": _gelu_10,
    "quick_gelu": _quick_gelu,
    "relu": F.relu,
    "relu6": F.relu6,
    "relu2": _relu2,
    "leaky_relu": _leaky_relu,
    "silu": F.silu,
    "swish": F.silu,
    "hardswish": F.hardswish,
    "mish": F.mish,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "linear": _linear,
    "laplace": _laplace,
    "sqrtsoftplus": _sqrtsoftplus,
}


def get_activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation function called ``name``; an unknown name is a ``ConfigError`` naming it."""
    return _ACTIVATIONS[spec.check_activation(name)]


# In-place twins, used when no gradient is recorded: an activation over a fresh [batch, length,
# intermediate] tensor otherwise allocates (and page-faults) another one as large.
_IN_PLACE: dict[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]] = {
    F.gelu: torch.ops.aten.gelu_,
    _gelu_tanh: lambda x: torch.ops.aten.gelu_(x, approximate="tanh"),
    F.relu: torch.relu_,
    F.silu: lambda x: F.silu(x, inplace=True),
    torch.tanh: torch.tanh_,
    torch.sigmoid: torch.sigmoid_,
}


def activate(activation: Callable[[torch.Tensor], torch.Tensor], fresh: torch.Tensor) -> torch.Tensor:
    """``activation(fresh)``, overwriting ``fresh`` when autograd is off (outside ``torch.compile``).

    ``fresh`` must be an intermediate result nobody else holds (a projection's output).
    """
    if not torch.is_grad_enabled() and not torch.compiler.is_compiling():
        in_place = _IN_PLACE.get(activation)
        if in_place is not None:
            return in_place(fresh)
    return activation(fresh)
