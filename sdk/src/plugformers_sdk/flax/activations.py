"""Activation functions for Flax, by Transformers' ``hidden_act`` names.

Every name of :data:`plugformers_sdk.activations.ACTIVATION_NAMES` is implemented with the
definitions and constants documented there, so the torch, tf and flax variants agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from plugformers_sdk.activations import (
    GELU_10_RANGE,
    GELU_FAST_SQRT_2_OVER_PI,
    GELU_TANH_COEFFICIENT,
    LAPLACE_MU,
    LAPLACE_SIGMA,
    LEAKY_RELU_SLOPE,
    QUICK_GELU_ALPHA,
    check_activation,
)

Activation = Callable[[jax.Array], jax.Array]


def _gelu_exact(x: jax.Array) -> jax.Array:
    return jax.nn.gelu(x, approximate=False)


def _gelu_tanh(x: jax.Array) -> jax.Array:
    inner = math.sqrt(2.0 / math.pi) * (x + GELU_TANH_COEFFICIENT * x**3)
    return 0.5 * x * (1.0 + jnp.tanh(inner))


def _gelu_fast(x: jax.Array) -> jax.Array:
    inner = GELU_FAST_SQRT_2_OVER_PI * x * (1.0 + GELU_TANH_COEFFICIENT * x * x)
    return 0.5 * x * (1.0 + jnp.tanh(inner))


def _gelu_10(x: jax.Array) -> jax.Array:
    return jnp.clip(_gelu_exact(x), *GELU_10_RANGE)


def _quick_gelu(x: jax.Array) -> jax.Array:
    return x * jax.nn.sigmoid(QUICK_GELU_ALPHA * x)


def _relu2(x: jax.Array) -> jax.Array:
    return jnp.square(jax.nn.relu(x))


def _leaky_relu(x: jax.Array) -> jax.Array:
    return jax.nn.leaky_relu(x, negative_slope=LEAKY_RELU_SLOPE)


def _hardswish(x: jax.Array) -> jax.Array:
    return x * jax.nn.relu6(x + 3.0) / 6.0


def _mish(x: jax.Array) -> jax.Array:
    return x * jnp.tanh(jax.nn.softplus(x))


def _laplace(x: jax.Array) -> jax.Array:
    return 0.5 * (1.0 + jax.scipy.special.erf((x - LAPLACE_MU) / (LAPLACE_SIGMA * math.sqrt(2.0))))


def _sqrtsoftplus(x: jax.Array) -> jax.Array:
    return jnp.sqrt(jax.nn.softplus(x))


def _linear(x: jax.Array) -> jax.Array:
    return x


_ACTIVATIONS: dict[str, Activation] = {
    "gelu": _gelu_exact,
    "gelu_python": _gelu_exact,
    "gelu_new": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": _gelu_tanh,
    "gelu_accurate": _gelu_tanh,
    "gelu_fast": _gelu_fast,
    "gelu_10": _gelu_10,
    "quick_gelu": _quick_gelu,
    "relu": jax.nn.relu,
    "relu6": jax.nn.relu6,
    "relu2": _relu2,
    "leaky_relu": _leaky_relu,
    "silu": jax.nn.silu,
    "swish": jax.nn.silu,
    "hardswish": _hardswish,
    "mish": _mish,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "linear": _linear,
    "laplace": _laplace,
    "sqrtsoftplus": _sqrtsoftplus,
}


def get_activation(name: str) -> Activation:
    """The activation called ``name``; an unknown name is a ``ConfigError`` naming it."""
    return _ACTIVATIONS[check_activation(name)]
