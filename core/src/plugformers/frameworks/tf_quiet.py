"""Import TensorFlow without its start-up log noise, unless the user asked for it."""

from __future__ import annotations

import os
import sys


def import_tensorflow():
    """Import and return ``tensorflow``, with C++ INFO/WARNING logs silenced if the user set nothing.

    The environment variable is only set for the import when the user has not set it, and is
    restored afterwards, so importing plugformers never changes the user's environment.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    user_set = "TF_CPP_MIN_LOG_LEVEL" in os.environ
    if not user_set:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    try:
        import tensorflow as tf
    finally:
        if not user_set:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return tf
