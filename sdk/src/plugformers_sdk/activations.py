"""Activation names (Transformers' ``hidden_act`` spellings) and the constants they use.

Each framework's ``activations.get_activation(name)`` implements every name in
``ACTIVATION_NAMES``; the definitions below are the contract they share:

==================  ==========================================================================
gelu, gelu_python   exact GELU, ``0.5 x (1 + erf(x / sqrt 2))``
gelu_new,           tanh approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``
gelu_pytorch_tanh,
gelu_python_tanh,
gelu_accurate
gelu_fast           ``0.5 x (1 + tanh(0.7978845608 x (1 + 0.044715 x^2)))``
gelu_10             exact GELU clipped to [-10, 10]
quick_gelu          ``x * sigmoid(1.702 x)``
relu, relu6, relu2  ``max(x, 0)``, ``min(max(x, 0), 6)``, ``max(x, 0) ** 2``
leaky_relu          slope 0.01 below zero
silu, swish         ``x * sigmoid(x)``
hardswish           ``x * relu6(x + 3) / 6``
mish                ``x * tanh(softplus(x))``
tanh, sigmoid       as named
linear              identity
laplace             ``0.5 (1 + erf((x - 0.707107) / (0.282095 sqrt 2)))``
sqrtsoftplus        ``sqrt(softplus(x))``
==================  ==========================================================================

Activations with learned parameters (``prelu``, ``xielu``) are not activations here: an
architecture that needs one declares it as a layer.
"""

from __future__ import annotations

from plugformers.errors import ConfigError

ACTIVATION_NAMES: tuple[str, ...] = (
    "gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_python_tanh", "gelu_accurate",
    "gelu_fast", "gelu_10", "quick_gelu",
    "relu", "relu6", "relu2", "leaky_relu",
    "silu", "swish", "hardswish", "mish",
    "tanh", "sigmoid", "linear", "laplace", "sqrtsoftplus",
)

# Constants of the definitions above, so the three frameworks use the same numbers.
GELU_TANH_COEFFICIENT = 0.044715
GELU_FAST_SQRT_2_OVER_PI = 0.7978845608  # gelu_fast uses this rounded constant, not sqrt(2/pi)
QUICK_GELU_ALPHA = 1.702
GELU_10_RANGE = (-10.0, 10.0)
LEAKY_RELU_SLOPE = 0.01
LAPLACE_MU = 0.707107
LAPLACE_SIGMA = 0.282095


def check_activation(name: object, *, field: str = "hidden_act") -> str:
    """Return ``name`` if it is a known activation, else raise ``ConfigError`` naming it and ``field``."""
    if not isinstance(name, str) or name not in ACTIVATION_NAMES:
        raise ConfigError(
            f"{field}={name!r} is not a known activation; expected one of {', '.join(ACTIVATION_NAMES)}"
        )
    return name
