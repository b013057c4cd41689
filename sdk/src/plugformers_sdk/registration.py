"""Helpers for a plugin's ``plugin.py`` (registration only: imports no framework).

Plugins lay out their modeling files by framework (``modeling_torch.py``, ``modeling_tf.py``,
``modeling_flax.py``) and name classes with Transformers' prefixes (``BertModel``,
``TFBertModel``, ``FlaxBertModel``), so the ``models=`` record of ``register_architectures``
follows from the package and the heads::

    register("bert", config="plugformers_bert.configuration:BertConfig",
             models=model_paths("plugformers_bert", {"base": "BertModel", "masked-lm": "BertForMaskedLM"}))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# framework -> (modeling module, class-name prefix)
FRAMEWORK_MODULES: dict[str, tuple[str, str]] = {
    "pt": ("modeling_torch", ""),
    "tf": ("modeling_tf", "TF"),
    "flax": ("modeling_flax", "Flax"),
}


def model_paths(package: str, heads: Mapping[str, str],
                frameworks: Iterable[str] = ("pt", "tf", "flax")) -> dict[str, dict[str, str]]:
    """``{framework: {head: "package.modeling_<fw>:<Prefix><Class>"}}`` for the given heads
    (head name -> PyTorch class name)."""
    out = {}
    for framework in frameworks:
        module, prefix = FRAMEWORK_MODULES[framework]
        out[framework] = {head: f"{package}.{module}:{prefix}{name}" for head, name in heads.items()}
    return out
