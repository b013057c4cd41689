"""Generation for Flax NNX models: the array primitives and the jitted decode steps.

The decoding logic is framework-neutral (:mod:`plugformers_sdk.generation`). Two functions are
``jax.jit``-compiled over the model's split state (``nnx.split`` / ``nnx.merge``, what ``nnx.jit``
does, without its per-call graph traversal): the prompt plus the first token (once per prompt
shape), and the decode step (once per batch and cache size), which then runs for every token.
The key/value cache is a rolling buffer of fixed size (rounded up to a multiple of
:data:`CACHE_BUCKET`, so nearby lengths share a compilation) and step counters are arrays, so
nothing is retraced per token; compiled steps are kept per model for later calls. Generation
runs the model in eval mode (dropout off) on a merged view of its state; the model object itself
is left untouched.

Sampling: ``prng_key=`` (a JAX key), else ``seed=``, else a seed from NumPy's global generator.
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from ..generation.array_ops import ArrayOps
from ..generation.mixin import GenerationBackend, GenerationMixin, language_model_logits

CACHE_BUCKET = 32
_KINDS = {"int": jnp.int32, "float": jnp.float32, "bool": jnp.bool_}
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class JaxOps(ArrayOps):
    """:class:`ArrayOps` on JAX arrays (ids are int32)."""

    name = "jax"

    def constant(self, array):
        array = np.asarray(array)
        kind = "bool" if array.dtype == bool else "int" if np.issubdtype(array.dtype, np.integer) else "float"
        return jnp.asarray(array, dtype=_KINDS[kind])

    def to_numpy(self, x):
        return np.asarray(x)

    def arange(self, n):
        return jnp.arange(n, dtype=jnp.int32)

    def where(self, cond, x, y):
        return jnp.where(cond, x, y)

    def cast(self, x, kind):
        return jnp.asarray(x).astype(_KINDS[kind])

    def full(self, shape, value, kind):
        return jnp.full(tuple(shape), value, dtype=_KINDS[kind])

    def shape(self, x):
        return tuple(x.shape)

    def reshape(self, x, shape):
        return jnp.reshape(x, shape)

    def concat(self, xs, axis):
        return jnp.concatenate(xs, axis=axis)

    def pad_left(self, x, amount, axis):
        widths = [(0, 0)] * x.ndim
        widths[axis] = (amount, 0)
        return jnp.pad(x, widths)

    def softmax(self, x):
        return jax.nn.softmax(x, axis=-1)

    def log_softmax(self, x):
        return jax.nn.log_softmax(x, axis=-1)

    def cumsum(self, x, axis):
        return jnp.cumsum(x, axis=axis)

    def sort(self, x):
        indices = jnp.argsort(x, axis=-1, stable=True)
        return jnp.take_along_axis(x, indices, axis=-1), indices

    def argsort(self, x):
        return jnp.argsort(x, axis=-1, stable=True)

    def topk(self, x, k):
        return jax.lax.top_k(x, k)

    def take_along_axis(self, x, indices, axis):
        return jnp.take_along_axis(x, indices, axis=axis)

    def take(self, x, indices, axis):
        return jnp.take(x, indices, axis=axis)

    def reduce(self, op, x, axis, keepdims=False):
        return getattr(jnp, op)(x, axis=axis, keepdims=keepdims)

    def argmax(self, x, axis=-1):
        return jnp.argmax(x, axis=axis).astype(jnp.int32)

    def presence(self, ids, valid, size):
        rows = ids.shape[0]
        inside = valid & (ids >= 0) & (ids < size)
        target = jnp.where(inside, ids, size)
        mask = jnp.zeros((rows, size + 1), dtype=jnp.bool_).at[jnp.arange(rows)[:, None], target].set(True)
        return mask[:, :size]

    def uniform(self, rng, shape, step):
        return jax.random.uniform(jax.random.fold_in(rng, step), tuple(shape), dtype=jnp.float32)

    def log(self, x):
        return jnp.log(x)


def _call_model(model, logits_to_keep: bool, input_ids, attention_mask, position_ids, past, use_cache, last_only):
    kwargs = {"logits_to_keep": 1} if logits_to_keep else {}
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                    past_key_values=past, use_cache=use_cache, return_dict=True, **kwargs)
    logits = language_model_logits(outputs, model)
    logits = logits[:, -1, :] if last_only else logits
    return logits.astype(jnp.float32), outputs.get("past_key_values")


def _same_graph(a: Any, b: Any) -> bool:
    """Whether a cached step was compiled for this module structure (GraphDefs hold the config,
    which is not hashable, so they cannot be part of the cache key)."""
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an incomparable graph is a different graph
        return False


class FlaxGenerationBackend(GenerationBackend):
    """A jitted prompt step, then one jitted decode step per token over a rolling cache."""

    framework = "flax"
    fixed_shapes = True
    #: False runs the same fixed-shape steps eagerly, uncompiled (debugging; fast tests)
    jit = True

    def __init__(self, model: Any):
        self.model = model
        self.graphdef, self.graph_state = nnx.split(model)
        self.eval_model = nnx.merge(self.graphdef, self.graph_state)
        self.eval_model.eval()
        self.ops = JaxOps()
        self._logits_to_keep = "logits_to_keep" in inspect.signature(type(model).__call__).parameters

    def _call(self, model, input_ids, attention_mask, position_ids, past, use_cache, last_only=True):
        return _call_model(model, self._logits_to_keep and last_only, input_ids, attention_mask, position_ids, past,
                           use_cache, last_only)

    def forward(self, input_ids, attention_mask, position_ids, past, last_only=True):
        return self._call(self.eval_model, input_ids, attention_mask, position_ids, past, self.use_cache, last_only)

    def _jitted(self, plan, function, name: str):
        """``function(ops, plan, forward, state, *arrays)`` jitted over the model's state, cached per
        model, plan and ``name`` (jax.jit then caches per shape)."""
        cache = _COMPILED.setdefault(self.model, {})
        key = (plan, name)
        if key not in cache or not _same_graph(cache[key][0], self.graphdef):
            # nothing in here may refer to the model object: the cache is keyed by it (weakly)
            ops, graphdef, keep = self.ops, self.graphdef, self._logits_to_keep

            @jax.jit
            def run(graph_state, state, *arrays):
                model = nnx.merge(graphdef, graph_state)
                model.eval()

                def forward(input_ids, attention_mask, position_ids, past, last_only=True):
                    return _call_model(model, keep and last_only, input_ids, attention_mask, position_ids, past,
                                       plan.use_cache, last_only)

                return function(ops, plan, forward, state, *arrays)

            cache[key] = (graphdef, run)
        run, graph_state = cache[key][1], self.graph_state
        return lambda state, *arrays: run(graph_state, state, *arrays)

    def compile_first(self, plan, first):
        if not self.jit:
            return super().compile_first(plan, first)
        return self._jitted(plan, first, first.__name__)

    def compile_step(self, plan, step):
        if not self.jit:
            return super().compile_step(plan, step)
        return self._jitted(plan, step, step.__name__)

    def cache_length(self, needed: int) -> int:
        return -(-needed // CACHE_BUCKET) * CACHE_BUCKET

    def counter(self, value):
        return jnp.asarray(value, dtype=jnp.int32)

    def output(self, array: np.ndarray):
        return jnp.asarray(np.asarray(array), dtype=jnp.int32)

    def make_rng(self, seed: int | None, kwargs: dict[str, Any]):
        key = kwargs.pop("prng_key", None)
        if key is not None:
            return key
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        if isinstance(seed, list):
            raise self.error("seed must be an int in JAX (the pair [a, b] is TensorFlow's stateless seed; "
                             "pass prng_key= for a JAX key)")
        return jax.random.PRNGKey(seed)


class FlaxGenerationMixin(GenerationMixin):
    """``generate`` for Flax models (mixed into :class:`plugformers_sdk.flax.PreTrainedModel`)."""

    def _generation_backend(self) -> FlaxGenerationBackend:
        return FlaxGenerationBackend(self)
