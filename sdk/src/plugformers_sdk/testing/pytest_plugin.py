"""The conformance kit's pytest plugin (entry point ``pytest11: plugformers_conformance``).

It loads in every pytest run where plugformers-sdk is installed, so it imports no framework (and
nothing of plugformers) until a ``ModelTester`` class is collected. It

- parametrises each common test of a tester class with its cases (head x framework ...), each
  case that cannot run carrying a skip mark with the reason;
- provides the class-scoped ``conformance`` fixture (models built once per head and framework);
- adds ``--conformance-frameworks=pt,tf,flax`` to restrict the frameworks checked, and the
  ``conformance`` marker to every kit test (``-m conformance`` / ``-m "not conformance"``).
"""

from __future__ import annotations

from typing import Any

import pytest

FRAMEWORK_NAMES = ("pt", "tf", "flax")


def _is_tester(cls: Any) -> bool:
    return cls is not None and getattr(cls, "__plugformers_conformance__", False) is True


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("plugformers-conformance", "plugformers conformance kit")
    group.addoption("--conformance-frameworks", default=None, metavar="pt,tf,flax",
                    help="check only these frameworks (comma-separated); the others are skipped")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a test of the plugformers conformance kit (ModelTester)")


def _selected(config: pytest.Config) -> tuple[str, ...] | None:
    value = config.getoption("conformance_frameworks", default=None)
    if not value:
        return None
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in FRAMEWORK_NAMES]
    if unknown:
        raise pytest.UsageError(f"--conformance-frameworks: unknown {unknown} (choose from pt, tf, flax)")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not _is_tester(metafunc.cls) or "case" not in metafunc.fixturenames:
        return
    from .cases import cases

    kind = getattr(metafunc.function, "__conformance_axes__", None)
    if kind is None:
        raise pytest.UsageError(f"{metafunc.cls.__name__}.{metafunc.function.__name__} takes `case` but has no "
                                "@axes(...) declaration")
    test = metafunc.function.__name__.removeprefix("test_")
    metafunc.parametrize("case", cases(metafunc.cls, test, kind, _selected(metafunc.config)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_tester(getattr(item, "cls", None)):
            item.add_marker(pytest.mark.conformance)


@pytest.fixture(scope="class")
def conformance(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The tester class's :class:`~plugformers_sdk.testing.session.ConformanceSession`."""
    if not _is_tester(request.cls):
        raise pytest.UsageError("the `conformance` fixture belongs to plugformers_sdk.testing.ModelTester classes")
    from .frameworks import FRAMEWORKS
    from .session import ConformanceSession

    selected = _selected(request.config)
    frameworks = tuple(f for f in FRAMEWORKS if FRAMEWORKS[f].installed and (selected is None or f in selected))
    return ConformanceSession(request.cls(), tmp_path_factory, frameworks, request.config.rootpath)
