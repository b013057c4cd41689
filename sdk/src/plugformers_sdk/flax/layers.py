"""The layers architectures share, as Flax NNX modules, with their canonical-weight transforms.

Constructor signatures are those of ``plugformers_sdk.torch.layers`` plus the keyword-only
``rngs`` every NNX module takes (and ``initializer_range``, the std of the normal init; by
default the ``config.initializer_range`` of the model being built, see :mod:`.initialization`).
Biases and padding rows start at zero, norms at ones/zeros, as in Transformers.
Each layer's :meth:`canonical_tensors` says which variable holds which PyTorch tensor:

=============  ====================================  =====================================
layer          stored                                canonical (PyTorch)
=============  ====================================  =====================================
Linear         ``kernel`` [in, out], ``bias``        ``weight`` = kernel.T [out, in], ``bias``
Conv1D         ``weight`` [in, out], ``bias``        same (GPT-2's layout)
Embedding      ``weight`` [num, dim]                 same
LayerNorm      ``weight``, ``bias``                  same
RMSNorm        ``weight``                            same
=============  ====================================  =====================================

Computation follows the parameters' dtype: a Linear casts its input to its kernel's dtype, an
Embedding returns rows in its own dtype, and the norms compute in float32 and return the input's
dtype, like PyTorch. A model cast to bfloat16 therefore computes in bfloat16.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from plugformers.errors import ConfigError

from .activations import get_activation
from .canonical import IDENTITY, TRANSPOSE, CanonicalTensor
from .initialization import building_abstract, normal_weight, ones_weight, zeros_weight


def _positive(value: object, argument: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{layer}: {argument} must be a positive int, got {value!r}")
    return value


class Linear(nnx.Module):
    """``y = x @ W.T + b`` with PyTorch's ``weight`` [out, in] stored as ``kernel`` [in, out].

    :meth:`tie_to` makes the layer use an :class:`Embedding`'s table as its weight (a tied LM
    head): the kernel is dropped and the weight is no longer one of the layer's own tensors.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rngs: nnx.Rngs,
                 initializer_range: float | None = None):
        self.in_features = _positive(in_features, "in_features", "Linear")
        self.out_features = _positive(out_features, "out_features", "Linear")
        self.kernel = nnx.data(nnx.Param(normal_weight(rngs, (in_features, out_features), initializer_range)))
        self.bias = nnx.data(nnx.Param(zeros_weight((out_features,))) if bias else None)
        self.tied_embedding = nnx.data(None)

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        tensors = {}
        if self.tied_embedding is None:
            tensors["weight"] = CanonicalTensor(self.kernel, TRANSPOSE)
        if self.bias is not None:
            tensors["bias"] = CanonicalTensor(self.bias, IDENTITY)
        return tensors

    def tie_to(self, embedding: Embedding) -> None:
        """Use ``embedding.weight`` ([out, in]) as this layer's weight, sharing the variable."""
        if not isinstance(embedding, Embedding):
            raise ConfigError(f"Linear.tie_to needs an Embedding, got {type(embedding).__name__}")
        expected = (self.out_features, self.in_features)
        got = (embedding.num_embeddings, embedding.embedding_dim)
        if got != expected:
            raise ConfigError(f"cannot tie a Linear of weight shape {expected} to an Embedding of shape {got}")
        self.tied_embedding = embedding
        self.kernel = nnx.data(None)

    def __call__(self, x: jax.Array) -> jax.Array:
        if self.tied_embedding is not None:
            y = self.tied_embedding.attend(x)
        else:
            kernel = self.kernel[...]
            y = jnp.matmul(x.astype(kernel.dtype), kernel)
        if self.bias is not None:
            y = y + self.bias[...].astype(y.dtype)
        return y


class Conv1D(nnx.Module):
    """GPT-2's "Conv1D": a linear layer whose canonical ``weight`` is already [in, out]."""

    def __init__(self, in_features: int, out_features: int, *, rngs: nnx.Rngs, initializer_range: float | None = None):
        self.in_features = _positive(in_features, "in_features", "Conv1D")
        self.out_features = _positive(out_features, "out_features", "Conv1D")
        self.weight = nnx.Param(normal_weight(rngs, (in_features, out_features), initializer_range))
        self.bias = nnx.Param(zeros_weight((out_features,)))

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        return {"weight": CanonicalTensor(self.weight), "bias": CanonicalTensor(self.bias)}

    def __call__(self, x: jax.Array) -> jax.Array:
        weight = self.weight[...]
        return jnp.matmul(x.astype(weight.dtype), weight) + self.bias[...].astype(weight.dtype)


class Embedding(nnx.Module):
    """A lookup table ``weight`` [num_embeddings, embedding_dim]; ``padding_idx``'s row starts at zero.

    (Unlike PyTorch, the padding row's gradient is not masked; it only starts at zero.)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *,
                 rngs: nnx.Rngs, initializer_range: float | None = None):
        self.num_embeddings = _positive(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = _positive(embedding_dim, "embedding_dim", "Embedding")
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ConfigError(f"Embedding: padding_idx={padding_idx} is outside [0, {num_embeddings})")
        self.padding_idx = padding_idx
        table = normal_weight(rngs, (num_embeddings, embedding_dim), initializer_range)
        if padding_idx is not None and not building_abstract():
            table = table.at[padding_idx].set(0.0)
        self.weight = nnx.Param(table)

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        return {"weight": CanonicalTensor(self.weight)}

    def __call__(self, ids: jax.Array) -> jax.Array:
        return jnp.take(self.weight[...], ids, axis=0)

    def attend(self, hidden: jax.Array) -> jax.Array:
        """``hidden @ weight.T``: logits over the vocabulary for a tied LM head."""
        weight = self.weight[...]
        # Contract the last axes directly: ``weight.T`` would materialise a transposed copy of the
        # whole table when called outside jit.
        return jax.lax.dot_general(hidden.astype(weight.dtype), weight, (((hidden.ndim - 1,), (1,)), ((), ())))


class LayerNorm(nnx.Module):
    """Layer normalisation over the last axis, computed in float32 (biased variance, like PyTorch)."""

    def __init__(self, hidden_size: int, eps: float = 1e-5, bias: bool = True, *, rngs: nnx.Rngs | None = None):
        self.hidden_size = _positive(hidden_size, "hidden_size", "LayerNorm")
        self.eps = float(eps)
        self.weight = nnx.Param(ones_weight((hidden_size,)))
        self.bias = nnx.data(nnx.Param(zeros_weight((hidden_size,))) if bias else None)

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        tensors = {"weight": CanonicalTensor(self.weight)}
        if self.bias is not None:
            tensors["bias"] = CanonicalTensor(self.bias)
        return tensors

    def __call__(self, x: jax.Array) -> jax.Array:
        x32 = x.astype(jnp.float32)
        mean = jnp.mean(x32, axis=-1, keepdims=True)
        var = jnp.mean(jnp.square(x32 - mean), axis=-1, keepdims=True)
        y = (x32 - mean) * jax.lax.rsqrt(var + self.eps) * self.weight[...].astype(jnp.float32)
        if self.bias is not None:
            y = y + self.bias[...].astype(jnp.float32)
        return y.astype(x.dtype)


class RMSNorm(nnx.Module):
    """Root-mean-square norm, Llama convention: normalise in float32, cast back, then scale."""

    def __init__(self, hidden_size: int, eps: float = 1e-6, *, rngs: nnx.Rngs | None = None):
        self.hidden_size = _positive(hidden_size, "hidden_size", "RMSNorm")
        self.eps = float(eps)
        self.weight = nnx.Param(ones_weight((hidden_size,)))

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        return {"weight": CanonicalTensor(self.weight)}

    def __call__(self, x: jax.Array) -> jax.Array:
        x32 = x.astype(jnp.float32)
        variance = jnp.mean(jnp.square(x32), axis=-1, keepdims=True)
        normed = (x32 * jax.lax.rsqrt(variance + self.eps)).astype(x.dtype)
        return self.weight[...] * normed


class Dropout(nnx.Dropout):
    """Dropout with probability ``p``.

    ``training=None`` follows the module mode (``model.train()`` / ``model.eval()``);
    ``training=True/False`` overrides it for one call. Masks draw from the layer's own rng stream,
    forked from ``rngs``; a model built for loading (``abstract_scope``) lets its dropout layers
    share the model's stream instead, since forking one per layer costs a compiled JAX call each.
    """

    def __init__(self, p: float = 0.0, *, rngs: nnx.Rngs | None = None):
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
            raise ConfigError(f"Dropout: p must be in [0, 1), got {p!r}")
        shared = isinstance(rngs, nnx.Rngs) and building_abstract()
        super().__init__(rate=float(p), rngs=None if shared else rngs)
        if shared:
            self.rngs = rngs[self.rng_collection]

    def __call__(self, inputs: jax.Array, *, training: bool | None = None, deterministic: bool | None = None,
                 rngs: nnx.Rngs | None = None) -> jax.Array:
        if training is not None:
            deterministic = not training
        return super().__call__(inputs, deterministic=deterministic, rngs=rngs)


class MLP(nnx.Module):
    """``down(act(up(x)))`` with configurable projection attribute names (BERT, GPT-2 name theirs)."""

    def __init__(self, hidden_size: int, intermediate_size: int, activation: str, bias: bool = True,
                 up_name: str = "up_proj", down_name: str = "down_proj", *, rngs: nnx.Rngs,
                 initializer_range: float | None = None):
        self.activation = activation
        self.activation_fn = get_activation(activation)
        self.up_name, self.down_name = up_name, down_name
        setattr(self, up_name, Linear(hidden_size, intermediate_size, bias, rngs=rngs,
                                      initializer_range=initializer_range))
        setattr(self, down_name, Linear(intermediate_size, hidden_size, bias, rngs=rngs,
                                        initializer_range=initializer_range))

    def __call__(self, x: jax.Array) -> jax.Array:
        up, down = getattr(self, self.up_name), getattr(self, self.down_name)
        return down(self.activation_fn(up(x)))


class GatedMLP(nnx.Module):
    """``down_proj(act(gate_proj(x)) * up_proj(x))`` (Llama's MLP)."""

    def __init__(self, hidden_size: int, intermediate_size: int, activation: str = "silu", bias: bool = False,
                 *, rngs: nnx.Rngs, initializer_range: float | None = None):
        self.activation = activation
        self.activation_fn = get_activation(activation)
        kwargs = {"rngs": rngs, "initializer_range": initializer_range}
        self.gate_proj = Linear(hidden_size, intermediate_size, bias, **kwargs)
        self.up_proj = Linear(hidden_size, intermediate_size, bias, **kwargs)
        self.down_proj = Linear(intermediate_size, hidden_size, bias, **kwargs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.down_proj(self.activation_fn(self.gate_proj(x)) * self.up_proj(x))
