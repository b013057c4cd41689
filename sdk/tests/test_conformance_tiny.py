"""The conformance kit on the SDK's tiny test architecture (``tiny_arch/``), in all three frameworks.

The tiny architecture is not installed, so the tester hands the kit its record explicitly
(``architecture = ARCHITECTURE``) instead of a registry lookup. It has no Transformers twin, so the
Transformers-parity and saved-reference tests skip, saying so; every other test must pass.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _load_tiny_arch():
    """Import ``tiny_arch/`` as a package under its declared name (sdk/tests is not on sys.path)."""
    directory = Path(__file__).with_name("tiny_arch")
    spec = importlib.util.spec_from_file_location("plugformers_sdk_tests_tiny_arch", directory / "__init__.py",
                                                  submodule_search_locations=[str(directory)])
    if spec.name not in sys.modules:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules[spec.name]


tiny_arch = _load_tiny_arch()

from plugformers_sdk.testing import ModelTester  # noqa: E402


class TestTinyConformance(ModelTester):
    model_type = "conformance-tiny"
    architecture = tiny_arch.ARCHITECTURE
    distribution = "plugformers-sdk"
    config_kwargs = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, intermediate_size=24, num_labels=3)
    head_config_kwargs = {"causal-lm": {"is_decoder": True}}


_NO_FRAMEWORKS = """
import sys, importlib.abc
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "tensorflow", "keras", "jax", "jaxlib", "flax"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Hide())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_the_kit_skips_loudly_when_no_framework_is_installed():
    """With torch, TensorFlow and JAX unimportable the plugin still loads, the config test runs, and
    every model test is a skip that names the missing framework and its pip extra."""
    import subprocess

    args = [sys.executable, "-c", _NO_FRAMEWORKS, __file__, "-q", "-rs", "-p", "no:cacheprovider",
            "-k", "TestTinyConformance and (config or base)"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout
    for name, extra in (("PyTorch", "torch"), ("TensorFlow", "tf"), ("Flax", "flax")):
        assert f"{name} not installed: pip install 'plugformers-sdk[{extra}]'" in result.stdout, result.stdout
    assert "failed" not in result.stdout and "error" not in result.stdout.lower(), result.stdout
