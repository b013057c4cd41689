"""Generation for PyTorch models: the array primitives and the model backend of ``generate``.

The decoding logic itself is framework-neutral (:mod:`plugformers_sdk.generation`); PyTorch runs
it eagerly, with a growing key/value cache (one slot appended per token) under
``torch.inference_mode``; the one-token decode steps run their CPU matmuls through oneDNN
(:mod:`.decode_matmul`). Sampling draws from ``torch.Generator`` (``generator=`` or a
``seed``), or from torch's global RNG when neither is given.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any

import numpy as np
import torch

from ..generation.array_ops import ArrayOps
from ..generation.mixin import GenerationBackend, GenerationMixin
from .decode_matmul import decoding_matmuls

_KINDS = {"int": torch.int64, "float": torch.float32, "bool": torch.bool}


class TorchOps(ArrayOps):
    """:class:`ArrayOps` on torch tensors (ids are int64, as Transformers returns them)."""

    name = "torch"

    def __init__(self, device: torch.device | str = "cpu"):
        self.device = torch.device(device)

    def constant(self, array):
        array = np.asarray(array)
        kind = "bool" if array.dtype == bool else "int" if np.issubdtype(array.dtype, np.integer) else "float"
        return torch.as_tensor(array, device=self.device).to(_KINDS[kind])

    def to_numpy(self, x):
        return x.detach().cpu().numpy()

    def arange(self, n):
        return torch.arange(n, device=self.device)

    def where(self, cond, x, y):
        return torch.where(cond, x, y)

    def cast(self, x, kind):
        return x.to(_KINDS[kind])

    def full(self, shape, value, kind):
        return torch.full(tuple(shape), value, dtype=_KINDS[kind], device=self.device)

    def shape(self, x):
        return tuple(x.shape)

    def reshape(self, x, shape):
        return x.reshape(shape)

    def concat(self, xs, axis):
        return torch.cat(xs, dim=axis)

    def pad_left(self, x, amount, axis):
        shape = list(x.shape)
        shape[axis] = amount
        return torch.cat([x.new_zeros(shape), x], dim=axis)

    def softmax(self, x):
        return torch.softmax(x, dim=-1)

    def log_softmax(self, x):
        return torch.log_softmax(x, dim=-1)

    def cumsum(self, x, axis):
        return torch.cumsum(x, dim=axis)

    def sort(self, x):
        values, indices = torch.sort(x, dim=-1)
        return values, indices

    def argsort(self, x):
        return torch.argsort(x, dim=-1)

    def topk(self, x, k):
        values, indices = torch.topk(x, k, dim=-1)
        return values, indices

    def take_along_axis(self, x, indices, axis):
        return torch.take_along_dim(x, indices, dim=axis)

    def take(self, x, indices, axis):
        return torch.index_select(x, axis, indices)

    def reduce(self, op, x, axis, keepdims=False):
        if op in ("max", "min"):
            return getattr(torch, f"a{op}")(x, dim=axis, keepdim=keepdims)
        return getattr(torch, op)(x, dim=axis, keepdim=keepdims)

    def argmax(self, x, axis=-1):
        return torch.argmax(x, dim=axis)

    def presence(self, ids, valid, size):
        inside = valid & (ids >= 0) & (ids < size)
        mask = torch.zeros((ids.shape[0], size + 1), dtype=torch.bool, device=ids.device)
        mask.scatter_(1, torch.where(inside, ids, size), True)
        return mask[:, :size]

    def uniform(self, rng, shape, step):
        return torch.rand(tuple(shape), generator=rng, device=self.device)

    def log(self, x):
        return torch.log(x)


class TorchGenerationBackend(GenerationBackend):
    """Runs the model eagerly (growing cache) on the model's device."""

    framework = "pt"

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.ops = TorchOps(model.device)
        self._logits_to_keep = "logits_to_keep" in inspect.signature(model.forward).parameters

    def forward(self, input_ids, attention_mask, position_ids, past, last_only=True):
        kwargs = {"logits_to_keep": 1} if self._logits_to_keep and last_only else {}
        with decoding_matmuls() if past is not None else contextlib.nullcontext():  # one-token steps
            outputs = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                                 past_key_values=past, use_cache=self.use_cache, return_dict=True, **kwargs)
        logits = self.check_logits(outputs)
        logits = logits[:, -1, :] if last_only else logits
        return logits.to(torch.float32), outputs.get("past_key_values")

    def from_numpy(self, array: np.ndarray):
        return self.ops.constant(array)

    def output(self, array: np.ndarray):
        return torch.as_tensor(np.asarray(array, dtype=np.int64), device=self.ops.device)

    def make_rng(self, seed: int | None, kwargs: dict[str, Any]):
        generator = kwargs.pop("generator", None)
        if generator is not None:
            if not isinstance(generator, torch.Generator):
                raise self.error(f"generator must be a torch.Generator, got {type(generator).__name__}")
            return generator
        if seed is None:
            return None  # torch's global RNG (torch.manual_seed)
        if isinstance(seed, list):
            raise self.error("seed must be an int in PyTorch (the pair [a, b] is TensorFlow's stateless seed)")
        return torch.Generator(device=self.ops.device).manual_seed(seed)

    def run(self, function):
        with torch.inference_mode():
            return function()


class TorchGenerationMixin(GenerationMixin):
    """``generate`` for PyTorch models (mixed into :class:`plugformers_sdk.torch.PreTrainedModel`)."""

    def _generation_backend(self) -> TorchGenerationBackend:
        return TorchGenerationBackend(self)
