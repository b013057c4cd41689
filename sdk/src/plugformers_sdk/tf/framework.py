"""TensorFlow and Keras 3 for the tf SDK, imported once, quietly.

Every module of ``plugformers_sdk.tf`` takes ``tf`` and ``keras`` from here, so TensorFlow's
start-up log noise is silenced the same way everywhere (see
``plugformers.frameworks.tf_quiet``) and Keras is always imported after TensorFlow, which makes
it run on the TensorFlow backend unless the user chose another one.
"""

from __future__ import annotations

from plugformers.errors import MissingDependencyError
from plugformers.frameworks import modules_installed
from plugformers.frameworks.tf_quiet import import_tensorflow

if not modules_installed("tensorflow", "keras"):
    raise MissingDependencyError(
        "plugformers_sdk.tf needs tensorflow and keras: pip install 'plugformers-sdk[tf]'"
    )

tf = import_tensorflow()

import keras  # noqa: E402  (after TensorFlow, on purpose)

if keras.backend.backend() != "tensorflow":
    raise MissingDependencyError(
        f"plugformers_sdk.tf needs Keras on the TensorFlow backend, but KERAS_BACKEND is "
        f"{keras.backend.backend()!r}: set KERAS_BACKEND=tensorflow"
    )

__all__ = ["tf", "keras"]
