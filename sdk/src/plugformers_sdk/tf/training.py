"""Training with ``model.fit``: the model's own loss, computed from ``labels`` in its inputs.

A head called with ``labels`` returns ``loss`` (as in Transformers), so Keras needs no loss
function: :class:`InternalLossTraining` (mixed into ``PreTrainedModel``) makes ``compute_loss``
return that loss (plus any Keras regularisation losses). Usage::

    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit({"input_ids": ids, "attention_mask": mask, "labels": labels}, epochs=3, batch_size=8)

Labels may also be given as Keras' ``y`` (``model.fit(inputs, labels)``); they are then passed to
the model as its ``labels`` input. If the model was compiled with a Keras ``loss``, that loss is
used on the ``logits`` against ``y`` instead, as in plain Keras.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .framework import keras

try:  # Keras' helper that splits (x, y, sample_weight) out of a batch.
    from keras.src.trainers.data_adapters.data_adapter_utils import unpack_x_y_sample_weight
except ImportError:  # pragma: no cover - older layouts of Keras 3
    unpack_x_y_sample_weight = keras.utils.unpack_x_y_sample_weight


class InternalLossTraining:
    """Mixin for ``keras.Model`` subclasses whose outputs carry ``loss`` when ``labels`` are given."""

    def _labels_into_inputs(self, data: Any) -> Any:
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if y is not None and getattr(self, "_compile_loss", None) is None and isinstance(x, Mapping) \
                and "labels" not in x:
            x, y = {**x, "labels": y}, None
        return (x, y, sample_weight)

    def train_step(self, data):
        return super().train_step(self._labels_into_inputs(data))

    def test_step(self, data):
        return super().test_step(self._labels_into_inputs(data))

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        outputs = self(x, training=False)
        if isinstance(outputs, Mapping):  # plain dict of tensors, which Keras can concatenate
            return {k: v for k, v in outputs.items() if hasattr(v, "shape")}
        return outputs

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if getattr(self, "_compile_loss", None) is not None:
            logits = y_pred["logits"] if isinstance(y_pred, Mapping) else y_pred
            return super().compute_loss(x=x, y=y, y_pred=logits, sample_weight=sample_weight, training=training)
        loss = y_pred.get("loss") if isinstance(y_pred, Mapping) else None
        if loss is None:
            raise ValueError(
                f"{type(self).__name__} returned no loss: put 'labels' in the inputs given to fit/evaluate "
                f"(or compile with a Keras loss)"
            )
        for extra in self.losses:  # regularisation losses added by layers, if any
            loss = loss + extra
        return loss
