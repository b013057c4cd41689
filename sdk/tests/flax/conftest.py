"""Fixtures of the Flax SDK tests: the tiny Llama helper module and torch (the reference)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("flax", reason="flax is not installed")


@pytest.fixture(scope="session")
def tiny():
    """The :mod:`tiny_llama` helper module (tiny Llama built from the SDK's Flax layers)."""
    name = "plugformers_sdk_flax_tests_tiny_llama"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("tiny_llama.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def torch():
    return pytest.importorskip("torch", reason="torch (the reference implementation) is not installed")
