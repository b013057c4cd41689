"""Build, load and run a model in any of the three frameworks: NumPy in, NumPy out.

Every function imports its framework lazily, so importing this module imports none of them.
The conformance tests talk to models only through these helpers, which is what lets one test
body check PyTorch, TensorFlow and Flax alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from plugformers.frameworks import modules_installed


@dataclass(frozen=True)
class Framework:
    """What the kit needs to know about a framework before importing it."""

    name: str  # "pt" | "tf" | "flax"
    display_name: str
    modules: tuple[str, ...]
    extra: str  # the pip extra of a plugin: plugformers-<arch>[extra]
    return_tensors: str  # plugformers.frameworks.convert_to_tensors spelling

    @property
    def installed(self) -> bool:
        return modules_installed(*self.modules)

    def missing_reason(self, distribution: str) -> str:
        return f"{self.display_name} not installed: pip install '{distribution}[{self.extra}]'"


FRAMEWORKS: dict[str, Framework] = {
    "pt": Framework("pt", "PyTorch", ("torch",), "torch", "pt"),
    "tf": Framework("tf", "TensorFlow", ("tensorflow",), "tf", "tf"),
    "flax": Framework("flax", "Flax", ("jax", "flax"), "flax", "jax"),
}


def _inference_mode(framework: str, model: Any) -> Any:
    """Torch and Flax modules have a train/eval mode; the kit always compares in eval mode
    (TensorFlow's mode is the ``training=False`` that :func:`forward` passes)."""
    if framework in ("pt", "flax"):
        model.eval()
    return model


def build_model(framework: str, model_class: type, config: Any, *, seed: int = 0) -> Any:
    """``model_class.from_config(config, seed=seed)`` in eval mode."""
    return _inference_mode(framework, model_class.from_config(config, seed=seed))


def load_model(framework: str, model_class: type, directory: str | Path) -> Any:
    """``model_class.from_pretrained(directory)`` in eval mode."""
    return _inference_mode(framework, model_class.from_pretrained(str(directory)))


def to_framework(framework: str, inputs: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """NumPy arrays -> the framework's tensors (through core's ``convert_to_tensors``, as tokenizers do)."""
    from plugformers.frameworks import convert_to_tensors

    kind = FRAMEWORKS[framework].return_tensors
    return {name: convert_to_tensors(np.ascontiguousarray(value), kind) for name, value in inputs.items()}


def forward(framework: str, model: Any, inputs: Mapping[str, np.ndarray], **native: Any) -> Any:
    """Run ``model`` on NumPy ``inputs`` (plus ``native`` keyword arguments passed through as they
    are, e.g. a ``past_key_values`` the model returned), without gradients, in inference mode.
    Returns the model's output object, its tensors still the framework's."""
    kwargs = {**to_framework(framework, inputs), **native}
    if framework == "pt":
        import torch

        with torch.no_grad():
            return model(**kwargs)
    if framework == "tf":
        return model(**kwargs, training=False)
    return model(**kwargs)


def to_numpy(value: Any) -> np.ndarray:
    """A torch / TensorFlow / JAX / NumPy array as NumPy (low-precision floats widened to float32)."""
    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu()
        if value.dtype.is_floating_point and value.dtype.itemsize < 4:
            value = value.float()
        return value.numpy()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # TensorFlow eager tensor
        value = value.numpy()
    array = np.asarray(value)
    if array.dtype.kind == "V" or array.dtype.name in ("bfloat16", "float16"):
        array = array.astype(np.float32)
    return array


def is_array(value: Any) -> bool:
    """True for a tensor or array of any framework (not for tuples, caches or other objects)."""
    return isinstance(value, np.ndarray) or (hasattr(value, "shape") and hasattr(value, "dtype")
                                              and not isinstance(value, (tuple, list, Mapping)))


def flatten_outputs(output: Any, *, skip: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """A model output (a ``ModelOutput`` / mapping) as ``{name: array}``: nested tuples become
    ``name.0.1``; ``None`` fields and fields named in ``skip`` are left out. Anything that is
    neither an array nor a tuple of arrays (a Transformers ``Cache``) is left out too."""
    if not isinstance(output, Mapping):
        raise TypeError(f"a model returned {type(output).__name__}, not a ModelOutput (mapping of named outputs)")
    flat: dict[str, np.ndarray] = {}

    def visit(name: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, (tuple, list)):
            for index, item in enumerate(value):
                visit(f"{name}.{index}", item)
        elif is_array(value):
            flat[name] = to_numpy(value)

    for key, value in output.items():
        if key not in skip:
            visit(str(key), value)
    return flat
