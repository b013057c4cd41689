"""The registry in-process: isolation, malformed records, conflicts, allow/deny, lazy loading."""

from __future__ import annotations

import sys
import textwrap

import pytest

from plugformers.errors import MissingDependencyError, PluginError
from plugformers.plugin_loading import PluginCandidate
from plugformers.registry import build_registry


@pytest.fixture
def make_plugin(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in ("PLUGFORMERS_PLUGINS", "PLUGFORMERS_DISABLE_PLUGINS", "PLUGFORMERS_STRICT"):
        monkeypatch.delenv(var, raising=False)
    created = []

    def make(name: str, source: str, distribution: str | None = None) -> PluginCandidate:
        module = f"pf_test_{name.replace('-', '_')}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        created.append(module)
        return PluginCandidate(name, module, distribution)

    yield make
    for module in created:
        sys.modules.pop(module, None)


GOOD = """
from plugformers import hookimpl

@hookimpl
def register_architectures(register):
    register("alpha", config="pf_cfg:AlphaConfig", models={"pt": {"base": "pf_mod:AlphaModel"}},
             tokenizers={"fast": "pf_tok:AlphaTokenizerFast"})

@hookimpl
def register_tasks(register):
    register("alpha-task", pipeline="pf_pipe:AlphaPipeline", heads=["base"], aliases=["alpha-alias"])
"""


def test_records_are_lazy_strings(make_plugin):
    registry = build_registry([make_plugin("good", GOOD)])
    record = registry.architecture("alpha")
    assert record.models == {"pt": {"base": "pf_mod:AlphaModel"}}
    assert registry.class_index()["AlphaModel"] == ("pf_mod:AlphaModel", "alpha")
    assert registry.task("alpha-alias").name == "alpha-task"
    assert "pf_mod" not in sys.modules  # nothing was imported
    with pytest.raises(MissingDependencyError, match="cannot import 'pf_mod'"):
        registry.load_class("AlphaModel")


@pytest.mark.parametrize("call, message", [
    ('register("Bad Type", config="m:C")', "model_type must be a lower-case identifier"),
    ('register("x", config="m:C", models={"pt": {"base": 3}})', r"models\['pt'\]\['base'\]"),
    ('register("x", config="m:C", tokenizers={"medium": "m:T"})', "tokenizers keys"),
    ('register("x")', "malformed registration"),
    ('register("x", config="m:C", colour="red")', "malformed registration"),
])
def test_malformed_records_are_reported_not_fatal(make_plugin, call, message):
    bad = make_plugin("bad", f"""
        from plugformers import hookimpl
        @hookimpl
        def register_architectures(register):
            {call}
    """)
    registry = build_registry([bad, make_plugin("good", GOOD)])
    assert "alpha" in registry.architectures and "x" not in registry.architectures
    (problem,) = registry.problems
    assert problem.plugin == "bad" and problem.stage == "hook:register_architectures"
    assert __import__("re").search(message, problem.message)


def test_import_failure_and_strict_mode(make_plugin, monkeypatch):
    broken = make_plugin("broken", "raise ImportError('no luck')")
    registry = build_registry([broken, make_plugin("good", GOOD)])
    assert [p.stage for p in registry.problems] == ["import"] and "alpha" in registry.architectures
    monkeypatch.setenv("PLUGFORMERS_STRICT", "1")
    with pytest.raises(PluginError, match="plugin 'broken'"):
        build_registry([broken])


def test_conflict_prefers_the_architectures_own_package(make_plugin):
    other = make_plugin("aaa-other", GOOD, distribution="someone-elses-alpha")
    own = make_plugin("zzz-own", GOOD.replace("pf_mod:AlphaModel", "own_mod:AlphaModel"), distribution="plugformers-alpha")
    registry = build_registry([other, own])
    assert registry.architecture("alpha").plugin == "zzz-own"
    (conflict,) = [c for c in registry.conflicts if c.kind == "model_type"]
    assert (conflict.key, conflict.winner, conflict.losers) == ("alpha", "zzz-own", ("aaa-other",))
    # Without an owning package, the first plugin in name order wins, every time.
    first = make_plugin("b-first", GOOD, distribution="x")
    second = make_plugin("c-second", GOOD.replace("pf_mod", "pf_mod2"), distribution="y")
    for order in ([first, second], [second, first]):
        registry = build_registry(sorted(order, key=lambda c: c.name))
        assert registry.architecture("alpha").plugin == "b-first"


def test_allow_and_deny_lists(make_plugin, monkeypatch):
    plugins = [make_plugin("one", GOOD), make_plugin("two", GOOD.replace("alpha", "beta"))]
    monkeypatch.setenv("PLUGFORMERS_DISABLE_PLUGINS", "one")
    assert set(build_registry(plugins).architectures) == {"beta"}
    monkeypatch.delenv("PLUGFORMERS_DISABLE_PLUGINS")
    monkeypatch.setenv("PLUGFORMERS_PLUGINS", "one")
    registry = build_registry(plugins)
    assert set(registry.architectures) == {"alpha"}
    assert "pt" in registry.frameworks  # built-ins are never filtered out


def test_builtin_frameworks_register_through_the_hook():
    registry = build_registry([])
    assert set(registry.frameworks) == {"pt", "tf", "flax"}
    assert registry.frameworks["pt"].plugin == "builtin-frameworks"
    assert {"list", "doctor", "env"} <= set(registry.commands)
