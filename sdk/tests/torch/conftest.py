"""Fixtures of the PyTorch SDK tests: the tiny-model helper module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="torch is not installed")


@pytest.fixture(scope="session")
def tiny():
    """The :mod:`tiny_models` helper module (a tiny Llama built from the SDK's torch layers)."""
    name = "plugformers_sdk_torch_tests_tiny_models"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("tiny_models.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
