"""``ConformanceSession``: one tester class's built models, shared weights and outputs, cached.

The pytest plugin gives each tester class one session (a class-scoped fixture), so each head is
built once per framework however many tests use it, and every framework's model of a head holds
the same randomised weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from . import frameworks as fw


def randomise(tensors: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every floating tensor replaced by N(0, 0.1) noise (1 + noise where it was all ones, i.e. norm
    scales), so no bias is trivially zero and no norm trivially the identity. Others are kept."""
    out = {}
    for name, value in tensors.items():
        array = fw.to_numpy(value)
        if array.dtype.kind != "f":
            out[name] = array
            continue
        noise = rng.normal(0.0, 0.1, size=array.shape).astype(np.float32)
        out[name] = (noise + 1.0) if array.size and np.all(array == 1.0) else noise
    return out


class ConformanceSession:
    """Lazily built, cached per ``(head, framework)``: models, the head's shared weights, outputs."""

    def __init__(self, tester: Any, tmp_path_factory: pytest.TempPathFactory, frameworks: tuple[str, ...],
                 rootpath: Path):
        self.tester = tester
        self.rootpath = rootpath  # pytest's rootdir: the default oracle references live under it
        self.architecture = tester.get_architecture()
        self.frameworks = frameworks  # installed and selected, in preference order
        self._tmp_path_factory = tmp_path_factory
        self._models: dict[tuple[str, str], Any] = {}
        self._weights: dict[str, dict[str, np.ndarray]] = {}
        self._outputs: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        self._inputs: dict[str, dict[str, np.ndarray]] = {}

    def tmp_dir(self, name: str) -> Path:
        return self._tmp_path_factory.mktemp(name.replace("/", "-"))

    # -- configs, inputs -------------------------------------------------------------------------
    def config(self, head: str) -> Any:
        return self.tester.get_config(head)

    def inputs(self, head: str, *, labels: bool = False) -> dict[str, np.ndarray]:
        """The standard inputs of ``head`` (``batch_size`` x ``seq_length``), plus its labels if asked."""
        if head not in self._inputs:
            t, config = self.tester, self.config(head)
            inputs = t.head_inputs(head, config, t.batch_size, t.seq_length, t.rng("inputs", head))
            inputs["__labels__"] = t.head_labels(head, config, inputs, t.rng("labels", head))
            self._inputs[head] = inputs
        inputs = dict(self._inputs[head])
        extra = inputs.pop("__labels__")
        return {**inputs, **extra} if labels else inputs

    # -- weights and models ---------------------------------------------------------------------
    def model_class(self, head: str, framework: str) -> type:
        return self.architecture.model_class(framework, head)

    def weights(self, head: str) -> dict[str, np.ndarray]:
        """The head's randomised canonical weights, taken from the first framework that has the head."""
        if head not in self._weights:
            source = next((f for f in self.frameworks if self.architecture.has(f, head)), None)
            if source is None:
                pytest.skip(f"no installed framework has a class for head {head!r}")
            model = fw.build_model(source, self.model_class(head, source), self.config(head), seed=self.tester.seed)
            tensors = randomise(model.canonical_state_dict(), self.tester.rng("weights", head))
            tied = _active_tied(model)
            for target, origin in tied.items():  # a tied copy holds exactly its source
                if target in tensors and origin in tensors:
                    tensors[target] = tensors[origin]
            self._weights[head] = tensors
        return self._weights[head]

    def model(self, head: str, framework: str) -> Any:
        """``head``'s model in ``framework``, built once, holding :meth:`weights`."""
        key = (head, framework)
        if key not in self._models:
            model = fw.build_model(framework, self.model_class(head, framework), self.config(head),
                                   seed=self.tester.seed)
            report = model.load_canonical_state_dict(self.weights(head), strict=True)
            assert report.ok, f"{head}/{framework}: loading the shared weights: {report.describe()}"
            self._models[key] = model
        return self._models[key]

    def outputs(self, head: str, framework: str) -> dict[str, np.ndarray]:
        """The flattened outputs of :meth:`model` on the standard inputs with labels."""
        key = (head, framework)
        if key not in self._outputs:
            out = fw.forward(framework, self.model(head, framework), self.inputs(head, labels=True))
            self._outputs[key] = fw.flatten_outputs(out)
        return self._outputs[key]


def _active_tied(model: Any) -> dict[str, str]:
    """The tied target -> source names a model applies (``{}`` unless ``tie_word_embeddings``)."""
    if not getattr(model.config, "tie_word_embeddings", False):
        return {}
    return dict(getattr(type(model), "tied_weights", {}) or {})
