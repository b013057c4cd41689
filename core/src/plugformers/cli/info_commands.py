"""The built-in informational commands: ``list``, ``doctor`` and ``env``."""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import platform
import sys

from ..registry import get_registry
from ..support_table import render_markdown, render_text


def list_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="plugformers list", description="Show the installed architectures.")
    parser.add_argument("--markdown", action="store_true", help="print the Markdown table used in the docs")
    args = parser.parse_args(argv)
    registry = get_registry()
    print(render_markdown(registry) if args.markdown else render_text(registry), end="")
    return 0


def doctor_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="plugformers doctor", description="Report broken plugins, missing frameworks and conflicts."
    )
    parser.parse_args(argv)
    registry = get_registry()
    healthy = True
    print(f"plugins loaded: {', '.join(sorted(registry.plugins)) or 'none'}")
    for problem in registry.problems:
        if problem.stage == "denied":
            print(f"disabled: plugin {problem.plugin!r}: {problem.message}")
            continue
        healthy = False
        dist = f" ({problem.distribution})" if problem.distribution else ""
        print(f"BROKEN: plugin {problem.plugin!r}{dist} skipped at {problem.stage}: {problem.message}")
    for conflict in registry.conflicts:
        healthy = False
        print(
            f"CONFLICT: {conflict.kind} {conflict.key!r} claimed by {conflict.winner!r} and "
            f"{', '.join(repr(x) for x in conflict.losers)}; {conflict.winner!r} wins"
        )
    for name in sorted(registry.frameworks):
        record = registry.frameworks[name]
        if record.available:
            print(f"framework {record.display_name}: installed")
        else:
            users = [a.model_type for a in registry.architectures.values() if record.name in a.models]
            note = f" (needed by: {', '.join(sorted(users))})" if users else ""
            print(f"framework {record.display_name}: MISSING{note}: pip install 'plugformers[{record.extra}]'")
    print("healthy" if healthy else "problems found")
    return 0 if healthy else 1


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def env_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="plugformers env", description="Print versions, for bug reports.")
    parser.parse_args(argv)
    registry = get_registry()
    print(f"python: {sys.version.split()[0]} ({platform.platform()})")
    for name in ("plugformers", "plugformers-sdk", "torch", "tensorflow", "tensorflow-cpu", "keras", "jax", "jaxlib",
                 "flax", "tokenizers", "sentencepiece", "safetensors", "huggingface_hub", "pluggy", "numpy"):
        print(f"{name}: {_version(name)}")
    for name in sorted(registry.plugins):
        plugin = registry.plugins[name]
        if plugin.distribution and plugin.distribution != "plugformers":
            print(f"plugin {name}: {plugin.distribution} {_version(plugin.distribution)}")
    return 0
