"""``ModelTester``: what a plugin declares to run the conformance kit on its architecture.

A test module subclasses it (the class name must start with ``Test``) and declares a small config;
the common tests (:mod:`.common_tests`) are inherited::

    from plugformers_sdk.testing import ModelTester

    class TestBertConformance(ModelTester):
        model_type = "bert"
        config_kwargs = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                             intermediate_size=37)
        transformers_classes = {"base": "BertModel", "masked-lm": "BertForMaskedLM"}

Everything else has a default that a tester overrides when its architecture needs it: the heads
(every head registered for ``model_type``), per-head config changes, the inputs and labels, the
causal-LM heads, tolerances and opt-outs. Opt-outs and looser tolerances always carry a reason,
which the test report shows.
"""

from __future__ import annotations

import zlib
from typing import Any, ClassVar

import numpy as np

from plugformers.errors import ConfigError

from .architecture import Architecture, explicit_architecture, registered_architecture
from .common_tests import TEST_NAMES, ConformanceTests

DEFAULT_ATOL = 1e-5


class ModelTester(ConformanceTests):
    """Declarative base of an architecture's conformance tests (see the module docstring)."""

    __plugformers_conformance__: ClassVar[bool] = True

    # -- what is tested -----------------------------------------------------------------------
    model_type: ClassVar[str] = ""
    #: ``{"config": cls | "module:Class", "models": {framework: {head: cls | "module:Class"}}}`` to test
    #: an architecture that is not installed; ``None`` looks ``model_type`` up in the registry.
    architecture: ClassVar[dict[str, Any] | None] = None
    #: pip distribution named in skip reasons (default: the registry's, or ``plugformers-<model_type>``).
    distribution: ClassVar[str | None] = None
    #: the heads to test; ``None`` = every head registered (in any framework).
    heads: ClassVar[tuple[str, ...] | None] = None
    #: the tiny config: keyword arguments of the config class.
    config_kwargs: ClassVar[dict[str, Any]] = {}
    #: per-head config changes, e.g. ``{"causal-lm": {"is_decoder": True}}``.
    head_config_kwargs: ClassVar[dict[str, dict[str, Any]]] = {}
    #: heads that are causal language models: cache vs no-cache and generation are tested on them.
    causal_lm_heads: ClassVar[tuple[str, ...]] = ("causal-lm",)
    #: heads whose inputs are [batch, num_choices, seq].
    multiple_choice_heads: ClassVar[tuple[str, ...]] = ("multiple-choice",)
    num_choices: ClassVar[int] = 2
    batch_size: ClassVar[int] = 3
    seq_length: ClassVar[int] = 7
    seed: ClassVar[int] = 0

    # -- oracles --------------------------------------------------------------------------------
    #: head -> Transformers (5.x, PyTorch) class name, e.g. ``{"masked-lm": "BertForMaskedLM"}``.
    transformers_classes: ClassVar[dict[str, str]] = {}
    #: the architecture's directory under ``PLUGFORMERS_ORACLE_DIR`` (default: ``model_type``).
    oracle_name: ClassVar[str | None] = None

    # -- opt-outs and tolerances -------------------------------------------------------------------
    #: ``{"test[/head[/framework]]": "reason"}``: those cases are reported as skipped with the reason.
    #: Test names: see :data:`~plugformers_sdk.testing.common_tests.TEST_NAMES`.
    skip_tests: ClassVar[dict[str, str]] = {}
    #: ``{"test[/head[/framework]]": (atol, "reason")}``: a looser tolerance than 1e-5, documented.
    tolerances: ClassVar[dict[str, tuple[float, str]]] = {}

    _architecture_cache: ClassVar[dict[type, Architecture]] = {}

    # -- the architecture --------------------------------------------------------------------------
    @classmethod
    def get_architecture(cls) -> Architecture:
        if cls not in ModelTester._architecture_cache:
            if not cls.model_type:
                raise ConfigError(f"{cls.__name__}: set model_type (and architecture= if it is not installed)")
            if cls.architecture is not None:
                arch = explicit_architecture(cls.model_type, cls.architecture, cls.distribution)
            else:
                arch = registered_architecture(cls.model_type)
                if cls.distribution:
                    arch.distribution = cls.distribution
            ModelTester._architecture_cache[cls] = arch
        return ModelTester._architecture_cache[cls]

    @classmethod
    def heads_under_test(cls) -> list[str]:
        arch = cls.get_architecture()
        heads = arch.all_heads() if cls.heads is None else list(cls.heads)
        unknown = [h for h in heads if h not in arch.all_heads()]
        if unknown:
            raise ConfigError(f"{cls.__name__}.heads names heads no framework registers: {unknown}")
        return heads

    @classmethod
    def causal_heads_under_test(cls) -> list[str]:
        return [h for h in cls.heads_under_test() if h in cls.causal_lm_heads]

    # -- configs -----------------------------------------------------------------------------------
    def get_config(self, head: str | None = None) -> Any:
        """The tiny config (with ``head_config_kwargs[head]`` applied)."""
        kwargs = dict(self.config_kwargs)
        if head is not None:
            kwargs.update(self.head_config_kwargs.get(head, {}))
        return self.get_architecture().config_class(**kwargs)

    # -- inputs and labels -------------------------------------------------------------------------
    def rng(self, *salt: str) -> np.random.Generator:
        """A generator seeded from ``seed`` and ``salt`` (same inputs in every framework and run)."""
        return np.random.default_rng([self.seed, *(zlib.crc32(s.encode()) for s in salt)])

    def pad_token_id(self, config: Any) -> int:
        pad = getattr(config, "pad_token_id", None)
        return 0 if pad is None else int(pad)

    def inputs(self, config: Any, batch: int, seq: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Model inputs for ``batch`` unpadded rows of ``seq`` tokens: ``input_ids`` (never the pad
        token) and ``attention_mask``. Override to add e.g. ``token_type_ids``; keep the batch
        first and the sequence last."""
        pad = self.pad_token_id(config)
        ids = rng.integers(0, config.vocab_size - 1, size=(batch, seq))
        ids = ids + (ids >= pad)  # skip the pad id, so padding is only where the mask says
        return {"input_ids": ids.astype(np.int64), "attention_mask": np.ones((batch, seq), dtype=np.int64)}

    def head_inputs(self, head: str, config: Any, batch: int, seq: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Inputs for ``head``: :meth:`inputs`, reshaped to [batch, num_choices, seq] for the
        multiple-choice heads. Override for heads with extra inputs."""
        if head in self.multiple_choice_heads:
            flat = self.inputs(config, batch * self.num_choices, seq, rng)
            return {k: v.reshape(batch, self.num_choices, *v.shape[1:]) for k, v in flat.items()}
        return self.inputs(config, batch, seq, rng)

    def head_labels(self, head: str, config: Any, inputs: dict[str, np.ndarray],
                    rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Labels for ``head`` (so that the loss is compared too), by Transformers' conventions for
        the usual head names; ``{}`` (no loss compared) for the base model and unknown heads."""
        batch, seq = inputs["input_ids"].shape[0], inputs["input_ids"].shape[-1]
        num_labels = getattr(config, "num_labels", 2)

        def ints(high: int, *shape: int) -> np.ndarray:
            return rng.integers(0, high, size=shape).astype(np.int64)

        if head in ("masked-lm", "causal-lm"):
            return {"labels": ints(config.vocab_size, batch, seq)}
        if head == "token-classification":
            return {"labels": ints(num_labels, batch, seq)}
        if head == "sequence-classification":
            return {"labels": ints(num_labels, batch)}
        if head in self.multiple_choice_heads:
            return {"labels": ints(self.num_choices, batch)}
        if head == "next-sentence-prediction":
            return {"labels": ints(2, batch)}
        if head == "question-answering":
            return {"start_positions": ints(seq, batch), "end_positions": ints(seq, batch)}
        if head == "pretraining":
            return {"labels": ints(config.vocab_size, batch, seq), "next_sentence_label": ints(2, batch)}
        return {}

    # -- opt-outs and tolerances ------------------------------------------------------------------
    @classmethod
    def _check_keys(cls, table: dict[str, Any], attribute: str) -> None:
        for key in table:
            test = key.split("/")[0]
            if test not in TEST_NAMES:
                raise ConfigError(f"{cls.__name__}.{attribute}[{key!r}]: unknown test {test!r} "
                                  f"(known: {', '.join(TEST_NAMES)})")

    @classmethod
    def _lookup(cls, table: dict[str, Any], test: str, head: str | None, frameworks: tuple[str, ...]) -> Any:
        """The most specific entry for ``test/head/framework`` (a framework entry matches either side
        of a framework pair)."""
        for framework in frameworks:
            if head is not None and f"{test}/{head}/{framework}" in table:
                return table[f"{test}/{head}/{framework}"]
        if head is not None and f"{test}/{head}" in table:
            return table[f"{test}/{head}"]
        return table.get(test)

    @classmethod
    def skip_reason(cls, test: str, head: str | None = None, frameworks: tuple[str, ...] = ()) -> str | None:
        cls._check_keys(cls.skip_tests, "skip_tests")
        reason = cls._lookup(cls.skip_tests, test, head, frameworks)
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            raise ConfigError(f"{cls.__name__}.skip_tests: the opt-out of {test} needs a reason string")
        return reason

    @classmethod
    def atol(cls, test: str, head: str | None = None, frameworks: tuple[str, ...] = ()) -> float:
        cls._check_keys(cls.tolerances, "tolerances")
        entry = cls._lookup(cls.tolerances, test, head, frameworks)
        if entry is None:
            return DEFAULT_ATOL
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str) and entry[1].strip()):
            raise ConfigError(f"{cls.__name__}.tolerances: {test} needs (atol, 'reason'), got {entry!r}")
        return float(entry[0])
