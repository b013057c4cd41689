"""Ships the repository's copier template in the SDK's sdist and wheel.

``templates/model-plugin`` (beside ``sdk/`` in the repository) is the one copy kept in git. Building
the SDK copies it to ``plugformers_sdk/templates/model-plugin`` inside the sdist and the wheel, where
``plugformers_sdk.templates.location`` finds it when the SDK is not run from a checkout. Everything
else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
REPOSITORY_TEMPLATE = HERE.parent / "templates" / "model-plugin"  # building from the repository
PACKAGED = Path("plugformers_sdk") / "templates" / "model-plugin"
SDIST_TEMPLATE = HERE / "src" / PACKAGED  # building a wheel from the sdist
IGNORED = shutil.ignore_patterns("__pycache__", "*.py[co]")


def template_source() -> Path:
    for candidate in (REPOSITORY_TEMPLATE, SDIST_TEMPLATE):
        if (candidate / "copier.yml").is_file():
            return candidate
    raise FileNotFoundError(f"the model-plugin template is missing: neither {REPOSITORY_TEMPLATE} nor {SDIST_TEMPLATE}")


class BuildPyWithTemplate(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / PACKAGED
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(template_source(), target, ignore=IGNORED)


class SdistWithTemplate(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        target = Path(base_dir) / "src" / PACKAGED
        if not target.exists():
            shutil.copytree(template_source(), target, ignore=IGNORED)


setup(cmdclass={"build_py": BuildPyWithTemplate, "sdist": SdistWithTemplate})
