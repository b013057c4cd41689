"""Framework-neutral load bookkeeping: prefix matching, load plans, reports, dtype names."""

from __future__ import annotations

import numpy as np
import pytest

from plugformers.errors import CheckpointError, ConfigError
from plugformers_sdk.activations import ACTIVATION_NAMES, check_activation
from plugformers_sdk.weights import LoadReport, match_prefix, normalise_dtype, plan_load, resolve_dtype

HEAD_MODEL = {
    "bert.embeddings.word_embeddings.weight": (10, 4),
    "bert.encoder.dense.weight": (4, 4),
    "cls.decoder.weight": (10, 4),
    "cls.bias": (10,),
}
BASE_MODEL = {k.removeprefix("bert."): v for k, v in HEAD_MODEL.items() if k.startswith("bert.")}


def test_match_prefix_adds_prefix_for_head_loading_base_checkpoint():
    mapping = match_prefix(HEAD_MODEL, BASE_MODEL, "bert")
    assert mapping == {k: "bert." + k for k in BASE_MODEL}


def test_match_prefix_strips_prefix_for_base_loading_head_checkpoint():
    mapping = match_prefix(BASE_MODEL, HEAD_MODEL, "bert")
    assert mapping["bert.encoder.dense.weight"] == "encoder.dense.weight"
    assert mapping["cls.bias"] == "cls.bias"


def test_match_prefix_keeps_names_when_both_agree_or_no_prefix():
    assert match_prefix(HEAD_MODEL, HEAD_MODEL, "bert") == {k: k for k in HEAD_MODEL}
    assert match_prefix(HEAD_MODEL, BASE_MODEL, "") == {k: k for k in BASE_MODEL}


def test_plan_head_from_base_checkpoint_reports_head_as_missing():
    plan = plan_load(HEAD_MODEL, BASE_MODEL, base_model_prefix="bert")
    assert plan.assignments == {"bert." + k: k for k in BASE_MODEL}
    assert sorted(plan.report.missing) == ["cls.bias", "cls.decoder.weight"]
    assert plan.report.unexpected == [] and plan.report.mismatched == []
    assert not plan.report.ok


def test_plan_base_from_head_checkpoint_reports_head_tensors_unexpected():
    plan = plan_load(BASE_MODEL, HEAD_MODEL, base_model_prefix="bert")
    assert plan.assignments == {k: "bert." + k for k in BASE_MODEL}
    assert sorted(plan.report.unexpected) == ["cls.bias", "cls.decoder.weight"]
    assert plan.report.missing == []


def test_plan_tied_target_is_never_missing_and_not_loaded():
    tied = {"cls.decoder.weight": "bert.embeddings.word_embeddings.weight"}
    without_target = {k: v for k, v in HEAD_MODEL.items() if k != "cls.decoder.weight"}
    plan = plan_load(HEAD_MODEL, without_target, base_model_prefix="bert", tied=tied)
    assert plan.report.ok
    assert "cls.decoder.weight" not in plan.assignments
    # A checkpoint holding both is fine as well: the copy is skipped, not unexpected.
    plan = plan_load(HEAD_MODEL, HEAD_MODEL, base_model_prefix="bert", tied=tied)
    assert plan.report.ok and "cls.decoder.weight" not in plan.assignments


def test_plan_tied_target_only_feeds_the_source():
    tied = {"cls.decoder.weight": "bert.embeddings.word_embeddings.weight"}
    only_target = {k: v for k, v in HEAD_MODEL.items() if k != "bert.embeddings.word_embeddings.weight"}
    plan = plan_load(HEAD_MODEL, only_target, base_model_prefix="bert", tied=tied)
    assert plan.assignments["bert.embeddings.word_embeddings.weight"] == "cls.decoder.weight"
    assert plan.report.ok


def test_plan_reports_mismatched_and_ignore_patterns():
    checkpoint = dict(HEAD_MODEL, **{"cls.bias": (11,), "pooler.extra": (3,)})
    plan = plan_load(HEAD_MODEL, checkpoint, base_model_prefix="bert")
    assert plan.report.mismatched == [("cls.bias", (11,), (10,))]
    assert "cls.bias" not in plan.assignments and "cls.bias" not in plan.report.missing
    assert plan.report.unexpected == ["pooler.extra"]
    quiet = plan_load(HEAD_MODEL, {k: v for k, v in checkpoint.items() if k != "cls.decoder.weight"},
                      base_model_prefix="bert", ignore_unexpected=[r"^pooler\."], ignore_missing=[r"decoder"])
    assert quiet.report.unexpected == [] and quiet.report.missing == []


def test_report_raise_if_errors_names_every_tensor():
    report = LoadReport(missing=["a.weight"], unexpected=["b.bias"], mismatched=[("c.weight", (2, 3), (3, 2))])
    with pytest.raises(CheckpointError) as err:
        report.raise_if_errors("/tmp/ckpt")
    assert "/tmp/ckpt" in str(err.value) and "c.weight" in str(err.value) and "a.weight" not in str(err.value)
    with pytest.raises(CheckpointError, match="a.weight") as err:
        report.raise_if_errors("/tmp/ckpt", strict=True)
    assert "b.bias" in str(err.value)
    LoadReport(missing=["x"]).raise_if_errors("src")  # missing alone is only logged
    assert LoadReport().ok and "all weights loaded" in LoadReport().describe()


def test_normalise_dtype_accepts_names_and_framework_objects():
    torch = pytest.importorskip("torch")
    assert normalise_dtype(torch.bfloat16) == "bfloat16"
    assert normalise_dtype(torch.float16) == "float16"
    assert normalise_dtype(np.float32) == "float32"
    assert normalise_dtype(np.dtype("float16")) == "float16"
    assert normalise_dtype("bf16") == "bfloat16"
    assert normalise_dtype("auto") == "auto"
    assert normalise_dtype(None) is None
    with pytest.raises(ConfigError, match="dtype"):
        normalise_dtype("int8")


def test_resolve_dtype_auto_reads_the_config():
    class Config:
        torch_dtype = "bfloat16"

    assert resolve_dtype("auto", Config()) == "bfloat16"
    assert resolve_dtype("auto", object()) is None
    assert resolve_dtype("float16", Config()) == "float16"


def test_check_activation():
    assert check_activation("gelu_new") == "gelu_new"
    with pytest.raises(ConfigError, match="hidden_act='gelu_nope'"):
        check_activation("gelu_nope")
    with pytest.raises(ConfigError, match="act_fn"):
        check_activation(None, field="act_fn")
    assert len(set(ACTIVATION_NAMES)) == len(ACTIVATION_NAMES)
