"""plugformers: Transformers as a plugin ecosystem.

``import plugformers`` is light: it imports no framework and no plugin. Names resolve lazily:
core names from their modules, and any class an installed plugin registered
(``plugformers.BertModel``, ``plugformers.TFBertModel``, ``plugformers.BertTokenizerFast``)
through the registry, so ``from transformers import X`` ports to ``from plugformers import X``.
"""

from __future__ import annotations

from typing import Any

from .hookspecs import hookimpl

__version__ = "0.1.0"

# Core public names -> module that defines them.
_CORE_NAMES = {
    "PretrainedConfig": "configuration",
    "ModelOutput": "outputs",
    "AutoConfig": "auto",
    "AutoTokenizer": "auto",
    "get_registry": "registry",
    "PlugformersError": "errors",
    "ConfigError": "errors",
    "CheckpointError": "errors",
    "ModelReferenceError": "errors",
    "TokenizerError": "errors",
    "PluginError": "errors",
    "MissingDependencyError": "errors",
    "PipelineError": "errors",
    "GenerationError": "errors",
    "pipeline": "pipelines",
    "PreTrainedTokenizerBase": "tokenization",
    "PreTrainedTokenizer": "tokenization",
    "PreTrainedTokenizerFast": "tokenization",
    "BatchEncoding": "tokenization",
}


def _auto_names() -> list[str]:
    from .auto import AUTO_CLASSES

    return list(AUTO_CLASSES)


def __getattr__(name: str) -> Any:
    import importlib

    if name in _CORE_NAMES:
        module = importlib.import_module(f".{_CORE_NAMES[name]}", __name__)
        return getattr(module, name)
    if name.startswith("_"):
        raise AttributeError(f"module 'plugformers' has no attribute {name!r}")
    if "AutoModel" in name:
        from .auto import AUTO_CLASSES

        if name in AUTO_CLASSES:
            return AUTO_CLASSES[name]
    from .registry import get_registry

    registry = get_registry()
    try:
        value = registry.load_class(name)
    except AttributeError:
        raise AttributeError(
            f"module 'plugformers' has no attribute {name!r}: no installed plugin registers a class of that name "
            f"(installed architectures: {', '.join(sorted(registry.architectures)) or 'none'})"
        ) from None
    return value


def __dir__() -> list[str]:
    from .registry import get_registry

    return sorted({*globals(), *_CORE_NAMES, *_auto_names(), *get_registry().class_index()})


__all__ = ["__version__", "hookimpl", *_CORE_NAMES]
