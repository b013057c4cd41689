"""Which classes a tester checks: an architecture from the registry, or one given explicitly.

A plugin's tester names its ``model_type`` and the kit looks it up in the registry (what
``pip install`` registered). A test architecture that is not installed (the SDK's own tiny one)
gives the same record explicitly: ``{"config": ..., "models": {framework: {head: ...}}}`` where
each class is a class object or a ``"module:Class"`` string, imported on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plugformers.errors import PluginError
from plugformers.records import load_object


@dataclass
class Architecture:
    """An architecture's config class and model classes per framework and head."""

    model_type: str
    config: str | type
    models: dict[str, dict[str, str | type]]
    distribution: str
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False)

    def _load(self, target: str | type, framework: str | None = None) -> Any:
        if not isinstance(target, str):
            return target
        if target not in self._loaded:
            extra = None if framework is None else {"pt": "torch"}.get(framework, framework)
            self._loaded[target] = load_object(target, distribution=self.distribution, extra=extra)
        return self._loaded[target]

    @property
    def config_class(self) -> type:
        return self._load(self.config)

    def heads(self, framework: str) -> list[str]:
        return list(self.models.get(framework, {}))

    def all_heads(self) -> list[str]:
        """Every head of every framework, in first-seen order (PyTorch's first)."""
        seen: dict[str, None] = {}
        for framework in ("pt", "tf", "flax", *self.models):
            for head in self.models.get(framework, {}):
                seen.setdefault(head)
        return list(seen)

    def has(self, framework: str, head: str) -> bool:
        return head in self.models.get(framework, {})

    def model_class(self, framework: str, head: str) -> type:
        try:
            target = self.models[framework][head]
        except KeyError:
            raise PluginError(f"{self.model_type}: no {framework} class registered for head {head!r}") from None
        return self._load(target, framework)


def explicit_architecture(model_type: str, record: Mapping[str, Any], distribution: str | None = None) -> Architecture:
    """An :class:`Architecture` from a tester's ``architecture = {"config": ..., "models": {...}}``."""
    if not isinstance(record, Mapping) or "config" not in record or "models" not in record:
        raise PluginError(f"{model_type}: a tester's architecture must be a dict with 'config' and 'models', "
                          f"got {record!r}")
    models = record["models"]
    if not isinstance(models, Mapping) or not all(isinstance(h, Mapping) for h in models.values()):
        raise PluginError(f"{model_type}: architecture['models'] must be {{framework: {{head: class}}}}")
    return Architecture(model_type, record["config"], {fw: dict(heads) for fw, heads in models.items()},
                        distribution or f"plugformers-{model_type}")


def registered_architecture(model_type: str) -> Architecture:
    """The installed plugin's record for ``model_type`` (``MissingDependencyError`` naming the
    package when no plugin provides it)."""
    from plugformers.registry import get_registry

    record = get_registry().architecture(model_type)
    return Architecture(model_type, record.config, {fw: dict(heads) for fw, heads in record.models.items()},
                        record.distribution or f"plugformers-{model_type}")
