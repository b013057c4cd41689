"""Every activation of ``plugformers_sdk.activations.ACTIVATION_NAMES``, in TensorFlow.

The definitions and their constants are those of the framework-neutral module; this file only
writes them with TensorFlow ops (all of which compile under XLA).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .. import activations as spec
from .framework import tf

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu(x):
    return 0.5 * x * (1.0 + tf.math.erf(x / tf.cast(_SQRT_2, x.dtype)))


def _gelu_tanh(x):
    c = tf.cast(_SQRT_2_OVER_PI, x.dtype)
    return 0.5 * x * (1.0 + tf.tanh(c * (x + spec.GELU_TANH_COEFFICIENT * x * x * x)))


def _gelu_fast(x):
    c = tf.cast(spec.GELU_FAST_SQRT_2_OVER_PI, x.dtype)
    return 0.5 * x * (1.0 + tf.tanh(x * c * (1.0 + spec.GELU_TANH_COEFFICIENT * x * x)))


def _gelu_10(x):
    low, high = spec.GELU_10_RANGE
    return tf.clip_by_value(_gelu(x), low, high)


def _quick_gelu(x):
    return x * tf.sigmoid(spec.QUICK_GELU_ALPHA * x)


def _relu2(x):
    return tf.square(tf.nn.relu(x))


def _leaky_relu(x):
    return tf.nn.leaky_relu(x, alpha=spec.LEAKY_RELU_SLOPE)


def _silu(x):
    return x * tf.sigmoid(x)


def _hardswish(x):
    return x * tf.nn.relu6(x + 3.0) / 6.0


def _mish(x):
    return x * tf.tanh(tf.nn.softplus(x))


def _linear(x):
    return x


def _laplace(x):
    mu = tf.cast(spec.LAPLACE_MU, x.dtype)
    sigma = tf.cast(spec.LAPLACE_SIGMA * _SQRT_2, x.dtype)
    return 0.5 * (1.0 + tf.math.erf((x - mu) / sigma))


def _sqrtsoftplus(x):
    return tf.sqrt(tf.nn.softplus(x))


_ACTIVATIONS: dict[str, Callable] = {
    "gelu": _gelu,
    "gelu_python": _gelu,
    "gelu_new": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": _gelu_tanh,
    "gelu_accurate": _gelu_tanh,
    "gelu_fast": _gelu_fast,
    "gelu_10": _gelu_10,
    "quick_gelu": _quick_gelu,
    "relu": tf.nn.relu,
    "relu6": tf.nn.relu6,
    "relu2": _relu2,
    "leaky_relu": _leaky_relu,
    "silu": _silu,
    "swish": _silu,
    "hardswish": _hardswish,
    "mish": _mish,
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "linear": _linear,
    "laplace": _laplace,
    "sqrtsoftplus": _sqrtsoftplus,
}


def get_activation(name: str, *, field: str = "hidden_act") -> Callable:
    """The TensorFlow function for a Transformers activation name (``ConfigError`` naming ``field`` if unknown)."""
    return _ACTIVATIONS[spec.check_activation(name, field=field)]
