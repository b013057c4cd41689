"""Finding plugins: entry points, allow/deny lists, declared dependencies, isolated imports.

Environment variables:

- ``PLUGFORMERS_PLUGINS``: comma-separated allow list of plugin (entry-point) or distribution
  names; when set, only these are loaded.
- ``PLUGFORMERS_DISABLE_PLUGINS``: comma-separated deny list.
- ``PLUGFORMERS_STRICT=1``: a plugin that fails to import, whose dependencies are missing or
  that raises inside a hook is fatal (``PluginError``) instead of skipped and reported.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from types import ModuleType

from .entry_points import Distribution, entry_points, installed_distributions, normalise_name  # noqa: F401

ENTRY_POINT_GROUP = "plugformers"


@dataclass(frozen=True)
class PluginCandidate:
    name: str
    module: str
    distribution: str | None


def env_list(variable: str) -> set[str] | None:
    raw = os.environ.get(variable)
    if raw is None or not raw.strip():
        return None
    return {normalise_name(part.strip()) for part in raw.split(",") if part.strip()}


def strict_mode() -> bool:
    return os.environ.get("PLUGFORMERS_STRICT", "").strip().lower() in ("1", "true", "yes", "on")


def discover_candidates(distributions: dict[str, Distribution] | None = None) -> list[PluginCandidate]:
    """Entry points of the ``plugformers`` group, sorted by name (deterministic order)."""
    found = [PluginCandidate(name, value, dist.name) for name, value, dist in entry_points(ENTRY_POINT_GROUP, distributions)]
    found.sort(key=lambda c: (c.name, c.distribution or ""))
    return found


def is_selected(candidate: PluginCandidate, allow: set[str] | None, deny: set[str] | None) -> bool:
    names = {normalise_name(candidate.name)}
    if candidate.distribution:
        names.add(normalise_name(candidate.distribution))
    if deny and names & deny:
        return False
    if allow is not None and not names & allow:
        return False
    return True


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def missing_requirements(distribution: str | None, installed: dict[str, Distribution]) -> list[str]:
    """Unconditional requirements of ``distribution`` that are not installed."""
    dist = installed.get(normalise_name(distribution)) if distribution else None
    if dist is None:
        return []
    missing = []
    for requirement in dist.requires():
        if ";" in requirement and "extra" in requirement.split(";", 1)[1]:
            continue  # optional extras are checked when a framework is used
        match = _REQUIREMENT_NAME.match(requirement)
        if match and normalise_name(match.group(1)) not in installed:
            missing.append(requirement.strip())
    return missing


def import_plugin_module(candidate: PluginCandidate) -> ModuleType:
    return importlib.import_module(candidate.module)
