"""Render the ``model-plugin`` copier template into a new plugin directory.

``render_plugin("acme", "plugformers-acme", frameworks=("pt",), tokenizer="wordpiece")`` renders the
template's own small encoder (config, PyTorch/TensorFlow/Flax models, tokenizer, tests).
``render_plugin("acme", ..., like="bert")`` renders the template's packaging files and copies the
installed ``bert`` plugin's package and conformance test under the new names (:mod:`.renaming`).
Either way the result installs with pip and passes the SDK's conformance kit unedited.
Copier runs without unsafe features (no tasks, no extensions), so rendering executes nothing.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugformers.errors import MissingDependencyError, PluginError

from .location import template_path
from .renaming import Names, Renaming, drop_class_assignments

FRAMEWORKS = ("pt", "tf", "flax")
TOKENIZERS = ("wordpiece", "bpe", "sentencepiece", "none")
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_SKIPPED = ("__pycache__", ".pyc", ".pyo", ".egg-info")


def class_prefix_for(name: str) -> str:
    """``"acme_lm"`` -> ``"AcmeLm"`` (the template's default, computed the same way)."""
    return "".join(part.capitalize() for part in name.split("_"))


def names_for(name: str) -> Names:
    return Names(name, class_prefix_for(name), "plugformers-" + name.replace("_", "-"))


def sdk_requirement() -> str:
    """The specifier a new plugin pins the SDK with: this SDK's minor series (0.x) or major series."""
    from plugformers_sdk import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return f">={major}.{minor},<{major}.{minor + 1}" if major == 0 else f">={major}.{minor},<{major + 1}"


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise PluginError(f"NAME {name!r}: use lowercase letters, digits and single underscores, starting with a "
                          "letter (it becomes the model_type, plugformers-<name> and plugformers_<name>)")
    return name


def check_frameworks(frameworks: Sequence[str]) -> list[str]:
    unknown = [f for f in frameworks if f not in FRAMEWORKS]
    if unknown or not frameworks:
        raise PluginError(f"--frameworks {','.join(frameworks)!r}: choose one or more of {', '.join(FRAMEWORKS)}")
    return [f for f in FRAMEWORKS if f in frameworks]


def import_copier() -> Any:
    try:
        import copier
    except ImportError:
        raise MissingDependencyError("plugformers new-plugin needs copier: pip install 'plugformers-sdk[templates]'") \
            from None
    return copier


@dataclass(frozen=True)
class LikeSource:
    """An installed plugin to copy: its names, package directory, conformance test, frameworks."""

    names: Names
    package_dir: Path
    conformance_test: Path
    frameworks: list[str]


def like_source(model_type: str) -> LikeSource:
    """The installed plugin serving ``model_type``, which must be installed from its source tree
    (``<root>/src/<package>`` beside ``<root>/tests/test_conformance.py``), e.g. editable."""
    from plugformers.registry import get_registry

    record = get_registry().architecture(model_type)
    module, _, config_class = record.config.partition(":")
    if not config_class.endswith("Config") or len(config_class) == len("Config"):
        raise PluginError(f"--like {model_type}: its config class {record.config!r} is not named <Prefix>Config")
    package = module.split(".")[0]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PluginError(f"--like {model_type}: package {package!r} (from {record.config!r}) cannot be found")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    test = package_dir.parent.parent / "tests" / "test_conformance.py"
    if not test.is_file():
        raise PluginError(f"--like {model_type}: {test} does not exist; --like copies a plugin installed from its "
                          f"source tree (pip install -e path/to/{record.distribution or package})")
    names = Names(model_type, config_class.removesuffix("Config"), record.distribution or f"plugformers-{model_type}")
    if Names(model_type, names.class_prefix, names.distribution).package != package:
        raise PluginError(f"--like {model_type}: its package {package!r} is not named plugformers_{model_type}")
    return LikeSource(names, package_dir, test, [f for f in FRAMEWORKS if f in record.models])


def copy_renamed(source: LikeSource, new: Names, output: Path) -> list[Path]:
    """Copy the source package and conformance test into ``output`` under ``new``'s names."""
    renaming = Renaming(source.names, new)
    written = []
    package_target = output / "src" / new.package
    for path in sorted(source.package_dir.rglob("*")):
        if not path.is_file() or any(part.endswith(_SKIPPED) for part in path.parts):
            continue
        relative = path.relative_to(source.package_dir)
        target = package_target / renaming.text(relative.as_posix())
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.write_text(renaming.text(path.read_text(encoding="utf-8")), encoding="utf-8")
        except UnicodeDecodeError:  # a binary file (e.g. a shipped vocabulary model): copied as it is
            shutil.copyfile(path, target)
        written.append(target)
    test = drop_class_assignments(source.conformance_test.read_text(encoding="utf-8"), ("transformers_classes",),
                                  "no Transformers twin")
    target = output / "tests" / "test_conformance.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(renaming.text(test), encoding="utf-8")
    written.append(target)
    return written


def render_plugin(name: str, output: str | Path, *, frameworks: Sequence[str] = FRAMEWORKS,
                  tokenizer: str = "wordpiece", like: str | None = None, template: str | Path | None = None,
                  quiet: bool = True) -> Path:
    """Render a new plugin named ``name`` into ``output`` (created; must be empty if it exists).

    ``like``: copy that installed architecture instead of the template's own (``frameworks`` and
    ``tokenizer`` then come from it). ``template``: another copy of the template (a git checkout,
    for ``copier update``); default :func:`~plugformers_sdk.templates.location.template_path`.
    """
    check_name(name)
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise PluginError(f"--output {output} already exists and is not an empty directory")
    data: dict[str, Any] = {"name": name, "sdk_requirement": sdk_requirement()}
    source = None
    if like:
        source = like_source(like)
        if like == name:
            raise PluginError(f"NAME {name!r} is the name of the plugin given to --like")
        data.update(like=like, frameworks=source.frameworks)
    else:
        if tokenizer not in TOKENIZERS:
            raise PluginError(f"--tokenizer {tokenizer!r}: choose one of {', '.join(TOKENIZERS)}")
        data.update(frameworks=check_frameworks(frameworks), tokenizer=tokenizer)
    copier = import_copier()
    copier.run_copy(str(template or template_path()), str(output), data=data, defaults=True, unsafe=False,
                    quiet=quiet)
    if source is not None:
        copy_renamed(source, names_for(name), output)
    return output
