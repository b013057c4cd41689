"""Cross-package test fixtures: the throwaway plugins under tests/plugins/, really pip-installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_PLUGINS = ROOT / "tests" / "plugins"


@pytest.fixture(scope="session")
def test_plugins_dir(tmp_path_factory) -> Path:
    """pip-install the toy plugin and its broken sibling into a target directory (no network)."""
    target = tmp_path_factory.mktemp("installed-test-plugins")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(TEST_PLUGINS / "toy"), str(TEST_PLUGINS / "broken")],
        check=True, capture_output=True, text=True,
    )
    return target


@pytest.fixture
def plugin_env(test_plugins_dir):
    """Environment for a subprocess that sees the installed test plugins."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(test_plugins_dir), env.get("PYTHONPATH")]))
    for var in ("PLUGFORMERS_PLUGINS", "PLUGFORMERS_DISABLE_PLUGINS", "PLUGFORMERS_STRICT"):
        env.pop(var, None)
    return env


@pytest.fixture
def run_cli():
    """Run the installed ``plugformers`` script: ``run_cli(args, env, check=False)``."""
    return _run_cli


def _run_cli(args, env, check=False):
    exe = Path(sys.executable).with_name("plugformers")
    result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"plugformers {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
