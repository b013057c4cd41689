"""LLaMA in TensorFlow: agreement with our PyTorch models on the same checkpoint (Transformers
4.57.6 has no TF LLaMA to compare with; our PyTorch models are compared with Transformers 5.x in
test_modeling_torch.py), decoding with a cache, XLA compilation, saving back to PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="TensorFlow not installed: pip install 'plugformers-llama[tf]'")
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
    torch_outputs,
    torch_reference,
    valid_positions,
)

from plugformers_llama import modeling_tf, modeling_torch  # noqa: E402
from plugformers_llama.configuration import LlamaConfig  # noqa: E402
from plugformers_sdk.tf import tf  # noqa: E402


def _tf_class(head: str):
    return getattr(modeling_tf, "TF" + CLASS_NAMES[head])


def _tf(inputs: dict) -> dict:
    return {k: tf.constant(v, dtype=tf.int32) for k, v in inputs.items()}


@pytest.mark.parametrize("case", list(TINY))
def test_causal_lm_agrees_with_pytorch(tmp_path, case):
    reference = torch_reference(tmp_path, case, "causal-lm", seed=5)
    model = _tf_class("causal-lm").from_pretrained(tmp_path)
    assert model.load_report.ok and not model.load_report.missing and not model.load_report.unexpected
    inputs = make_inputs(reference.config.vocab_size, padding="left")
    assert_outputs_close(model(**_tf(inputs)), torch_outputs(reference, inputs), inputs["attention_mask"], "tf")


@pytest.mark.parametrize("head", [h for h in HEADS if h != "causal-lm"])
def test_other_heads_agree_with_pytorch(tmp_path, head):
    reference = torch_reference(tmp_path, "gqa-default-untied", head, seed=6)
    model = _tf_class(head).from_pretrained(tmp_path)
    assert model.load_report.ok and not model.load_report.missing
    inputs = make_inputs(reference.config.vocab_size, padding="right")
    assert_outputs_close(model(**_tf(inputs)), torch_outputs(reference, inputs), inputs["attention_mask"], head)


def test_decoding_with_past_key_values_matches_full_forward(tmp_path):
    torch_reference(tmp_path, "gqa-llama3-tied", "causal-lm", seed=7)
    model = _tf_class("causal-lm").from_pretrained(tmp_path)
    inputs = make_inputs(model.config.vocab_size, batch=2, length=7, padding="left")
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    full = model(**_tf(inputs)).logits.numpy()
    step = model(input_ids=ids[:, :5], attention_mask=mask[:, :5], use_cache=True)
    pieces, past = [step.logits.numpy()], step.past_key_values
    for t in range(5, ids.shape[1]):
        step = model(input_ids=ids[:, t:t + 1], attention_mask=mask[:, :t + 1], past_key_values=past, use_cache=True)
        pieces.append(step.logits.numpy())
        past = step.past_key_values
    np.testing.assert_allclose(valid_positions(np.concatenate(pieces, 1), mask), valid_positions(full, mask),
                               atol=TOLERANCE, rtol=0)


def test_forward_compiles_with_xla(tmp_path):
    torch_reference(tmp_path, "mqa-yarn-bias-headdim", "causal-lm", seed=8)
    model = _tf_class("causal-lm").from_pretrained(tmp_path)
    inputs = _tf(make_inputs(model.config.vocab_size, padding="right"))
    compiled = tf.function(lambda ids, mask: model(input_ids=ids, attention_mask=mask, use_cache=False).logits,
                           jit_compile=True)
    eager = model(**inputs, use_cache=False).logits.numpy()
    np.testing.assert_allclose(compiled(inputs["input_ids"], inputs["attention_mask"]).numpy(), eager,
                               atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("case", ["mha-linear-tied", "gqa-default-untied"])
def test_tf_checkpoints_load_in_pytorch(tmp_path, case):
    config = LlamaConfig(**config_kwargs(case))
    model = _tf_class("causal-lm").from_config(config, seed=3)
    model.save_pretrained(tmp_path)
    reference = modeling_torch.LlamaForCausalLM.from_pretrained(tmp_path)
    assert reference.load_report.ok and not reference.load_report.missing
    inputs = make_inputs(config.vocab_size, padding="right")
    assert_outputs_close(model(**_tf(inputs)), torch_outputs(reference, inputs), inputs["attention_mask"], case)
