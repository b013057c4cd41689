"""LLaMA in Flax: agreement with our PyTorch models on the same checkpoint (every rope type, tied
and untied, every head), with Transformers 4.57.6's Flax LLaMA (saved references), decoding with a
cache, ``nnx.jit``, saving back to PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("flax", reason="Flax not installed: pip install 'plugformers-llama[flax]'")
torch = pytest.importorskip("torch", reason="PyTorch (the reference framework) not installed: "
                                           "pip install 'plugformers-llama[torch]'")

from llama_test_support import (  # noqa: E402
    CLASS_NAMES,
    HEADS,
    TINY,
    TOLERANCE,
    assert_outputs_close,
    config_kwargs,
    make_inputs,
    oracle_cases,
    read_case,
    require_oracle_case,
    torch_outputs,
    torch_reference,
    valid_positions,
)

from plugformers_llama import modeling_flax, modeling_torch  # noqa: E402
from plugformers_llama.configuration import LlamaConfig  # noqa: E402


def _flax_class(head: str):
    return getattr(modeling_flax, "Flax" + CLASS_NAMES[head])


@pytest.mark.parametrize("case", list(TINY))
def test_causal_lm_agrees_with_pytorch(tmp_path, case):
    reference = torch_reference(tmp_path, case, "causal-lm", seed=5)
    model = _flax_class("causal-lm").from_pretrained(tmp_path)
    assert model.load_report.ok and not model.load_report.missing and not model.load_report.unexpected
    inputs = make_inputs(reference.config.vocab_size, padding="left")
    assert_outputs_close(model(**inputs), torch_outputs(reference, inputs), inputs["attention_mask"], "flax")


@pytest.mark.parametrize("head", [h for h in HEADS if h != "causal-lm"])
def test_other_heads_agree_with_pytorch(tmp_path, head):
    reference = torch_reference(tmp_path, "gqa-default-untied", head, seed=6)
    model = _flax_class(head).from_pretrained(tmp_path)
    assert model.load_report.ok and not model.load_report.missing
    inputs = make_inputs(reference.config.vocab_size, padding="right")
    assert_outputs_close(model(**inputs), torch_outputs(reference, inputs), inputs["attention_mask"], head)


@pytest.mark.parametrize("case_dir", oracle_cases() or [None], ids=lambda p: p.name if p else "missing")
def test_matches_transformers_4_flax_references(case_dir):
    case_dir = require_oracle_case(case_dir)
    case, inputs, expected = read_case(case_dir)
    model = _flax_class(case["head"]).from_pretrained(case_dir)
    assert model.load_report.ok and not model.load_report.missing
    assert_outputs_close(model(**inputs), expected, inputs["attention_mask"], case_dir.name)


def test_decoding_with_past_key_values_matches_full_forward(tmp_path):
    torch_reference(tmp_path, "gqa-llama3-tied", "causal-lm", seed=7)
    model = _flax_class("causal-lm").from_pretrained(tmp_path)
    inputs = make_inputs(model.config.vocab_size, batch=2, length=7, padding="left")
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    full = np.asarray(model(**inputs).logits)
    step = model(input_ids=ids[:, :5], attention_mask=mask[:, :5], use_cache=True)
    pieces, past = [np.asarray(step.logits)], step.past_key_values
    for t in range(5, ids.shape[1]):
        step = model(input_ids=ids[:, t:t + 1], attention_mask=mask[:, :t + 1], past_key_values=past, use_cache=True)
        pieces.append(np.asarray(step.logits))
        past = step.past_key_values
    np.testing.assert_allclose(valid_positions(np.concatenate(pieces, 1), mask), valid_positions(full, mask),
                               atol=TOLERANCE, rtol=0)


def test_forward_compiles_with_nnx_jit(tmp_path):
    from flax import nnx

    torch_reference(tmp_path, "mqa-yarn-bias-headdim", "causal-lm", seed=8)
    model = _flax_class("causal-lm").from_pretrained(tmp_path)
    inputs = make_inputs(model.config.vocab_size, padding="right")

    @nnx.jit
    def logits(model, ids, mask):
        return model(input_ids=ids, attention_mask=mask, use_cache=False).logits

    np.testing.assert_allclose(np.asarray(logits(model, inputs["input_ids"], inputs["attention_mask"])),
                               np.asarray(model(**inputs, use_cache=False).logits), atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("case", ["mha-linear-tied", "gqa-default-untied"])
def test_flax_checkpoints_load_in_pytorch(tmp_path, case):
    config = LlamaConfig(**config_kwargs(case))
    model = _flax_class("causal-lm").from_config(config, seed=3)
    model.save_pretrained(tmp_path)
    reference = modeling_torch.LlamaForCausalLM.from_pretrained(tmp_path)
    assert reference.load_report.ok and not reference.load_report.missing
    inputs = make_inputs(config.vocab_size, padding="right")
    assert_outputs_close(model(**inputs), torch_outputs(reference, inputs), inputs["attention_mask"], case)
