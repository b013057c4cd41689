"""The tests every architecture inherits from :class:`~plugformers_sdk.testing.ModelTester`.

Each test takes the class-scoped ``conformance`` session (built models, shared weights) and,
except the config test, a ``case`` (a head and a framework, or a framework pair) that the pytest
plugin generates from the tester's declarations. Opt-outs, missing frameworks and missing oracles
are skips with a reason; nothing returns silently.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from . import frameworks as fw
from .cases import Case, axes
from .comparison import assert_outputs_close
from .padding import pad_batch, padding_lengths, row_of_padded, single_row

#: Names used in ``skip_tests`` / ``tolerances`` keys (the test method names without ``test_``).
TEST_NAMES = (
    "registration", "config_round_trip", "save_load_round_trip", "canonical_names", "cross_framework_equivalence",
    "padding_invariance", "transformers_parity", "oracle_references", "cache_equivalence", "generation_cache",
)

#: Outputs a Transformers model returns only on request, or as objects of its own (caches).
_OPTIONAL_OUTPUTS = ("past_key_values", "hidden_states", "attentions", "cross_attentions")

ORACLE_MISSING = ("Transformers 4.57.6 oracle references not generated: run `nox -s oracle` "
                  "(or tests/oracle/{name}_references.py with the oracle python)")


def _tied_targets(model: Any) -> set[str]:
    if not getattr(model.config, "tie_word_embeddings", False):
        return set()
    return set(getattr(type(model), "tied_weights", {}) or {})


def _report_problems(report: Any) -> list[str]:
    return [f"{kind}: {getattr(report, kind)}" for kind in ("missing", "unexpected", "mismatched")
            if getattr(report, kind)]


class ConformanceTests:
    """The inherited test methods (declarations and helpers live on ``ModelTester``)."""

    # -- registration --------------------------------------------------------------------------
    def test_registration(self, conformance):
        """(Installed plugins) every class path the plugin registers names a class its module
        defines, found without importing anything; importing the plugin module and the config
        module imports no framework (discovery stays light)."""
        if reason := self.skip_reason("registration"):
            pytest.skip(f"opted out by {type(self).__name__}.skip_tests: {reason}")
        if self.architecture is not None:
            pytest.skip(f"{type(self).__name__} declares its classes (architecture=): no registered plugin to check")
        from plugformers.plugin_loading import discover_candidates
        from plugformers.registry import get_registry

        record = get_registry().architecture(self.model_type)
        plugin_module = next(c.module for c in discover_candidates() if c.name == record.plugin).partition(":")[0]
        paths = [record.config, *record.tokenizers.values()]
        paths += [path for heads in record.models.values() for path in heads.values()]
        for path in paths:
            module, _, name = path.partition(":")
            spec = importlib.util.find_spec(module)
            assert spec is not None and spec.origin, f"{path}: module not found"
            assert f"class {name}(" in Path(spec.origin).read_text(encoding="utf-8"), f"{path}: no class {name}"
        config_module = record.config.partition(":")[0]
        code = (f"import sys, {plugin_module}, {config_module}; print(sorted(m for m in "
                "('torch', 'tensorflow', 'jax', 'flax', 'tokenizers') if m in sys.modules))")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip() == "[]", f"importing {plugin_module} imported {result.stdout.strip()}"

    # -- config --------------------------------------------------------------------------------
    def test_config_round_trip(self, conformance, tmp_path):
        """to_dict/from_dict, JSON and save_pretrained/from_pretrained give back an equal config
        that keeps every declared value (also with each head's config changes)."""
        if reason := self.skip_reason("config_round_trip"):
            pytest.skip(f"opted out by {type(self).__name__}.skip_tests: {reason}")
        for head in (None, *self.head_config_kwargs):
            config = self.get_config(head)
            cls = type(config)
            assert cls.model_type == self.model_type, f"{cls.__name__}.model_type is {cls.model_type!r}"
            for key, value in {**self.config_kwargs, **self.head_config_kwargs.get(head, {})}.items():
                assert getattr(config, key) == value, f"{cls.__name__}.{key} is {getattr(config, key)!r}, set {value!r}"
            assert cls.from_dict(config.to_dict()) == config, "to_dict -> from_dict changed the config"
            assert cls.from_dict(json.loads(config.to_json_string())) == config, "JSON round trip changed the config"
            directory = tmp_path / (head or "base")
            config.save_pretrained(directory)
            assert json.loads((directory / "config.json").read_text())["model_type"] == self.model_type
            assert cls.from_pretrained(directory) == config, "save_pretrained -> from_pretrained changed the config"

    # -- checkpoints ---------------------------------------------------------------------------
    @axes("head-framework")
    def test_save_load_round_trip(self, conformance, case: Case):
        """save_pretrained -> from_pretrained: a clean load report, the canonical tensor names
        (tied copies once), and the same outputs (loss included)."""
        from plugformers.checkpoint import CheckpointReader

        head, framework = case.head, case.framework
        model = conformance.model(head, framework)
        directory = conformance.tmp_dir(f"save-{case.id}")
        model.save_pretrained(directory)
        with CheckpointReader.open(directory) as reader:
            saved = set(reader.keys())
        expected = set(conformance.weights(head)) - _tied_targets(model)
        assert saved == expected, (f"{head}/{framework} saved other tensor names than the canonical ones: "
                                   f"extra {sorted(saved - expected)}, missing {sorted(expected - saved)}")
        loaded = fw.load_model(framework, conformance.model_class(head, framework), directory)
        problems = _report_problems(loaded.load_report)
        assert not problems, f"{head}/{framework}: reloading its own checkpoint: {'; '.join(problems)}"
        after = fw.flatten_outputs(fw.forward(framework, loaded, conformance.inputs(head, labels=True)))
        assert_outputs_close(after, conformance.outputs(head, framework), what=f"{head}/{framework} after save/load",
                             atol=self.atol("save_load_round_trip", head, (framework,)))

    @axes("head-framework")
    def test_canonical_names(self, conformance, case: Case):
        """TF/Flax: canonical_state_dict() has the PyTorch model's state_dict names and shapes (tied
        copies may be left out). PyTorch: we save the tensor names Transformers saves."""
        head, framework = case.head, case.framework
        if framework == "pt":
            self._check_transformers_names(conformance, head)
            return
        if not fw.FRAMEWORKS["pt"].installed or not conformance.architecture.has("pt", head):
            pytest.skip(f"canonical names are the PyTorch model's: {fw.FRAMEWORKS['pt'].missing_reason(conformance.architecture.distribution)}")
        reference = {n: tuple(np.shape(t)) for n, t in conformance.model(head, "pt").state_dict().items()}
        model = conformance.model(head, framework)
        ours = {n: tuple(np.shape(t)) for n, t in model.canonical_state_dict().items()}
        tied = _tied_targets(conformance.model(head, "pt"))
        extra = sorted(set(ours) - set(reference))
        missing = sorted(set(reference) - set(ours) - tied)
        shapes = sorted(f"{n}: {ours[n]} != {reference[n]}" for n in set(ours) & set(reference) if ours[n] != reference[n])
        assert not (extra or missing or shapes), (
            f"{head}/{framework} canonical names differ from PyTorch's state_dict: not in PyTorch {extra}; "
            f"missing {missing}; shapes {shapes}")

    def _check_transformers_names(self, conformance, head: str) -> None:
        """The tensor names Transformers writes for this head are the names we write."""
        transformers = pytest.importorskip(
            "transformers", reason="Transformers (the PyTorch oracle) not installed: pip install transformers")
        from plugformers.checkpoint import CheckpointReader

        their_class = self._transformers_class(transformers, head)
        directory = conformance.tmp_dir(f"names-{head}")
        conformance.config(head).save_pretrained(directory)
        their_class(their_class.config_class.from_pretrained(directory)).save_pretrained(directory)
        with CheckpointReader.open(directory) as reader:
            theirs = set(reader.keys())
        ours = set(conformance.weights(head)) - _tied_targets(conformance.model(head, "pt"))
        assert ours == theirs, (f"{head}: the tensor names we save differ from those Transformers' "
                                f"{their_class.__name__} saves: only ours {sorted(ours - theirs)}, "
                                f"only theirs {sorted(theirs - ours)}")

    def _transformers_class(self, transformers: Any, head: str) -> type:
        name = self.transformers_classes.get(head)
        if name is None:
            pytest.skip(f"{type(self).__name__}.transformers_classes names no Transformers class for head {head!r}")
        their_class = getattr(transformers, name, None)
        assert their_class is not None, f"transformers {transformers.__version__} has no class {name!r}"
        return their_class

    # -- outputs --------------------------------------------------------------------------------
    @axes("head-pair")
    def test_cross_framework_equivalence(self, conformance, case: Case):
        """The same weights give the same outputs (loss included) in both frameworks."""
        head, (first, second) = case.head, case.frameworks
        assert_outputs_close(conformance.outputs(head, second), conformance.outputs(head, first),
                             atol=self.atol("cross_framework_equivalence", head, case.frameworks),
                             what=f"{head}: {second} vs {first} on the same weights")

    @axes("head-framework")
    def test_padding_invariance(self, conformance, case: Case):
        """A right-padded batch gives each row, on its real positions, the outputs it has alone."""
        head, framework = case.head, case.framework
        model = conformance.model(head, framework)
        inputs = conformance.inputs(head)
        batch, seq = inputs["input_ids"].shape[0], inputs["input_ids"].shape[-1]
        lengths = padding_lengths(batch, seq)
        padded = pad_batch(inputs, lengths, self.pad_token_id(conformance.config(head)))
        batched = fw.flatten_outputs(fw.forward(framework, model, padded), skip=("loss",))
        atol = self.atol("padding_invariance", head, (framework,))
        for row, length in enumerate(lengths):
            alone = fw.flatten_outputs(fw.forward(framework, model, single_row(padded, row, length)), skip=("loss",))
            cut = {name: row_of_padded(batched[name], alone[name], row, batch, seq, length)
                   for name in batched if name in alone}
            assert_outputs_close(cut, alone, atol=atol, what=f"{head}/{framework}: row {row} ({length} of {seq} "
                                                              "tokens) in a padded batch vs alone")

    # -- oracles ---------------------------------------------------------------------------------
    @axes("head-pt")
    def test_transformers_parity(self, conformance, case: Case):
        """Transformers loads our checkpoint without missing or unexpected tensors and gives the same
        outputs; we load what Transformers saves, with the same outputs."""
        transformers = pytest.importorskip(
            "transformers", reason="Transformers (the PyTorch oracle) not installed: pip install transformers")
        head = case.head
        their_class = self._transformers_class(transformers, head)
        atol = self.atol("transformers_parity", head, ("pt",))
        directory = conformance.tmp_dir(f"parity-{head}")
        conformance.model(head, "pt").save_pretrained(directory)
        theirs, info = their_class.from_pretrained(directory, output_loading_info=True)
        theirs.eval()
        problems = {k: sorted(v) for k, v in info.items() if k in ("missing_keys", "unexpected_keys",
                                                                    "mismatched_keys") and v}
        assert not problems, f"{head}: Transformers' {their_class.__name__} loading our checkpoint: {problems}"
        inputs = conformance.inputs(head, labels=True)
        expected = fw.flatten_outputs(fw.forward("pt", theirs, inputs), skip=_OPTIONAL_OUTPUTS)
        ours = conformance.outputs(head, "pt")
        absent = sorted(set(expected) - set(ours))
        assert not absent, f"{head}: outputs Transformers' {their_class.__name__} returns and ours lacks: {absent}"
        assert_outputs_close(ours, expected, atol=atol, keys=sorted(expected), require_same_keys=False,
                             what=f"{head}: ours vs Transformers {transformers.__version__} {their_class.__name__}")
        back = conformance.tmp_dir(f"parity-back-{head}")
        theirs.save_pretrained(back)
        reloaded = fw.load_model("pt", conformance.model_class(head, "pt"), back)
        problems = _report_problems(reloaded.load_report)
        assert not problems, f"{head}: loading the checkpoint Transformers saved: {'; '.join(problems)}"
        again = fw.flatten_outputs(fw.forward("pt", reloaded, inputs))
        assert_outputs_close(again, ours, atol=atol, what=f"{head}: ours loaded from Transformers' save vs ours")

    @axes("head-framework")
    def test_oracle_references(self, conformance, case: Case):
        """Saved Transformers 4.57.6 outputs (``PLUGFORMERS_ORACLE_DIR``, see docs/testing.md): our
        model loads each reference checkpoint of this head and reproduces that framework's outputs."""
        head, framework = case.head, case.framework
        name = self.oracle_name or self.model_type
        root = Path(os.environ.get("PLUGFORMERS_ORACLE_DIR") or conformance.rootpath / ".oracle-references") / name
        found = []
        for case_file in sorted(root.glob("*/case.json")) if root.is_dir() else []:
            if json.loads(case_file.read_text()).get("head") == head:
                found.append(case_file.parent)
        if not found and not root.is_dir():
            pytest.skip(ORACLE_MISSING.format(name=name) + f" ({root} does not exist)")
        if not found:
            pytest.skip(f"no Transformers 4.57.6 reference of head {head!r} under {root} "
                        f"(tests/oracle/{name}_references.py writes none for it)")
        with_outputs = [d for d in found if (d / f"outputs_{framework}.npz").is_file()]
        if not with_outputs:
            pytest.skip(f"the oracle references of head {head!r} have no {framework} outputs "
                        f"(Transformers 4.57.6 has no {fw.FRAMEWORKS[framework].display_name} class for it)")
        failures = []
        atol = self.atol("oracle_references", head, (framework,))
        for directory in with_outputs:
            model = fw.load_model(framework, conformance.model_class(head, framework), directory)
            with np.load(directory / "inputs.npz") as data:
                inputs = {k: data[k] for k in data.files}
            with np.load(directory / f"outputs_{framework}.npz") as data:
                expected = {k: data[k] for k in data.files}
            ours = fw.flatten_outputs(fw.forward(framework, model, inputs))
            try:
                assert_outputs_close(ours, expected, atol=atol, keys=sorted(expected), require_same_keys=False,
                                     what=f"{directory.name}/{framework}")
            except AssertionError as error:
                failures.append(str(error))
        assert not failures, "vs the saved Transformers 4.57.6 outputs:\n" + "\n".join(failures)

    # -- causal language models ------------------------------------------------------------------
    def _decoding_inputs(self, conformance, head: str) -> dict[str, np.ndarray]:
        """The standard inputs with row 1 left-padded by two tokens (as batched generation pads)."""
        inputs = {k: np.array(v, copy=True) for k, v in conformance.inputs(head).items()}
        if inputs["input_ids"].shape[0] > 1:
            inputs["attention_mask"][1, :2] = 0
            inputs["input_ids"][1, :2] = self.pad_token_id(conformance.config(head))
        return inputs

    @axes("causal-framework")
    def test_cache_equivalence(self, conformance, case: Case):
        """Decoding with past_key_values (a prompt, then one token at a time) gives the logits of the
        full forward pass at every real position."""
        head, framework = case.head, case.framework
        model = conformance.model(head, framework)
        inputs = self._decoding_inputs(conformance, head)
        mask = inputs["attention_mask"]
        batch, seq = mask.shape
        full = fw.to_numpy(fw.forward(framework, model, inputs, use_cache=False)["logits"])
        prefix = max(1, seq - 2)  # a prompt, then two single-token steps (few shapes: fast in eager JAX)

        def cut(stop: int, start: int) -> dict[str, np.ndarray]:
            return {k: (v[:, :stop] if k == "attention_mask" else v[:, start:stop])
                    if v.shape[:2] == (batch, seq) else v for k, v in inputs.items()}

        out = fw.forward(framework, model, cut(prefix, 0), use_cache=True)
        steps = [fw.to_numpy(out["logits"])]
        for position in range(prefix, seq):
            past = out.get("past_key_values")
            assert past is not None, f"{head}/{framework}: use_cache=True returned no past_key_values"
            out = fw.forward(framework, model, cut(position + 1, position), past_key_values=past, use_cache=True)
            steps.append(fw.to_numpy(out["logits"]))
        incremental = np.concatenate(steps, axis=1)
        real = mask.astype(bool)
        assert_outputs_close({"logits": incremental[real]}, {"logits": full[real]},
                             atol=self.atol("cache_equivalence", head, (framework,)),
                             what=f"{head}/{framework}: incremental decoding with the cache vs the full forward")

    @axes("causal-framework")
    def test_generation_cache(self, conformance, case: Case):
        """Greedy generate() gives the same tokens with and without the KV cache."""
        head, framework = case.head, case.framework
        model = conformance.model(head, framework)
        if not callable(getattr(model, "generate", None)):
            pytest.skip(f"the SDK's generate() is not available: {type(model).__name__} has no generate() "
                        f"(plugformers_sdk generation for {fw.FRAMEWORKS[framework].display_name})")
        prompt = self._decoding_inputs(conformance, head)
        inputs = fw.to_framework(framework, {k: prompt[k] for k in ("input_ids", "attention_mask")})

        def generate(use_cache: bool) -> np.ndarray:
            result = model.generate(**inputs, max_new_tokens=5, do_sample=False, use_cache=use_cache)
            return fw.to_numpy(getattr(result, "sequences", result))

        with_cache, without = generate(True), generate(False)
        assert np.array_equal(with_cache, without), (
            f"{head}/{framework}: greedy generate differs with the cache:\n{with_cache}\nwithout:\n{without}")
