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
