"""The pipeline base: inputs in, batched framework forward passes, plain Python results out.

A pipeline is framework-neutral: the tokenizer produces tensors of the model's framework
(``return_tensors`` "pt", "tf" or "jax"), the model runs, and its outputs are turned into NumPy
arrays before post-processing, so every task works the same in PyTorch, TensorFlow and Flax.
Inputs may be one item, a list, or any iterable (a generator is consumed lazily and yields
results one by one). One pipeline object may be shared between threads: it keeps no state
between calls, and forward passes run under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ..errors import PipelineError

RETURN_TENSORS = {"pt": "pt", "tf": "tf", "flax": "jax"}


def to_numpy(value: Any) -> Any:
    """A framework tensor (or a tuple/list of them) as NumPy arrays; float16/bfloat16 become float32."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    if isinstance(value, np.ndarray):
        return value
    module = type(value).__module__.split(".")[0]
    if module == "torch":
        value = value.detach().cpu()
        if value.dtype.is_floating_point and value.dtype.itemsize < 4:
            value = value.float()
        return value.numpy()
    array = np.asarray(value.numpy() if hasattr(value, "numpy") and module == "tensorflow" else value)
    if array.dtype.kind == "f" and array.dtype.itemsize < 4 or array.dtype.name == "bfloat16":
        array = array.astype(np.float32)
    return array


def model_framework(model: Any) -> str:
    framework = getattr(type(model), "framework", None)
    if framework not in RETURN_TENSORS:
        raise PipelineError(f"model: {type(model).__name__} does not declare a framework ('pt', 'tf' or 'flax')")
    return framework


class Pipeline:
    """Base class. Subclasses implement ``preprocess``, ``forward`` and ``postprocess``.

    ``preprocess(item, **params)`` returns a dict of NumPy arrays (one example, unpadded or
    already padded to a shared length) or a list of such dicts (one item split in chunks);
    ``forward(batch)`` runs the model on a collated batch and returns NumPy outputs;
    ``postprocess(outputs, item, **params)`` turns one item's outputs into the result.
    """

    task: str = ""
    max_input_chars: int = 1_000_000

    def __init__(self, model: Any, tokenizer: Any = None, *, device: Any = None, batch_size: int = 1, **defaults: Any):
        self.model = model
        self.tokenizer = tokenizer
        self.framework = model_framework(model)
        self.device = device
        if not isinstance(batch_size, int) or batch_size < 1:
            raise PipelineError(f"batch_size must be a positive int, got {batch_size!r}")
        self.batch_size = batch_size
        self.defaults = defaults
        self._lock = threading.Lock()
        if self.framework == "pt" and device is not None:
            self.model.to(device)

    # -- input handling --------------------------------------------------------------------
    def check_text(self, text: Any, name: str = "inputs") -> str:
        if not isinstance(text, str):
            raise PipelineError(f"{self.task}: {name} must be a string, got {type(text).__name__}")
        if not text.strip():
            raise PipelineError(f"{self.task}: {name} is empty")
        if len(text) > self.max_input_chars:
            raise PipelineError(f"{self.task}: {name} has {len(text)} characters, over the limit of {self.max_input_chars}")
        return text

    def is_single(self, inputs: Any) -> bool:
        """Whether ``inputs`` is one item (as opposed to a list or iterable of items)."""
        return isinstance(inputs, (str, dict))

    def __call__(self, inputs: Any, **params: Any) -> Any:
        params = {**self.defaults, **params}
        batch_size = params.pop("batch_size", self.batch_size)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise PipelineError(f"{self.task}: batch_size must be a positive int, got {batch_size!r}")
        if inputs is None:
            raise PipelineError(f"{self.task}: inputs is None")
        if self.is_single(inputs):
            return self._run([inputs], params, batch_size)[0]
        if isinstance(inputs, (list, tuple)):
            if not inputs:
                raise PipelineError(f"{self.task}: inputs is an empty list")
            return self._run(list(inputs), params, batch_size)
        if isinstance(inputs, Iterable):
            return self._stream(iter(inputs), params, batch_size)
        raise PipelineError(f"{self.task}: inputs of type {type(inputs).__name__} is not supported")

    def _stream(self, items: Iterator[Any], params: dict, batch_size: int) -> Iterator[Any]:
        chunk: list[Any] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == batch_size:
                yield from self._run(chunk, params, batch_size)
                chunk = []
        if chunk:
            yield from self._run(chunk, params, batch_size)

    def _run(self, items: list[Any], params: dict, batch_size: int) -> list[Any]:
        prepared = []
        for index, item in enumerate(items):
            parts = self.preprocess(item, **params)
            for part in parts if isinstance(parts, list) else [parts]:
                prepared.append((index, part))
        outputs: list[list[dict]] = [[] for _ in items]
        for start in range(0, len(prepared), batch_size):
            group = prepared[start:start + batch_size]
            batch, lengths = self.collate([p for _, p in group])
            with self._lock:
                result = self.forward(batch, **params)
            for row, (index, part) in enumerate(group):
                outputs[index].append({**self.unbatch(result, row, lengths[row]), "_inputs": part})
        return [self.postprocess(outputs[i], items[i], **params) for i in range(len(items))]

    # -- batching --------------------------------------------------------------------------
    def pad_id(self) -> int:
        pad = getattr(self.tokenizer, "pad_token_id", None)
        return 0 if pad is None else int(pad)

    def collate(self, parts: list[dict]) -> tuple[dict, list[int]]:
        """Right-pad a list of single examples into one batch of NumPy arrays."""
        lengths = [len(p["input_ids"]) for p in parts]
        width = max(lengths)
        batch: dict[str, np.ndarray] = {}
        for key in parts[0]:
            if not key.endswith(("_ids", "_mask")) or key == "special_tokens_mask":
                continue
            fill = self.pad_id() if key == "input_ids" else 0
            array = np.full((len(parts), width), fill, dtype=np.int64)
            for row, part in enumerate(parts):
                values = np.asarray(part[key], dtype=np.int64)
                array[row, : len(values)] = values
            batch[key] = array
        return batch, lengths

    # Outputs with a sequence axis, cut back to each example's own length after the batch.
    sequence_outputs: tuple[str, ...] = ("last_hidden_state", "start_logits", "end_logits", "logits")

    def unbatch(self, result: dict, row: int, length: int) -> dict:
        out = {}
        for key, value in result.items():
            value = value[row]
            if key in self.sequence_outputs and value.ndim >= 1 and value.shape[0] >= length and self.per_token:
                value = value[:length]
            out[key] = value
        return out

    # Whether "logits" has a sequence axis (token classification, fill-mask) or not.
    per_token: bool = True

    def model_inputs(self, batch: dict) -> dict:
        """The batch as the model's framework tensors."""
        from ..frameworks import convert_to_tensors

        kind = RETURN_TENSORS[self.framework]
        tensors = {k: convert_to_tensors(v, kind) for k, v in batch.items()}
        if self.framework == "pt" and self.device is not None:
            tensors = {k: v.to(self.device) for k, v in tensors.items()}
        return tensors

    def run_model(self, batch: dict, *, keep: tuple[str, ...]) -> dict:
        if self.framework == "pt":
            import torch

            with torch.inference_mode():
                outputs = self.model(**self.model_inputs(batch))
        else:
            outputs = self.model(**self.model_inputs(batch))
        return {k: to_numpy(outputs[k]) for k in keep if k in outputs}

    # -- to implement ----------------------------------------------------------------------
    def preprocess(self, item: Any, **params: Any) -> dict | list[dict]:
        raise NotImplementedError

    def forward(self, batch: dict, **params: Any) -> dict:
        raise NotImplementedError

    def postprocess(self, outputs: list[dict], item: Any, **params: Any) -> Any:
        raise NotImplementedError


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
