"""Where the ``model-plugin`` copier template is.

One rule: the repository's ``templates/model-plugin`` when the SDK runs from a source checkout
(an editable install: the package is ``<repository>/sdk/src/plugformers_sdk``), and
otherwise the copy that the SDK's build puts into the wheel at
``plugformers_sdk/templates/model-plugin`` (``sdk/setup.py``). The repository copy is the only one
kept in git.
"""

from __future__ import annotations

from pathlib import Path

from plugformers.errors import PluginError

TEMPLATE_NAME = "model-plugin"
_PACKAGE_DIR = Path(__file__).resolve().parent


def source_tree_template() -> Path:
    """``<repository>/templates/model-plugin`` for a source checkout (it may not exist)."""
    return _PACKAGE_DIR.parents[3] / "templates" / TEMPLATE_NAME


def packaged_template() -> Path:
    """The copy shipped inside the installed SDK (present in wheels, absent in a checkout)."""
    return _PACKAGE_DIR / TEMPLATE_NAME


def template_path() -> Path:
    """The template directory (the one holding ``copier.yml``)."""
    for candidate in (source_tree_template(), packaged_template()):
        if (candidate / "copier.yml").is_file():
            return candidate
    raise PluginError(f"the {TEMPLATE_NAME} template is not installed: neither {source_tree_template()} nor "
                      f"{packaged_template()} holds a copier.yml (reinstall plugformers-sdk)")
