"""Rotary position embedding frequencies, in NumPy, shared by every framework.

``rope_parameters`` turns a head size and a Transformers ``rope_scaling`` (v4 spelling) or
``rope_parameters`` (v5 spelling, which also carries ``rope_theta``) dictionary into the inverse
frequencies of the rotary embedding. The torch, tf and flax ``RotaryEmbedding`` layers compute
cos/sin from exactly these frequencies, which is how the three frameworks stay equal.

Supported ``rope_type`` values (legacy key ``type`` accepted):

- ``default``: ``inv_freq[i] = base ** (-2i / rot_dim)``.
- ``linear``: position interpolation, ``inv_freq / factor``.
- ``dynamic``: NTK-aware scaling; the base grows with the sequence length once it exceeds
  ``max_position_embeddings`` (see :func:`dynamic_inv_freq`).
- ``llama3``: Llama 3.1 wavelength-banded scaling (``factor``, ``low_freq_factor``,
  ``high_freq_factor``, ``original_max_position_embeddings``).
- ``yarn``: YaRN ramp between interpolation and extrapolation (``factor``, ``beta_fast``,
  ``beta_slow``, ``original_max_position_embeddings``, ``truncate``) and an attention scaling
  (``attention_factor``, or derived from ``mscale`` / ``mscale_all_dim``).

Anything else, or a bad value, is a :class:`plugformers.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from plugformers.errors import ConfigError

ROPE_TYPES = ("default", "linear", "dynamic", "llama3", "yarn")

# Keys a rope_scaling / rope_parameters dict may carry (anything else is ignored, like Transformers).
ROPE_KEYS = (
    "rope_type", "type", "rope_theta", "partial_rotary_factor", "factor",
    "original_max_position_embeddings", "low_freq_factor", "high_freq_factor",
    "beta_fast", "beta_slow", "attention_factor", "mscale", "mscale_all_dim", "truncate",
)


@dataclass(frozen=True)
class RopeParameters:
    """Everything a framework needs to compute rotary cos/sin.

    ``inv_freq`` is float32 of shape ``[rot_dim // 2]``; cos/sin are multiplied by
    ``attention_scaling``. ``base``, ``factor`` and ``max_position_embeddings`` are kept so that
    :func:`dynamic_inv_freq` can recompute frequencies for longer sequences.
    """

    inv_freq: np.ndarray
    attention_scaling: float
    rope_type: str
    head_dim: int
    rot_dim: int
    base: float
    factor: float
    max_position_embeddings: int

    @property
    def is_dynamic(self) -> bool:
        return self.rope_type == "dynamic"


def _number(scaling: Mapping[str, Any], key: str, default: Any = None, *, minimum: float | None = None,
            strictly_above: float | None = None) -> Any:
    value = scaling.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"rope_scaling[{key!r}] must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"rope_scaling[{key!r}] must be >= {minimum}, got {value!r}")
    if strictly_above is not None and value <= strictly_above:
        raise ConfigError(f"rope_scaling[{key!r}] must be > {strictly_above}, got {value!r}")
    return value


def _required(scaling: Mapping[str, Any], key: str, rope_type: str, **checks: Any) -> float:
    if scaling.get(key) is None:
        raise ConfigError(f"rope_scaling[{key!r}] is required for rope_type {rope_type!r}")
    return float(_number(scaling, key, **checks))


def _default_inv_freq(base: float, rot_dim: int) -> np.ndarray:
    exponents = np.arange(0, rot_dim, 2, dtype=np.float64) / rot_dim
    return 1.0 / (base ** exponents)


def rope_parameters(
    head_dim: int,
    *,
    base: float = 10000.0,
    max_position_embeddings: int = 2048,
    rope_scaling: Mapping[str, Any] | None = None,
    partial_rotary_factor: float = 1.0,
) -> RopeParameters:
    """Inverse frequencies and attention scaling for one attention head size.

    ``rope_scaling`` may also be a Transformers v5 ``rope_parameters`` dict: its ``rope_theta``
    and ``partial_rotary_factor`` then override ``base`` and ``partial_rotary_factor``.
    """
    if isinstance(head_dim, bool) or not isinstance(head_dim, int) or head_dim <= 0:
        raise ConfigError(f"head_dim must be a positive int, got {head_dim!r}")
    if isinstance(max_position_embeddings, bool) or not isinstance(max_position_embeddings, int) \
            or max_position_embeddings <= 0:
        raise ConfigError(f"max_position_embeddings must be a positive int, got {max_position_embeddings!r}")
    if rope_scaling is None:
        rope_scaling = {}
    if not isinstance(rope_scaling, Mapping):
        raise ConfigError(f"rope_scaling must be a dict or None, got {type(rope_scaling).__name__}")

    rope_type = rope_scaling.get("rope_type", rope_scaling.get("type", "default"))
    if rope_type not in ROPE_TYPES:
        raise ConfigError(f"rope_scaling['rope_type'] = {rope_type!r} is not one of {ROPE_TYPES}")
    if rope_scaling.get("rope_theta") is not None:
        base = _number(rope_scaling, "rope_theta", strictly_above=1.0)
    if rope_scaling.get("partial_rotary_factor") is not None:
        partial_rotary_factor = _number(rope_scaling, "partial_rotary_factor")
    if isinstance(base, bool) or not isinstance(base, (int, float)) or not base > 1.0:
        raise ConfigError(f"rope base (rope_theta) must be a number > 1, got {base!r}")
    if isinstance(partial_rotary_factor, bool) or not isinstance(partial_rotary_factor, (int, float)) \
            or not 0.0 < partial_rotary_factor <= 1.0:
        raise ConfigError(f"partial_rotary_factor must be in (0, 1], got {partial_rotary_factor!r}")
    rot_dim = int(head_dim * partial_rotary_factor)
    if rot_dim < 2 or rot_dim % 2:
        raise ConfigError(
            f"partial_rotary_factor={partial_rotary_factor} of head_dim={head_dim} gives {rot_dim} rotary "
            f"features; it must be an even number >= 2"
        )
    base = float(base)

    inv_freq = _default_inv_freq(base, rot_dim)
    attention_scaling = 1.0
    factor = 1.0
    original = max_position_embeddings

    if rope_type == "linear":
        factor = _required(rope_scaling, "factor", rope_type, minimum=1.0)
        inv_freq = inv_freq / factor
    elif rope_type == "dynamic":
        factor = _required(rope_scaling, "factor", rope_type, minimum=1.0)
    elif rope_type == "llama3":
        factor = _required(rope_scaling, "factor", rope_type, minimum=1.0)
        low = _required(rope_scaling, "low_freq_factor", rope_type, strictly_above=0.0)
        high = _required(rope_scaling, "high_freq_factor", rope_type, strictly_above=0.0)
        if high <= low:
            raise ConfigError(
                f"rope_scaling['high_freq_factor'] ({high}) must be > rope_scaling['low_freq_factor'] ({low})"
            )
        original = int(_number(rope_scaling, "original_max_position_embeddings", max_position_embeddings,
                               strictly_above=0))
        inv_freq = _llama3(inv_freq, factor, low, high, original)
    elif rope_type == "yarn":
        original = int(_number(rope_scaling, "original_max_position_embeddings", max_position_embeddings,
                               strictly_above=0))
        factor = _number(rope_scaling, "factor", minimum=1.0)
        if factor is None:
            factor = max_position_embeddings / original
        factor = float(factor)
        inv_freq, attention_scaling = _yarn(inv_freq, base, rot_dim, factor, original, rope_scaling)

    return RopeParameters(
        inv_freq=inv_freq.astype(np.float32),
        attention_scaling=float(attention_scaling),
        rope_type=rope_type,
        head_dim=head_dim,
        rot_dim=rot_dim,
        base=base,
        factor=float(factor),
        max_position_embeddings=original if rope_type in ("llama3", "yarn") else max_position_embeddings,
    )


def _llama3(inv_freq: np.ndarray, factor: float, low: float, high: float, original: int) -> np.ndarray:
    # Wavelengths longer than original/low are interpolated (divided by factor), shorter than
    # original/high are kept; in between a linear blend in 1/wavelength.
    wavelength = 2 * math.pi / inv_freq
    long_limit = original / low
    short_limit = original / high
    blend = (original / wavelength - low) / (high - low)
    blended = (1 - blend) * inv_freq / factor + blend * inv_freq
    out = np.where(wavelength > long_limit, inv_freq / factor, blended)
    return np.where(wavelength < short_limit, inv_freq, out)


def _yarn_mscale(scale: float, mscale: float = 1.0) -> float:
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def _yarn(inv_freq: np.ndarray, base: float, rot_dim: int, factor: float, original: int,
          scaling: Mapping[str, Any]) -> tuple[np.ndarray, float]:
    attention_factor = _number(scaling, "attention_factor", strictly_above=0.0)
    mscale = _number(scaling, "mscale")
    mscale_all_dim = _number(scaling, "mscale_all_dim")
    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = _yarn_mscale(factor, mscale) / _yarn_mscale(factor, mscale_all_dim)
        else:
            attention_factor = _yarn_mscale(factor)
    # A falsy beta (0 / None) falls back to the paper's defaults, as Transformers does.
    beta_fast = _number(scaling, "beta_fast") or 32.0
    beta_slow = _number(scaling, "beta_slow") or 1.0
    truncate = scaling.get("truncate", True)
    if not isinstance(truncate, bool):
        raise ConfigError(f"rope_scaling['truncate'] must be a bool, got {truncate!r}")

    def dimension_for(rotations: float) -> float:
        # The feature index whose wavelength completes `rotations` turns over the original length.
        return rot_dim * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low, high = dimension_for(beta_fast), dimension_for(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, rot_dim - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(rot_dim // 2, dtype=np.float64) - low) / (high - low), 0.0, 1.0)
    extrapolate = 1.0 - ramp
    interpolated = inv_freq / factor
    return interpolated * (1 - extrapolate) + inv_freq * extrapolate, float(attention_factor)


def dynamic_inv_freq(params: RopeParameters, seq_len: int) -> np.ndarray:
    """Frequencies of a ``dynamic`` (NTK) rope for a sequence of ``seq_len`` positions.

    Up to ``max_position_embeddings`` they are the default frequencies; beyond, the base grows to
    ``base * (factor * seq_len / max_pos - (factor - 1)) ** (rot_dim / (rot_dim - 2))``. For other
    rope types ``params.inv_freq`` is returned unchanged. (Transformers caches the longest length
    seen so far; this function is stateless and uses ``seq_len`` as given.)
    """
    if not params.is_dynamic or seq_len <= params.max_position_embeddings:
        return params.inv_freq
    dim = params.rot_dim
    growth = params.factor * seq_len / params.max_position_embeddings - (params.factor - 1)
    base = params.base * growth ** (dim / (dim - 2)) if dim > 2 else params.base * growth
    return _default_inv_freq(base, dim).astype(np.float32)
