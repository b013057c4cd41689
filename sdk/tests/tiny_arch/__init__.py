"""A tiny test architecture for the conformance kit (not a plugin, never pip-installed).

A 2-layer pre-norm encoder built only from SDK layers, in PyTorch, TensorFlow and Flax, with a
base model and four heads (sequence, token and multiple-choice classification, and a causal LM
whose output projection is tied to the word embeddings). ``ARCHITECTURE`` is the record the kit
takes instead of a registry lookup: the config class and ``{framework: {head: "module:Class"}}``.
The modules are imported by name only when a test needs that framework, so the package must be
importable as ``PACKAGE`` (``sdk/tests/test_conformance_tiny.py`` loads it under that name).
"""

from __future__ import annotations

PACKAGE = "plugformers_sdk_tests_tiny_arch"

HEADS = {
    "base": "TinyModel",
    "sequence-classification": "TinyForSequenceClassification",
    "token-classification": "TinyForTokenClassification",
    "multiple-choice": "TinyForMultipleChoice",
    "causal-lm": "TinyForCausalLM",
}

_MODULES = {"pt": ("modeling_torch", ""), "tf": ("modeling_tf", "TF"), "flax": ("modeling_flax", "Flax")}

ARCHITECTURE = {
    "config": f"{PACKAGE}.configuration:TinyConfig",
    "models": {
        framework: {head: f"{PACKAGE}.{module}:{prefix}{name}" for head, name in HEADS.items()}
        for framework, (module, prefix) in _MODULES.items()
    },
}
