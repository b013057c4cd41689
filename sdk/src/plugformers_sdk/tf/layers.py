"""The layers architectures share, as Keras 3 layers that declare their canonical tensors.

Constructor signatures are those of ``plugformers_sdk.torch.layers`` and ``.flax.layers``.
Variables are created in ``__init__`` (shapes are known from the constructor), so a model holding
these layers can load a checkpoint without a dummy forward pass. Python attribute names follow
the stored layout (``kernel`` for a Linear, whose canonical ``weight`` is ``kernel.T``; ``weight``
where stored and canonical layouts agree).
"""

from __future__ import annotations

from typing import Any

from plugformers.errors import ConfigError

from .activations import get_activation
from .canonical import CanonicalLayer, CanonicalTensor
from .framework import keras, tf
from .initialization import (
    current_build_state,
    dropout_seed_generator,
    normal_initializer,
    ones_initializer,
    zeros_initializer,
)


def _dense(x, kernel):
    """``x @ kernel`` for ``x`` of any rank >= 2."""
    if len(x.shape) == 2:
        return tf.matmul(x, kernel)
    return tf.einsum("...i,io->...o", x, kernel)


class Linear(CanonicalLayer):
    """``y = x W^T + b``. Stores ``kernel = W^T`` ``[in, out]``; canonical ``weight`` ``[out, in]``, ``bias`` ``[out]``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.kernel = self.add_weight(shape=(self.in_features, self.out_features), initializer=normal_initializer(),
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.out_features,), initializer=zeros_initializer(), name="bias") \
            if bias else None
        self.built = True

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        tensors = {"weight": CanonicalTensor(self.kernel, transpose=True)}
        if self.bias is not None:
            tensors["bias"] = CanonicalTensor(self.bias, init="zeros")
        return tensors

    def call(self, x):
        y = _dense(x, self.kernel)
        return y + self.bias if self.bias is not None else y


class Conv1D(CanonicalLayer):
    """GPT-2's "Conv1D": a linear layer whose canonical ``weight`` is already ``[in, out]``."""

    def __init__(self, in_features: int, out_features: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = self.add_weight(shape=(self.in_features, self.out_features), initializer=normal_initializer(),
                                      name="weight")
        self.bias = self.add_weight(shape=(self.out_features,), initializer=zeros_initializer(), name="bias")
        self.built = True

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        return {"weight": CanonicalTensor(self.weight), "bias": CanonicalTensor(self.bias, init="zeros")}

    def call(self, x):
        return _dense(x, self.weight) + self.bias


class Embedding(CanonicalLayer):
    """A lookup table, canonical ``weight`` ``[num_embeddings, embedding_dim]``.

    ``padding_idx``'s row starts at zero (as in PyTorch); :meth:`attend` is the tied LM head.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = padding_idx
        initializer = normal_initializer()
        state = current_build_state()
        if padding_idx is not None and not (state is not None and state.loading):
            initializer = _zero_row(initializer, padding_idx)
        self.weight = self.add_weight(shape=(self.num_embeddings, self.embedding_dim), initializer=initializer,
                                      name="weight")
        self.built = True

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        return {"weight": CanonicalTensor(self.weight)}

    def call(self, input_ids):
        return tf.gather(self.weight, input_ids)

    def attend(self, hidden):
        """``hidden @ weight.T``: logits over the vocabulary from the same table (tied LM head)."""
        hidden = tf.convert_to_tensor(hidden)
        weight = tf.cast(self.weight, hidden.dtype)
        if len(hidden.shape) == 2:
            return tf.matmul(hidden, weight, transpose_b=True)
        return tf.einsum("...d,vd->...v", hidden, weight)


def _zero_row(initializer: Any, row: int):
    def init(shape, dtype=None):
        values = initializer(shape, dtype=dtype)
        mask = tf.one_hot(row, shape[0], on_value=0.0, off_value=1.0, dtype=values.dtype)
        return values * mask[:, None]

    return init


class LayerNorm(CanonicalLayer):
    """Layer normalisation over the last axis; ``weight`` and (optional) ``bias``. Computes in float32."""

    def __init__(self, hidden_size: int, eps: float = 1e-5, bias: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.hidden_size = int(hidden_size)
        self.eps = float(eps)
        self.weight = self.add_weight(shape=(self.hidden_size,), initializer=ones_initializer(), name="weight")
        self.bias = self.add_weight(shape=(self.hidden_size,), initializer=zeros_initializer(), name="bias") \
            if bias else None
        self.built = True

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        tensors = {"weight": CanonicalTensor(self.weight, init="ones")}
        if self.bias is not None:
            tensors["bias"] = CanonicalTensor(self.bias, init="zeros")
        return tensors

    def call(self, x):
        x32 = tf.cast(x, tf.float32)
        mean = tf.reduce_mean(x32, axis=-1, keepdims=True)
        centred = x32 - mean
        variance = tf.reduce_mean(tf.square(centred), axis=-1, keepdims=True)
        y = centred * tf.math.rsqrt(variance + self.eps) * tf.cast(self.weight, tf.float32)
        if self.bias is not None:
            y = y + tf.cast(self.bias, tf.float32)
        return tf.cast(y, x.dtype)


class RMSNorm(CanonicalLayer):
    """Root-mean-square norm (Llama): normalise in float32, cast back to the input dtype, times ``weight``."""

    def __init__(self, hidden_size: int, eps: float = 1e-6, **kwargs: Any):
        super().__init__(**kwargs)
        self.hidden_size = int(hidden_size)
        self.eps = float(eps)
        self.weight = self.add_weight(shape=(self.hidden_size,), initializer=ones_initializer(), name="weight")
        self.built = True

    def canonical_tensors(self) -> dict[str, CanonicalTensor]:
        return {"weight": CanonicalTensor(self.weight, init="ones")}

    def call(self, x):
        x32 = tf.cast(x, tf.float32)
        variance = tf.reduce_mean(tf.square(x32), axis=-1, keepdims=True)
        normed = tf.cast(x32 * tf.math.rsqrt(variance + self.eps), x.dtype)
        return tf.cast(self.weight, x.dtype) * normed


class Dropout:
    """Dropout with probability ``p``: active when called with ``training=True``, or with ``training``
    left out inside the call of a Keras layer that is training (as a Keras sub-layer would be).

    Not a Keras layer: it holds no variables of its own (masks come from
    :func:`.initialization.dropout_seed_generator`, one generator per model), and constructing a
    Keras layer costs ~0.5 ms, which for GPT-2 small's 25 dropouts was a tenth of loading it.
    """

    def __init__(self, p: float):
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
            raise ConfigError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p = self.rate = float(p)
        self.seed_generator = dropout_seed_generator() if self.p > 0.0 else None

    def __call__(self, inputs, training: bool | None = None):
        if training is None:
            training = _keras_call_is_training()
        if training and self.seed_generator is not None:
            return keras.random.dropout(inputs, self.p, seed=self.seed_generator)
        return inputs

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


def _keras_call_is_training() -> bool:
    """The ``training`` of the Keras layer call in progress (Keras' call context, an internal)."""
    from keras.src.backend.common import global_state

    context = global_state.get_global_attribute("current_call_ctx")
    return bool(context is not None and context.get_value("training"))


class MLP(CanonicalLayer):
    """``down(act(up(x)))``; the two Linear attributes are named ``up_name`` and ``down_name``."""

    def __init__(self, hidden_size: int, intermediate_size: int, activation: str, bias: bool = True,
                 up_name: str = "up_proj", down_name: str = "down_proj", **kwargs: Any):
        super().__init__(**kwargs)
        self.up_name, self.down_name = up_name, down_name
        setattr(self, up_name, Linear(hidden_size, intermediate_size, bias=bias))
        self.act = get_activation(activation)
        setattr(self, down_name, Linear(intermediate_size, hidden_size, bias=bias))
        self.built = True

    def call(self, x):
        return getattr(self, self.down_name)(self.act(getattr(self, self.up_name)(x)))


class GatedMLP(CanonicalLayer):
    """``down_proj(act(gate_proj(x)) * up_proj(x))`` (Llama's SwiGLU when ``activation="silu"``)."""

    def __init__(self, hidden_size: int, intermediate_size: int, activation: str = "silu", bias: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.gate_proj = Linear(hidden_size, intermediate_size, bias=bias)
        self.up_proj = Linear(hidden_size, intermediate_size, bias=bias)
        self.down_proj = Linear(intermediate_size, hidden_size, bias=bias)
        self.act = get_activation(activation)
        self.built = True

    def call(self, x):
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))
