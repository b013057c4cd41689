"""Helpers of tests/test_templates.py: render plugins with the real ``plugformers new-plugin``
command, pip-install them into a target directory, and run their generated tests in a subprocess
pytest whose JUnit report says which case passed, skipped or failed."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "model-plugin"
BIN = Path(sys.executable).parent


def run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``command``; fail the test with its output when it exits non-zero."""
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} exited {result.returncode}:\n"
                             f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
    return result


def new_plugin(name: str, output: Path, *options: str, env: dict[str, str] | None = None) -> Path:
    """``plugformers new-plugin NAME --output OUTPUT OPTIONS...`` (the installed command)."""
    run([str(BIN / "plugformers"), "new-plugin", name, "--output", str(output), *options], env=env)
    return output


def pip_install(target: Path, *plugins: Path) -> None:
    """What tests/conftest.py does for the toy plugins: a --target install, no dependencies, no network."""
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), *map(str, plugins)])


def environment(target: Path) -> dict[str, str]:
    """The environment of a subprocess that sees the plugins installed into ``target``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    for var in ("PLUGFORMERS_PLUGINS", "PLUGFORMERS_DISABLE_PLUGINS", "PLUGFORMERS_STRICT"):
        env.pop(var, None)
    return env


def run_plugin_tests(plugin: Path, env: dict[str, str], report: Path, *pytest_args: str) -> dict[str, str]:
    """Run ``plugin/tests`` with pytest (rootdir: the plugin) and return test id -> outcome
    (``passed``, ``skipped: <reason>``, ``failed``), from the JUnit XML report."""
    result = subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "-rs",
                             f"--junitxml={report}", *pytest_args],
                            env=env, cwd=plugin, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise AssertionError(f"pytest {plugin.name}/tests exited {result.returncode}:\n{result.stdout[-8000:]}\n"
                             f"{result.stderr[-4000:]}")
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        skipped = case.find("skipped")
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[test_id] = "failed" if failed else (f"skipped: {skipped.get('message')}" if skipped is not None
                                                     else "passed")
    return outcomes


def passed(outcomes: dict[str, str], *fragments: str) -> list[str]:
    """The passed test ids containing every fragment."""
    return [t for t, o in outcomes.items() if o == "passed" and all(f in t for f in fragments)]
