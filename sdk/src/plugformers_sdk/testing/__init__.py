"""plugformers_sdk.testing: the conformance kit every architecture plugin runs (a pytest plugin).

A plugin's test module declares a :class:`ModelTester` subclass (a tiny config and its inputs) and
inherits the common tests: config round trip, save/load round trip, canonical names, cross-framework
equivalence of every head, padding and batching invariance, parity with Transformers (in-process
for PyTorch, saved references for TensorFlow and Flax), and for causal LMs cache vs no-cache
decoding and generation. See docs/sdk-reference.md, "Conformance kit".

Importing this package imports no framework; ``ModelTester`` is loaded on first access, so the
pytest plugin (:mod:`.pytest_plugin`) stays free to load in every pytest run.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ModelTester", "Case", "assert_outputs_close", "TEST_NAMES"]


def __getattr__(name: str) -> Any:
    if name == "ModelTester":
        from .tester import ModelTester

        return ModelTester
    if name == "Case":
        from .cases import Case

        return Case
    if name == "assert_outputs_close":
        from .comparison import assert_outputs_close

        return assert_outputs_close
    if name == "TEST_NAMES":
        from .common_tests import TEST_NAMES

        return TEST_NAMES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
