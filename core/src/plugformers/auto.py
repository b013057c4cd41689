"""Auto classes: pick the registered class for a checkpoint by ``model_type`` or ``architectures``.

``AutoModelForMaskedLM.from_pretrained(ref, framework="tf")`` reads the config, finds the
architecture plugin that registered its ``model_type`` and loads that plugin's TensorFlow
masked-LM class. ``TFAutoModelForMaskedLM`` and ``FlaxAutoModelForMaskedLM`` are the same
with the framework fixed. A missing plugin or framework is a ``MissingDependencyError`` that
names what to ``pip install``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .configuration import CONFIG_NAME, PretrainedConfig, read_config_dict
from .errors import ConfigError, MissingDependencyError
from .frameworks import normalise_framework
from .records import FRAMEWORK_PREFIX
from .registry import Registry, get_registry

# Auto class suffix -> head name used in architecture registrations.
HEADS: dict[str, str] = {
    "AutoModel": "base",
    "AutoModelForPreTraining": "pretraining",
    "AutoModelForCausalLM": "causal-lm",
    "AutoModelForMaskedLM": "masked-lm",
    "AutoModelForSeq2SeqLM": "seq2seq-lm",
    "AutoModelForSequenceClassification": "sequence-classification",
    "AutoModelForTokenClassification": "token-classification",
    "AutoModelForQuestionAnswering": "question-answering",
    "AutoModelForMultipleChoice": "multiple-choice",
    "AutoModelForNextSentencePrediction": "next-sentence-prediction",
}

TOKENIZER_CONFIG_NAME = "tokenizer_config.json"


class AutoConfig:
    """``AutoConfig.from_pretrained(ref)`` returns the registered config class for its ``model_type``."""

    def __init__(self) -> None:
        raise TypeError("AutoConfig is not instantiated: use AutoConfig.from_pretrained or AutoConfig.for_model")

    @staticmethod
    def config_class(model_type: str, registry: Registry | None = None) -> type[PretrainedConfig]:
        registry = registry or get_registry()
        record = registry.architecture(model_type)
        return registry.load(record.config, model_type)

    @classmethod
    def for_model(cls, model_type: str, **kwargs: Any) -> PretrainedConfig:
        return cls.config_class(model_type)(**kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "config", **overrides: Any) -> PretrainedConfig:
        model_type = data.get("model_type")
        if not isinstance(model_type, str) or not model_type:
            raise ConfigError(f"{source}: no 'model_type' key, so the architecture cannot be chosen")
        try:
            return cls.config_class(model_type).from_dict(data, **overrides)
        except ConfigError as err:
            raise ConfigError(f"{source}: {err}") from None

    @classmethod
    def from_pretrained(cls, reference: str | os.PathLike, **kwargs: Any) -> PretrainedConfig:
        from .hub import resolve_file, split_hub_kwargs

        hub_kwargs, overrides = split_hub_kwargs(kwargs)
        gguf_file = overrides.pop("gguf_file", None)
        if gguf_file is not None:  # the config comes from the GGUF metadata
            from .gguf import load_gguf_config, resolve_gguf_file

            return load_gguf_config(resolve_gguf_file(reference, gguf_file, **hub_kwargs), **overrides)
        path = resolve_file(reference, CONFIG_NAME, **hub_kwargs)
        return cls.from_dict(read_config_dict(path), source=str(path), **overrides)


def resolve_model_class(config: PretrainedConfig, head: str, framework: str, registry: Registry | None = None):
    """The class serving ``head`` for ``config`` in ``framework``: by model_type, then by architectures."""
    registry = registry or get_registry()
    framework = normalise_framework(framework)
    record = registry.architectures.get(config.model_type)
    if record is not None:
        path = record.class_path(framework, head)
        if path is not None:
            return registry.load(path, record.model_type, framework)
    # By config.architectures: a registered class whose framework spelling matches.
    index = registry.class_index()
    for name in config.architectures or []:
        candidate = FRAMEWORK_PREFIX[framework] + name
        if candidate in index:
            path, model_type = index[candidate]
            arch = registry.architectures[model_type]
            if head == "base" or arch.class_path(framework, head) == path:
                return registry.load(path, model_type, framework)
    if record is None:
        registry.architecture(config.model_type)  # raises, naming the plugin to install
    fw = registry.frameworks.get(framework)
    fw_name = fw.display_name if fw else framework
    heads_here = sorted(record.models.get(framework, {}))
    if not heads_here:
        raise MissingDependencyError(
            f"{record.distribution or record.plugin} has no {fw_name} implementation of {config.model_type!r}"
        )
    raise MissingDependencyError(
        f"{record.distribution or record.plugin} has no {fw_name} {head!r} head for {config.model_type!r} "
        f"(it has: {', '.join(heads_here)})"
    )


class _AutoModel:
    head: str = "base"
    framework: str | None = None

    def __init__(self) -> None:
        raise TypeError(f"{type(self).__name__} is not instantiated: use from_pretrained or from_config")

    @classmethod
    def _framework(cls, framework: str | None) -> str:
        if cls.framework is not None:
            if framework is not None and normalise_framework(framework) != cls.framework:
                raise ValueError(f"{cls.__name__} is for framework {cls.framework!r}, got framework={framework!r}")
            return cls.framework
        return normalise_framework(framework or "pt")

    @classmethod
    def model_class(cls, config: PretrainedConfig, framework: str | None = None):
        return resolve_model_class(config, cls.head, cls._framework(framework))

    @classmethod
    def from_config(cls, config: PretrainedConfig, *, framework: str | None = None, **kwargs: Any):
        return cls.model_class(config, framework).from_config(config, **kwargs)

    @classmethod
    def from_pretrained(cls, reference: str | os.PathLike, *, framework: str | None = None, config=None, **kwargs: Any):
        from .hub import split_hub_kwargs

        hub_kwargs, rest = split_hub_kwargs(kwargs)
        if config is None:
            gguf = {"gguf_file": rest["gguf_file"]} if rest.get("gguf_file") is not None else {}
            config = AutoConfig.from_pretrained(reference, **hub_kwargs, **gguf)
        model_cls = cls.model_class(config, framework)
        return model_cls.from_pretrained(reference, config=config, **hub_kwargs, **rest)


def _make_auto_classes() -> dict[str, type]:
    classes: dict[str, type] = {}
    for name, head in HEADS.items():
        for prefix, framework in (("", None), ("TF", "tf"), ("Flax", "flax")):
            full = prefix + name
            doc = f"Loads the {head!r} head of a registered architecture" + (
                f" in framework {framework!r}." if framework else " (framework= 'pt' by default, 'tf' or 'flax')."
            )
            classes[full] = type(full, (_AutoModel,), {"head": head, "framework": framework, "__doc__": doc})
    return classes


AUTO_CLASSES = _make_auto_classes()
globals().update(AUTO_CLASSES)


class AutoTokenizer:
    """``AutoTokenizer.from_pretrained(ref, use_fast=True)``: by ``tokenizer_class``, else ``model_type``."""

    def __init__(self) -> None:
        raise TypeError("AutoTokenizer is not instantiated: use AutoTokenizer.from_pretrained")

    @classmethod
    def tokenizer_class(cls, reference, *, use_fast: bool = True, config: PretrainedConfig | None = None, **hub_kwargs):
        from .hub import resolve_file

        registry = get_registry()
        index = registry.class_index()
        tok_config_path = resolve_file(reference, TOKENIZER_CONFIG_NAME, required=False, **hub_kwargs)
        class_name = None
        if tok_config_path is not None:
            try:
                tok_config = json.loads(tok_config_path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
                from .errors import TokenizerError

                raise TokenizerError(f"{tok_config_path}: not valid JSON ({err})") from None
            if isinstance(tok_config, dict) and isinstance(tok_config.get("tokenizer_class"), str):
                class_name = tok_config["tokenizer_class"]
        if class_name:
            base = class_name[:-4] if class_name.endswith("Fast") else class_name
            order = [base + "Fast", base] if use_fast else [base, base + "Fast"]
            for name in order:
                if name in index:
                    path, model_type = index[name]
                    return registry.load(path, model_type)
            if base in ("PreTrainedTokenizer", "PreTrainedTokenizerFast"):
                from .tokenization import PreTrainedTokenizerFast

                return PreTrainedTokenizerFast
        if config is None:
            try:
                config = AutoConfig.from_pretrained(reference, **hub_kwargs)
            except Exception:
                config = None
        if config is not None:
            record = registry.architecture(config.model_type)
            order = ["fast", "slow"] if use_fast else ["slow", "fast"]
            for kind in order:
                if kind in record.tokenizers:
                    return registry.load(record.tokenizers[kind], record.model_type)
            raise MissingDependencyError(f"{record.distribution or record.plugin} registers no tokenizer for {config.model_type!r}")
        if class_name:
            raise MissingDependencyError(f"no installed plugin provides the tokenizer class {class_name!r}")
        from .tokenization import PreTrainedTokenizerFast

        return PreTrainedTokenizerFast

    @classmethod
    def from_pretrained(cls, reference: str | os.PathLike, *, use_fast: bool = True, **kwargs: Any):
        from .hub import split_hub_kwargs

        hub_kwargs, rest = split_hub_kwargs(kwargs)
        gguf_file = rest.pop("gguf_file", None)
        if gguf_file is not None:
            return cls._from_gguf(reference, gguf_file, hub_kwargs, rest)
        tokenizer_cls = cls.tokenizer_class(reference, use_fast=use_fast, config=rest.pop("config", None), **hub_kwargs)
        return tokenizer_cls.from_pretrained(reference, **hub_kwargs, **rest)

    @staticmethod
    def _from_gguf(reference, gguf_file, hub_kwargs: dict[str, Any], rest: dict[str, Any]):
        """A fast tokenizer from GGUF metadata: the registered fast class of the file's
        architecture, or ``PreTrainedTokenizerFast`` when no plugin reads that architecture."""
        from .errors import CheckpointError
        from .gguf import GGUFFile, gguf_model_type, load_gguf_tokenizer, resolve_gguf_file

        rest.pop("config", None)
        file = GGUFFile.open(resolve_gguf_file(reference, gguf_file, **hub_kwargs))
        tokenizer_cls = None
        try:
            registry = get_registry()
            record = registry.architecture(gguf_model_type(file))
            if "fast" in record.tokenizers:
                tokenizer_cls = registry.load(record.tokenizers["fast"], record.model_type)
        except CheckpointError:
            pass  # no plugin reads this architecture: the generic fast tokenizer still works
        return load_gguf_tokenizer(file, tokenizer_cls, **rest)
