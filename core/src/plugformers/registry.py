"""The registry: everything installed plugins registered, built once per process.

``get_registry()`` loads every selected plugin (see ``plugin_loading``) plus the built-ins,
calls each plugin's hooks one plugin at a time — so a plugin that raises is skipped and
reported while the others keep working — and indexes the records. Nothing here imports a
framework or a modeling file; records hold ``"module:Class"`` strings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .errors import MissingDependencyError, PluginError
from .plugin_loading import (
    PluginCandidate,
    discover_candidates,
    env_list,
    import_plugin_module,
    installed_distributions,
    is_selected,
    missing_requirements,
    strict_mode,
)
from .records import (
    FRAMEWORK_PREFIX,
    ArchitectureRecord,
    CommandRecord,
    Conflict,
    FrameworkRecord,
    PluginProblem,
    SourceRecord,
    TaskRecord,
    load_object,
    make_architecture,
    make_command,
    make_framework,
    make_source,
    make_task,
    object_name,
)

# Built-in plugins: registered through the same hooks as third-party ones.
BUILTIN_PLUGINS = (
    PluginCandidate("builtin-frameworks", "plugformers.builtin.frameworks", "plugformers"),
    PluginCandidate("builtin-commands", "plugformers.builtin.commands", "plugformers"),
    PluginCandidate("builtin-tasks", "plugformers.builtin.tasks", "plugformers"),
    PluginCandidate("builtin-sources", "plugformers.builtin.sources", "plugformers"),
)

_HOOKS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("register_frameworks", make_framework),
    ("register_architectures", make_architecture),
    ("register_tasks", make_task),
    ("register_checkpoint_sources", make_source),
    ("register_commands", make_command),
)


class Registry:
    """Indexed records of every loaded plugin, with the problems and conflicts met."""

    def __init__(self) -> None:
        self.plugins: dict[str, PluginCandidate] = {}
        self.architectures: dict[str, ArchitectureRecord] = {}
        self.frameworks: dict[str, FrameworkRecord] = {}
        self.tasks: dict[str, TaskRecord] = {}
        self.sources: list[SourceRecord] = []
        self.commands: dict[str, CommandRecord] = {}
        self.problems: list[PluginProblem] = []
        self.conflicts: list[Conflict] = []
        self._classes: dict[str, tuple[str, str]] | None = None

    # -- lookups ---------------------------------------------------------------------------
    def architecture(self, model_type: str) -> ArchitectureRecord:
        try:
            return self.architectures[model_type]
        except KeyError:
            raise MissingDependencyError(
                f"no installed plugin provides model_type {model_type!r}: "
                f"pip install 'plugformers-{model_type.replace('_', '-')}' "
                f"(installed architectures: {', '.join(sorted(self.architectures)) or 'none'})"
            ) from None

    def framework(self, name: str) -> FrameworkRecord:
        try:
            return self.frameworks[name]
        except KeyError:
            raise MissingDependencyError(
                f"framework {name!r} is not registered (known: {', '.join(sorted(self.frameworks))})"
            ) from None

    def task(self, name: str) -> TaskRecord:
        if name in self.tasks:
            return self.tasks[name]
        for record in self.tasks.values():
            if name in record.aliases:
                return record
        raise MissingDependencyError(
            f"no installed plugin provides the pipeline task {name!r} (known: {', '.join(sorted(self.tasks))})"
        )

    def class_index(self) -> dict[str, tuple[str, str]]:
        """Public class name -> (``"module:Class"``, model_type), for configs, tokenizers and models."""
        if self._classes is None:
            index: dict[str, tuple[str, str]] = {}
            for record in self.architectures.values():
                paths = [record.config, *record.tokenizers.values()]
                for heads in record.models.values():
                    paths.extend(heads.values())
                for path in paths:
                    index.setdefault(object_name(path), (path, record.model_type))
            self._classes = index
        return self._classes

    def load_class(self, name: str) -> Any:
        """Import a registered class by its public name (``"BertModel"``, ``"TFBertModel"``)."""
        try:
            path, model_type = self.class_index()[name]
        except KeyError:
            raise AttributeError(name) from None
        return self.load(path, model_type)

    def load(self, path: str, model_type: str | None = None, framework: str | None = None) -> Any:
        """Import a record's ``"module:Class"``; a missing dependency names the pip extra."""
        record = self.architectures.get(model_type) if model_type else None
        distribution = record.distribution if record else None
        extra = None
        if framework is None and record is not None:
            for fw, heads in record.models.items():
                if path in heads.values():
                    framework = fw
        if framework is not None:
            fw_record = self.frameworks.get(framework)
            extra = fw_record.extra if fw_record else framework
            if fw_record is not None and not fw_record.available:
                raise MissingDependencyError(
                    f"{object_name(path)} needs {fw_record.display_name}, which is not installed: "
                    f"pip install '{distribution or 'plugformers'}[{extra}]'"
                )
        return load_object(path, distribution=distribution, extra=extra)

    def resolve_source(self, reference: str) -> Path | None:
        """A local directory for ``reference`` from a registered checkpoint source, or None."""
        for record in self.sources:
            if reference not in record.serves:
                continue
            resolver = load_object(record.resolver, distribution=record.distribution)
            result = resolver(reference)
            if result is not None:
                return Path(result)
        return None

    # -- building --------------------------------------------------------------------------
    def _add(self, kind: str, record: Any) -> None:
        if kind == "register_architectures":
            self._claim("model_type", self.architectures, record.model_type, record)
        elif kind == "register_frameworks":
            self._claim("framework", self.frameworks, record.name, record)
        elif kind == "register_tasks":
            self._claim("task", self.tasks, record.name, record)
        elif kind == "register_commands":
            self._claim("command", self.commands, record.name, record)
        else:
            self.sources.append(record)

    def _claim(self, kind: str, table: dict[str, Any], key: str, record: Any) -> None:
        current = table.get(key)
        if current is None:
            table[key] = record
            return
        # Deterministic winner: for a model_type, the distribution named plugformers-<model_type>
        # (the architecture's own package); otherwise, and among the rest, the first plugin in
        # name order (plugins are loaded sorted by name).
        winner, loser = current, record
        if kind == "model_type" and _owns(record, key) and not _owns(current, key):
            winner, loser = record, current
            table[key] = record
        for i, conflict in enumerate(self.conflicts):
            if conflict.kind == kind and conflict.key == key:
                losers = tuple(p for p in (*conflict.losers, loser.plugin) if p != winner.plugin)
                self.conflicts[i] = Conflict(kind, key, winner.plugin, losers)
                return
        self.conflicts.append(Conflict(kind, key, winner.plugin, (loser.plugin,)))


def _owns(record: Any, model_type: str) -> bool:
    dist = (getattr(record, "distribution", None) or "").lower().replace("_", "-")
    return dist == "plugformers-" + model_type.replace("_", "-")


def build_registry(candidates: list[PluginCandidate] | None = None) -> Registry:
    """Load plugins and collect their records. ``candidates`` defaults to the entry points."""
    strict = strict_mode()
    registry = Registry()
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    installed = installed_distributions()
    if candidates is None:
        candidates = discover_candidates(installed)
    allow, deny = env_list("PLUGFORMERS_PLUGINS"), env_list("PLUGFORMERS_DISABLE_PLUGINS")

    def problem(candidate: PluginCandidate, stage: str, message: str, error: BaseException | None = None):
        registry.problems.append(PluginProblem(candidate.name, candidate.distribution, stage, message))
        if strict and stage != "denied":
            raise PluginError(f"plugin {candidate.name!r} ({stage}): {message}") from error

    loaded: list[tuple[PluginCandidate, Any]] = []
    for candidate in (*BUILTIN_PLUGINS, *candidates):
        builtin = candidate in BUILTIN_PLUGINS
        if not builtin and not is_selected(candidate, allow, deny):
            problem(candidate, "denied", "not loaded (PLUGFORMERS_PLUGINS / PLUGFORMERS_DISABLE_PLUGINS)")
            continue
        if candidate.name in registry.plugins:
            problem(candidate, "import", f"another plugin is already named {candidate.name!r}")
            continue
        if not builtin:
            missing = missing_requirements(candidate.distribution, installed)
            if missing:
                problem(candidate, "dependencies", f"missing dependencies: {', '.join(missing)}")
                continue
        try:
            module = import_plugin_module(candidate)
            manager.register(module, name=candidate.name)
        except Exception as err:  # a broken plugin must never break the others
            problem(candidate, "import", f"{type(err).__name__}: {err}", err)
            continue
        registry.plugins[candidate.name] = candidate
        loaded.append((candidate, module))

    for hook_name, make in _HOOKS:
        caller = getattr(manager.hook, hook_name)
        by_plugin = {impl.plugin: impl for impl in caller.get_hookimpls()}
        for candidate, module in loaded:
            impl = by_plugin.get(module)
            if impl is None:
                continue
            staged: list[Any] = []

            def register(*args: Any, _c=candidate, _m=make, _s=staged, **kwargs: Any) -> None:
                try:
                    _s.append(_m(_c.name, _c.distribution, *args, **kwargs))
                except TypeError as err:
                    raise PluginError(f"malformed registration: {err}") from None

            try:
                impl.function(register=register)
            except Exception as err:
                problem(candidate, f"hook:{hook_name}", f"{type(err).__name__}: {err}", err)
                continue  # none of this hook's records from this plugin are kept
            for record in staged:
                registry._add(hook_name, record)
    return registry


_lock = threading.Lock()
_registry: Registry | None = None


def get_registry(*, refresh: bool = False) -> Registry:
    """The process-wide registry, built on first use (``refresh=True`` rebuilds it)."""
    global _registry
    with _lock:
        if _registry is None or refresh:
            _registry = build_registry()
        return _registry


def framework_class_name(pt_class_name: str, framework: str) -> str:
    """``("BertModel", "tf")`` -> ``"TFBertModel"``."""
    return FRAMEWORK_PREFIX[framework] + pt_class_name
