"""A small, fast reader of installed distributions' entry points and requirements.

``importlib.metadata`` costs tens of milliseconds to import (it pulls in the email, zipfile
and csv machinery) — more than the whole registry budget. Plugin discovery only needs the
``entry_points.txt`` and the ``Requires-Dist`` lines of ``*.dist-info`` / ``*.egg-info``
directories on ``sys.path``, which this module reads directly, with the same precedence as
``importlib.metadata``: the first distribution of a name on ``sys.path`` wins.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

_SUFFIXES = (".dist-info", ".egg-info")


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Distribution:
    name: str  # normalised (PEP 503) name
    path: str  # the .dist-info / .egg-info directory

    def read_text(self, filename: str) -> str | None:
        try:
            with open(os.path.join(self.path, filename), encoding="utf-8") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError):
            return None

    def requires(self) -> list[str]:
        """``Requires-Dist`` values (dist-info METADATA or egg-info PKG-INFO/requires.txt)."""
        text = self.read_text("METADATA") or self.read_text("PKG-INFO") or ""
        found = []
        for line in text.splitlines():
            if not line.strip():
                break  # end of the headers
            if line.lower().startswith("requires-dist:"):
                found.append(line.split(":", 1)[1].strip())
        return found


def installed_distributions(paths: list[str] | None = None) -> dict[str, Distribution]:
    """Normalised name -> distribution, first on ``sys.path`` winning."""
    found: dict[str, Distribution] = {}
    for entry in sys.path if paths is None else paths:
        directory = entry or "."
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for item in names:
            if not item.endswith(_SUFFIXES):
                continue
            stem = item.rsplit(".", 1)[0]
            name = normalise_name(stem.split("-", 1)[0])
            if name not in found:
                found[name] = Distribution(name, os.path.join(directory, item))
    return found


def parse_entry_points(text: str, group: str) -> list[tuple[str, str]]:
    """``(name, value)`` pairs of one ``[group]`` section of an ``entry_points.txt``."""
    pairs = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == group and "=" in line:
            name, value = line.split("=", 1)
            pairs.append((name.strip(), value.strip()))
    return pairs


def entry_points(group: str, distributions: dict[str, Distribution] | None = None):
    """``(name, value, distribution)`` for every entry point of ``group``."""
    distributions = installed_distributions() if distributions is None else distributions
    found = []
    for dist in distributions.values():
        text = dist.read_text("entry_points.txt")
        if text and f"[{group}]" in text:
            for name, value in parse_entry_points(text, group):
                found.append((name, value, dist))
    return found
