"""Generation for TensorFlow models: the array primitives and the XLA-compiled decode step.

The decoding logic is framework-neutral (:mod:`plugformers_sdk.generation`). The prompt runs
eagerly; every following token runs one ``tf.function(jit_compile=True)`` step with fixed shapes:
the key/value cache is a rolling buffer of ``cache_length`` slots (rounded up to a multiple of
:data:`CACHE_BUCKET`, so prompts of nearby lengths share a compilation), and step counters are
tensors, so the step is traced and compiled once per model, decoding settings and shape — never
per token. Compiled steps are kept per model for later calls.

Sampling is stateless (``tf.random.stateless_uniform``) from ``seed=`` (an int, or TensorFlow's
stateless pair ``[a, b]``), or from a seed drawn with TensorFlow's global generator
(``tf.random.set_seed``) when none is given.
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

import numpy as np

from ..generation.array_ops import ArrayOps
from ..generation.mixin import GenerationBackend, GenerationMixin
from .framework import tf

CACHE_BUCKET = 32
_KINDS = {"int": tf.int32, "float": tf.float32, "bool": tf.bool}
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class TFOps(ArrayOps):
    """:class:`ArrayOps` on TensorFlow tensors (ids are int32)."""

    name = "tf"

    def constant(self, array):
        array = np.asarray(array)
        kind = "bool" if array.dtype == bool else "int" if np.issubdtype(array.dtype, np.integer) else "float"
        return tf.constant(array, dtype=_KINDS[kind])

    def to_numpy(self, x):
        return x.numpy() if hasattr(x, "numpy") else np.asarray(x)

    def arange(self, n):
        return tf.range(n, dtype=tf.int32)

    def where(self, cond, x, y):
        return tf.where(cond, x, y)

    def cast(self, x, kind):
        return tf.cast(x, _KINDS[kind])

    def full(self, shape, value, kind):
        return tf.fill(tuple(shape), tf.constant(value, dtype=_KINDS[kind]))

    def shape(self, x):
        return tuple(int(d) for d in x.shape)

    def reshape(self, x, shape):
        return tf.reshape(x, shape)

    def concat(self, xs, axis):
        return tf.concat(xs, axis=axis)

    def pad_left(self, x, amount, axis):
        paddings = [[0, 0]] * len(x.shape)
        paddings[axis] = [amount, 0]
        return tf.pad(x, paddings)

    def softmax(self, x):
        return tf.nn.softmax(x, axis=-1)

    def log_softmax(self, x):
        return tf.nn.log_softmax(x, axis=-1)

    def cumsum(self, x, axis):
        return tf.cumsum(x, axis=axis)

    def sort(self, x):
        indices = tf.argsort(x, axis=-1, stable=True)
        return tf.gather(x, indices, axis=-1, batch_dims=len(x.shape) - 1), indices

    def argsort(self, x):
        return tf.argsort(x, axis=-1, stable=True)

    def topk(self, x, k):
        values, indices = tf.math.top_k(x, k=k, sorted=True)
        return values, indices

    def take_along_axis(self, x, indices, axis):
        if axis == len(x.shape) - 1:
            return tf.gather(x, indices, axis=axis, batch_dims=axis)
        # along a middle axis (beams): move it last, gather, move back
        order = [d for d in range(len(x.shape)) if d != axis] + [axis]
        back = list(np.argsort(order))
        moved = tf.gather(tf.transpose(x, order), tf.transpose(indices, order), axis=-1, batch_dims=len(order) - 1)
        return tf.transpose(moved, back)

    def take(self, x, indices, axis):
        return tf.gather(x, indices, axis=axis)

    def reduce(self, op, x, axis, keepdims=False):
        return getattr(tf, f"reduce_{op}")(x, axis=axis, keepdims=keepdims)

    def argmax(self, x, axis=-1):
        return tf.argmax(x, axis=axis, output_type=tf.int32)

    def presence(self, ids, valid, size):
        rows, length = self.shape(ids)
        inside = valid & (ids >= 0) & (ids < size)
        target = tf.where(inside, ids, size)
        row_index = tf.broadcast_to(tf.range(rows, dtype=tf.int32)[:, None], (rows, length))
        counts = tf.scatter_nd(tf.stack([row_index, target], axis=-1), tf.ones_like(target), (rows, size + 1))
        return counts[:, :size] > 0

    def uniform(self, rng, shape, step):
        seed = tf.stack([rng[0], rng[1] + tf.cast(step, rng.dtype)])
        return tf.random.stateless_uniform(tuple(shape), seed=seed, dtype=tf.float32)

    def log(self, x):
        return tf.math.log(x)


class TFGenerationBackend(GenerationBackend):
    """Prompt eagerly, then one XLA-compiled step per token over a rolling cache."""

    framework = "tf"
    fixed_shapes = True
    #: False runs the same fixed-shape steps eagerly, uncompiled (debugging; fast tests)
    jit = True

    def __init__(self, model: Any):
        self.model = model
        self.ops = TFOps()
        self._logits_to_keep = "logits_to_keep" in inspect.signature(model.call).parameters

    def forward(self, input_ids, attention_mask, position_ids, past, last_only=True):
        kwargs = {"logits_to_keep": 1} if self._logits_to_keep and last_only else {}
        outputs = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             past_key_values=past, use_cache=self.use_cache, return_dict=True, training=False,
                             **kwargs)
        logits = self.check_logits(outputs)
        logits = logits[:, -1, :] if last_only else logits
        return tf.cast(logits, tf.float32), outputs.get("past_key_values")

    def compile_step(self, plan, step):
        if not self.jit:
            return super().compile_step(plan, step)
        cache = _COMPILED.setdefault(self.model, {})
        key = (plan, step.__name__)
        if key not in cache:
            # the cache is keyed by the model (weakly): the function holds it through a weak reference
            ops, model_ref = self.ops, weakref.ref(self.model)

            def run(state):
                backend = TFGenerationBackend(model_ref())
                backend.use_cache = plan.use_cache
                return step(ops, plan, backend.forward, state)

            cache[key] = tf.function(run, jit_compile=True, autograph=False)
        return cache[key]

    def cache_length(self, needed: int) -> int:
        return -(-needed // CACHE_BUCKET) * CACHE_BUCKET

    def counter(self, value):
        return tf.constant(value, dtype=tf.int32)

    def output(self, array: np.ndarray):
        return tf.constant(np.asarray(array), dtype=tf.int32)

    def make_rng(self, seed: int | None, kwargs: dict[str, Any]):
        if seed is None:
            return tf.random.uniform((2,), maxval=2**31 - 1, dtype=tf.int32)
        pair = seed if isinstance(seed, list) else [seed, 0]
        return tf.constant([v % (2**31 - 1) for v in pair], dtype=tf.int32)


class TFGenerationMixin(GenerationMixin):
    """``generate`` for TensorFlow models (mixed into :class:`plugformers_sdk.tf.PreTrainedModel`)."""

    def _generation_backend(self) -> TFGenerationBackend:
        return TFGenerationBackend(self)
