"""GGUF metadata -> a Transformers-style config dict, through the architecture's :class:`GGUFMap`."""

from __future__ import annotations

from typing import Any

from .file import GGUFFile
from .tensor_map import GGUFMap


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[leaf] = value


def gguf_config_dict(file: GGUFFile, gguf_map: GGUFMap) -> dict[str, Any]:
    """The ``config.json``-style dict of the model in ``file`` (``model_type`` included).

    Keys come from the map's ``config`` entries present in the file, then ``config_defaults``
    for those absent; ``tie_word_embeddings`` is true when the file has no separate output
    projection; ``vocab_size`` falls back to the tokenizer's token count.
    """
    architecture = file.architecture
    config: dict[str, Any] = {}
    for key, field in gguf_map.config.items():
        value = file.get(key.replace("{arch}", architecture))
        if value is not None:
            _set(config, field, value)
    for field, value in gguf_map.config_defaults.items():
        if field not in config:
            config[field] = value
    if gguf_map.tied_output is not None:
        config["tie_word_embeddings"] = gguf_map.tied_output not in file.tensors
    if "vocab_size" not in config and isinstance(file.get("tokenizer.ggml.tokens"), list):
        config["vocab_size"] = len(file.get("tokenizer.ggml.tokens"))
    scaling = config.get("rope_scaling")
    if isinstance(scaling, dict) and scaling.get("rope_type") in ("none", None):
        del config["rope_scaling"]  # llama.cpp writes "none" for no scaling
    config["model_type"] = gguf_map.model_type
    return config
