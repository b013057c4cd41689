"""``PretrainedConfig``: the Hugging Face ``config.json``, typed.

A subclass declares its fields as annotated class attributes with defaults::

    class BertConfig(PretrainedConfig):
        model_type = "bert"
        vocab_size: int = 30522
        hidden_size: int = 768
        hidden_act: str = "gelu"

Every declared field is checked against its annotation when set (``ConfigError`` names the key).
Keys of a ``config.json`` that no field declares are kept and written back unchanged, so a
Transformers config round-trips, but they are never used to choose code. ``attribute_map``
maps alias names to canonical field names (``{"n_embd": "hidden_size"}`` style: alias -> field).
"""

from __future__ import annotations

import copy
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConfigError

CONFIG_NAME = "config.json"

_MISSING = object()


def _type_ok(value: Any, annotation: Any) -> bool:
    if annotation is Any or annotation is object:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return False
        args = typing.get_args(annotation)
        if origin is list and args:
            return all(_type_ok(v, args[0]) for v in value)
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(_type_ok(v, a) for v, a in zip(value, args))
        if origin is tuple and args:
            return all(_type_ok(v, args[0]) for v in value)
        return True
    if origin is dict:
        return isinstance(value, dict)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def _describe(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


class PretrainedConfig:
    """Base configuration. Subclasses set ``model_type`` and declare typed fields."""

    model_type: ClassVar[str] = ""
    attribute_map: ClassVar[dict[str, str]] = {}
    # Fields that must be > 0 when set (checked in validate()).
    positive_fields: ClassVar[tuple[str, ...]] = ()
    # Absurd sizes are refused: no field named in positive_fields may exceed this.
    max_dimension: ClassVar[int] = 1 << 24

    # Fields every model shares (Transformers' PretrainedConfig keys).
    architectures: list[str] | None = None
    torch_dtype: str | None = None
    is_encoder_decoder: bool = False
    is_decoder: bool = False
    add_cross_attention: bool = False
    tie_word_embeddings: bool = True
    pad_token_id: int | None = None
    bos_token_id: int | list[int] | None = None
    eos_token_id: int | list[int] | None = None
    decoder_start_token_id: int | None = None
    sep_token_id: int | None = None
    problem_type: str | None = None
    id2label: dict | None = None
    label2id: dict | None = None
    output_hidden_states: bool = False
    output_attentions: bool = False
    return_dict: bool = True
    use_cache: bool = True
    initializer_range: float = 0.02

    _fields: ClassVar[dict[str, tuple[Any, Any]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fields: dict[str, tuple[Any, Any]] = {}
        for klass in reversed(cls.__mro__):
            hints = klass.__dict__.get("__annotations__", {})
            for name, ann in hints.items():
                if name.startswith("_") or name in ("model_type", "attribute_map", "positive_fields", "max_dimension"):
                    continue
                if isinstance(ann, str):
                    ann = typing.get_type_hints(klass, include_extras=False).get(name, Any)
                fields[name] = (ann, klass.__dict__.get(name, _MISSING))
        cls._fields = fields

    def __init__(self, **kwargs: Any):
        object.__setattr__(self, "_extra", {})
        num_labels = kwargs.pop("num_labels", None)
        for name, (_ann, default) in type(self)._fields.items():
            if default is not _MISSING:
                object.__setattr__(self, name, copy.deepcopy(default))
        for key, value in kwargs.items():
            setattr(self, key, value)
        if self.id2label is None:
            self.num_labels = num_labels if num_labels is not None else 2
        elif num_labels is not None and num_labels != len(self.id2label):
            raise ConfigError(
                f"num_labels={num_labels} disagrees with id2label, which has {len(self.id2label)} labels"
            )
        self.validate()

    # -- attribute access -------------------------------------------------------------------
    def __setattr__(self, key: str, value: Any) -> None:
        key = type(self).attribute_map.get(key, key)
        if key == "num_labels":
            self._set_num_labels(value)
            return
        if key in ("id2label", "label2id") and value is not None:
            value = self._normalise_labels(key, value)
        fields = type(self)._fields
        if key in fields:
            ann = fields[key][0]
            if not _type_ok(value, ann):
                raise ConfigError(
                    f"{type(self).__name__}.{key} must be {_describe(ann)}, got {type(value).__name__} {value!r}"
                )
            if isinstance(value, tuple) and typing.get_origin(ann) is list:
                value = list(value)
            object.__setattr__(self, key, value)
            if key == "id2label" and value is not None and "label2id" in fields:
                object.__setattr__(self, "label2id", {v: k for k, v in value.items()})
        elif key.startswith("_"):
            object.__setattr__(self, key, value)
        else:
            self._extra[key] = value

    def __getattr__(self, key: str) -> Any:
        # Only called when normal lookup fails: aliases and kept unknown keys.
        if key.startswith("__"):
            raise AttributeError(key)
        alias = type(self).attribute_map.get(key)
        if alias is not None:
            return getattr(self, alias)
        extra = self.__dict__.get("_extra", {})
        if key in extra:
            return extra[key]
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}")

    @staticmethod
    def _normalise_labels(key: str, value: Any) -> dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a dict, got {type(value).__name__}")
        if key == "id2label":
            out = {}
            for k, v in value.items():
                try:
                    out[int(k)] = str(v)
                except (TypeError, ValueError):
                    raise ConfigError(f"id2label keys must be integers, got {k!r}") from None
            return out
        out = {}
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, (int, str)):
                raise ConfigError(f"label2id values must be integers, got {v!r} for {k!r}")
            try:
                out[str(k)] = int(v)
            except ValueError:
                raise ConfigError(f"label2id values must be integers, got {v!r} for {k!r}") from None
        return out

    @property
    def num_labels(self) -> int:
        return len(self.id2label) if self.id2label is not None else 0

    def _set_num_labels(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{type(self).__name__}.num_labels must be a positive int, got {value!r}")
        if self.id2label is None or len(self.id2label) != value:
            self.id2label = {i: f"LABEL_{i}" for i in range(value)}

    @property
    def use_return_dict(self) -> bool:
        return self.return_dict

    def validate(self) -> None:
        """Check values beyond types. Subclasses extend it and call ``super().validate()``."""
        for name in type(self).positive_fields:
            value = getattr(self, name, None)
            if value is None:
                continue
            if value <= 0:
                raise ConfigError(f"{type(self).__name__}.{name} must be > 0, got {value!r}")
            if isinstance(value, int) and value > type(self).max_dimension:
                raise ConfigError(
                    f"{type(self).__name__}.{name}={value} is absurdly large (limit {type(self).max_dimension})"
                )
        if self.problem_type not in (None, "regression", "single_label_classification", "multi_label_classification"):
            raise ConfigError(
                f"{type(self).__name__}.problem_type must be 'regression', 'single_label_classification' or "
                f"'multi_label_classification', got {self.problem_type!r}"
            )

    # -- serialisation ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in type(self)._fields:
            value = getattr(self, name)
            if name == "id2label" and value is not None:
                value = {str(k): v for k, v in value.items()}
            out[name] = copy.deepcopy(value)
        out.update(copy.deepcopy(self._extra))
        out["model_type"] = type(self).model_type
        return out

    def to_diff_dict(self) -> dict[str, Any]:
        """Only the values that differ from the class defaults (plus model_type)."""
        defaults = type(self)().to_dict()
        full = self.to_dict()
        return {k: v for k, v in full.items() if k == "model_type" or k not in defaults or defaults[k] != v}

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], **overrides: Any) -> PretrainedConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"a config must be a JSON object, got {type(data).__name__}")
        data = dict(data)
        declared = data.pop("model_type", None)
        if cls.model_type and declared is not None and declared != cls.model_type:
            raise ConfigError(f"model_type is {declared!r} but {cls.__name__} expects {cls.model_type!r}")
        data.update(overrides)
        return cls(**data)

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> PretrainedConfig:
        return cls.from_dict(read_config_dict(path))

    def save_pretrained(self, directory: str | os.PathLike) -> Path:
        from .checkpoint.atomic import atomic_write_text

        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise ConfigError(f"save_pretrained: {directory} exists and is not a directory")
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / CONFIG_NAME
        atomic_write_text(target, self.to_json_string())
        return target

    @classmethod
    def from_pretrained(cls, reference: str | os.PathLike, **kwargs: Any) -> PretrainedConfig:
        from .hub import resolve_file, split_hub_kwargs

        hub_kwargs, overrides = split_hub_kwargs(kwargs)
        path = resolve_file(reference, CONFIG_NAME, **hub_kwargs)
        try:
            return cls.from_dict(read_config_dict(path), **overrides)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()  # type: ignore[union-attr]

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"

    def copy(self) -> PretrainedConfig:
        return type(self).from_dict(self.to_dict())


def read_config_dict(path: str | os.PathLike) -> dict[str, Any]:
    """Read a ``config.json``; a missing or malformed file is a ``ConfigError`` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read ({err})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a JSON object, got {type(data).__name__}")
    return data
