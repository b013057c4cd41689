"""``model.export(path)``: a TensorFlow SavedModel with a ``serve`` signature over named inputs.

The signature takes a dict of int32 tensors (by default ``input_ids`` and ``attention_mask``, both
``[batch, sequence]`` of any size; a model class changes them by overriding
``serving_input_signature``) and returns the model's output tensors by name (``logits``,
``last_hidden_state``, ...). The SavedModel loads with ``tf.saved_model.load`` and needs
neither plugformers nor Keras to run.
"""

from __future__ import annotations

import os
from typing import Any

from .framework import keras, tf


def default_serving_signature(input_names: tuple[str, ...] = ("input_ids", "attention_mask")) -> dict[str, Any]:
    return {name: tf.TensorSpec([None, None], tf.int32, name=name) for name in input_names}


def export_saved_model(model: Any, filepath: str | os.PathLike, input_signature: dict[str, Any] | None = None,
                       *, verbose: bool = False) -> None:
    """Write ``model`` as a SavedModel at ``filepath`` with one ``serve`` endpoint."""
    signature = dict(input_signature or model.serving_input_signature())

    def serve(inputs):
        outputs = model(**inputs, training=False)
        return {key: value for key, value in outputs.items() if tf.is_tensor(value)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serve", fn=serve, input_signature=[signature])
    archive.write_out(os.fspath(filepath), verbose=verbose)
