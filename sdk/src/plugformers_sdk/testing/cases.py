"""Which cases each common test runs on: heads x frameworks, framework pairs, causal-LM heads.

The pytest plugin calls :func:`cases` for every test of a tester class. A case that cannot run
is still generated, carrying a skip mark whose reason says why (opt-out with its reason, framework
not installed or deselected, no class for the head), so nothing disappears silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from .frameworks import FRAMEWORKS

PAIRS = (("pt", "tf"), ("pt", "flax"), ("tf", "flax"))


@dataclass(frozen=True)
class Case:
    """One parametrised case: a head and one framework (or two, for cross-framework tests)."""

    head: str
    frameworks: tuple[str, ...]

    @property
    def framework(self) -> str:
        return self.frameworks[0]

    @property
    def id(self) -> str:
        return f"{self.head}-{'-vs-'.join(self.frameworks)}"


def axes(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a common test with what it is parametrised over:

    ``"head-framework"`` every head x every framework; ``"head-pair"`` every head x framework pair;
    ``"head-pt"`` every head, PyTorch only; ``"causal-framework"`` the causal-LM heads x frameworks.
    """
    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        function.__conformance_axes__ = kind
        return function

    return mark


def _framework_skip(tester: Any, framework: str, head: str, selected: tuple[str, ...] | None) -> str | None:
    info = FRAMEWORKS[framework]
    if selected is not None and framework not in selected:
        return f"{info.display_name} deselected by --conformance-frameworks"
    if not info.installed:
        return info.missing_reason(tester.get_architecture().distribution)
    if not tester.get_architecture().has(framework, head):
        return f"{tester.model_type} registers no {info.display_name} class for head {head!r}"
    return None


def cases(tester: Any, test: str, kind: str, selected: tuple[str, ...] | None) -> list[Any]:
    """The ``pytest.param`` list of ``test`` (a name of ``TEST_NAMES``) for ``tester``."""
    heads = tester.causal_heads_under_test() if kind == "causal-framework" else tester.heads_under_test()
    if kind == "head-pair":
        combos = [(h, pair) for h in heads for pair in PAIRS]
    elif kind == "head-pt":
        combos = [(h, ("pt",)) for h in heads]
    else:
        combos = [(h, (f,)) for h in heads for f in FRAMEWORKS]
    params = []
    for head, frameworks in combos:
        case = Case(head, frameworks)
        reason = tester.skip_reason(test, head, frameworks)
        if reason is not None:
            reason = f"opted out by {tester.__name__}.skip_tests: {reason}"
        for framework in frameworks:
            reason = reason or _framework_skip(tester, framework, head, selected)
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    if not params:
        what = "causal-LM heads (causal_lm_heads)" if kind == "causal-framework" else "heads"
        params.append(pytest.param(None, id="no-heads", marks=[pytest.mark.skip(
            reason=f"{tester.__name__} tests no {what}: nothing to run {test} on")]))
    return params
