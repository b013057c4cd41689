"""What plugins register: small frozen records of strings, imported only on first use."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import MissingDependencyError, PluginError
from .frameworks import modules_installed

_OBJECT_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
FRAMEWORK_NAMES = ("pt", "tf", "flax")
FRAMEWORK_PREFIX = {"pt": "", "tf": "TF", "flax": "Flax"}


def check_object_path(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _OBJECT_PATH.match(value):
        raise PluginError(f"{what} must be a 'module:Attribute' string, got {value!r}")
    return value


def object_name(path: str) -> str:
    """``"pkg.mod:Class"`` -> ``"Class"``."""
    return path.rsplit(":", 1)[1].rsplit(".", 1)[-1]


def load_object(path: str, *, distribution: str | None = None, extra: str | None = None) -> Any:
    """Import ``"module:Attribute"``. A missing dependency names what to pip install."""
    module_name, _, attr = path.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        missing = err.name or "a module"
        if distribution and not module_name.startswith(missing):
            target = f"{distribution}[{extra}]" if extra else distribution
            raise MissingDependencyError(
                f"{path} needs {missing!r}, which is not installed: pip install '{target}'"
            ) from err
        raise MissingDependencyError(
            f"cannot import {module_name!r} for {path}: pip install '{distribution or missing}'"
        ) from err
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise PluginError(f"{path}: module {module_name!r} has no attribute {attr!r}") from None
    return obj


@dataclass(frozen=True)
class ArchitectureRecord:
    model_type: str
    config: str
    models: dict[str, dict[str, str]]
    tokenizers: dict[str, str]
    gguf: str | None
    plugin: str
    distribution: str | None

    def class_path(self, framework: str, head: str) -> str | None:
        return self.models.get(framework, {}).get(head)


@dataclass(frozen=True)
class FrameworkRecord:
    name: str
    display_name: str
    modules: tuple[str, ...]
    extra: str
    plugin: str

    @property
    def available(self) -> bool:
        return modules_installed(*self.modules)


@dataclass(frozen=True)
class TaskRecord:
    name: str
    pipeline: str
    heads: tuple[str, ...]
    default_model: str | None
    aliases: tuple[str, ...]
    plugin: str


@dataclass(frozen=True)
class SourceRecord:
    name: str
    serves: tuple[str, ...]
    resolver: str
    plugin: str
    distribution: str | None


@dataclass(frozen=True)
class CommandRecord:
    name: str
    entry: str
    help: str
    plugin: str


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that was skipped or a hook of it that failed."""

    plugin: str
    distribution: str | None
    stage: str  # "dependencies", "import", "hook:<name>", "denied"
    message: str


@dataclass(frozen=True)
class Conflict:
    kind: str  # "model_type", "task", "command", "framework", "class"
    key: str
    winner: str
    losers: tuple[str, ...] = field(default=())


def _str_dict(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise PluginError(f"{what} must be a dict with string keys, got {value!r}")
    return {k: check_object_path(v, f"{what}[{k!r}]") for k, v in value.items()}


def make_architecture(plugin, distribution, model_type, *, config, models=None, tokenizers=None, gguf=None):
    if not isinstance(model_type, str) or not re.match(r"^[a-z0-9][a-z0-9_\-]*$", model_type):
        raise PluginError(f"model_type must be a lower-case identifier, got {model_type!r}")
    check_object_path(config, f"{model_type}: config")
    if models is None:
        models = {}
    if not isinstance(models, dict):
        raise PluginError(f"{model_type}: models must be a dict {{framework: {{head: 'module:Class'}}}}, got {models!r}")
    clean_models = {}
    for framework, heads in models.items():
        if not isinstance(framework, str):
            raise PluginError(f"{model_type}: models keys must be framework names, got {framework!r}")
        clean_models[framework] = _str_dict(heads, f"{model_type}: models[{framework!r}]")
    clean_tokenizers = _str_dict(tokenizers, f"{model_type}: tokenizers")
    unknown = set(clean_tokenizers) - {"slow", "fast"}
    if unknown:
        raise PluginError(f"{model_type}: tokenizers keys must be 'slow' and/or 'fast', got {sorted(unknown)}")
    if gguf is not None:
        check_object_path(gguf, f"{model_type}: gguf")
    return ArchitectureRecord(model_type, config, clean_models, clean_tokenizers, gguf, plugin, distribution)


def make_framework(plugin, distribution, name, *, display_name, modules, extra, tensor_types=()):
    if not isinstance(name, str) or not name:
        raise PluginError(f"framework name must be a non-empty string, got {name!r}")
    if isinstance(modules, str) or not all(isinstance(m, str) for m in modules):
        raise PluginError(f"framework {name}: modules must be a list of module names, got {modules!r}")
    return FrameworkRecord(name, str(display_name), tuple(modules), str(extra), plugin)


def make_task(plugin, distribution, name, *, pipeline, heads, default_model=None, aliases=()):
    if not isinstance(name, str) or not name:
        raise PluginError(f"task name must be a non-empty string, got {name!r}")
    check_object_path(pipeline, f"task {name}: pipeline")
    if isinstance(heads, str) or not heads or not all(isinstance(h, str) for h in heads):
        raise PluginError(f"task {name}: heads must be a non-empty list of head names, got {heads!r}")
    if default_model is not None and not isinstance(default_model, str):
        raise PluginError(f"task {name}: default_model must be a string, got {default_model!r}")
    return TaskRecord(name, pipeline, tuple(heads), default_model, tuple(aliases), plugin)


def make_source(plugin, distribution, name, *, serves, resolver):
    if isinstance(serves, str) or not all(isinstance(s, str) for s in serves):
        raise PluginError(f"checkpoint source {name}: serves must be a list of strings, got {serves!r}")
    check_object_path(resolver, f"checkpoint source {name}: resolver")
    return SourceRecord(str(name), tuple(serves), resolver, plugin, distribution)


def make_command(plugin, distribution, name, *, entry, help=""):
    if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9\-]*$", name):
        raise PluginError(f"command name must be a lower-case word, got {name!r}")
    check_object_path(entry, f"command {name}: entry")
    return CommandRecord(name, entry, str(help), plugin)
