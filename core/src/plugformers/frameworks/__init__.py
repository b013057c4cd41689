"""Frameworks (backends) as seen from core: availability without importing, tensor conversion.

The three built-in frameworks register through the same ``register_frameworks`` hook as any
third-party backend (see ``plugformers.builtin.frameworks``). This module only knows how to ask
whether a framework's modules are installed and how to turn NumPy arrays into its tensors.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from ..errors import MissingDependencyError

# Aliases accepted wherever a framework is named.
FRAMEWORK_ALIASES = {
    "pt": "pt", "torch": "pt", "pytorch": "pt",
    "tf": "tf", "tensorflow": "tf",
    "flax": "flax", "jax": "flax",
}

# return_tensors spellings -> converter.
RETURN_TENSORS = ("pt", "tf", "jax", "np")


def normalise_framework(name: str) -> str:
    try:
        return FRAMEWORK_ALIASES[str(name).lower()]
    except KeyError:
        raise ValueError(f"framework={name!r} is not one of 'pt', 'tf', 'flax'") from None


def modules_installed(*modules: str) -> bool:
    """True when every named top-level module can be imported, checked without importing it."""
    for module in modules:
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


def convert_to_tensors(value: Any, return_tensors: str | None) -> Any:
    """Turn a NumPy array (or nested lists of numbers) into the requested framework's tensor.

    ``return_tensors`` is ``"pt"``, ``"tf"``, ``"jax"``, ``"np"`` or ``None`` (leave as is).
    """
    if return_tensors is None:
        return value
    import numpy as np

    if return_tensors == "np":
        return np.asarray(value)
    if return_tensors == "pt":
        _require("torch", "torch")
        import torch

        array = np.asarray(value)
        return torch.from_numpy(np.ascontiguousarray(array)) if array.dtype != object else torch.tensor(value)
    if return_tensors == "tf":
        _require("tensorflow", "tf")
        from .tf_quiet import import_tensorflow

        tf = import_tensorflow()
        return tf.convert_to_tensor(np.asarray(value))
    if return_tensors == "jax":
        _require("jax", "flax")
        import jax.numpy as jnp

        return jnp.asarray(np.asarray(value))
    raise ValueError(f"return_tensors={return_tensors!r} is not one of {RETURN_TENSORS} or None")


def _require(module: str, extra: str) -> None:
    if not modules_installed(module):
        raise MissingDependencyError(
            f"{module} is not installed: pip install 'plugformers[{extra}]'"
        )
