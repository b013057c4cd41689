"""The three built-in frameworks, registered through ``register_frameworks`` like any backend."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def register_frameworks(register):
    register("pt", display_name="PyTorch", modules=["torch"], extra="torch")
    register("tf", display_name="TensorFlow", modules=["tensorflow", "keras"], extra="tf")
    register("flax", display_name="Flax", modules=["jax", "flax"], extra="flax")
