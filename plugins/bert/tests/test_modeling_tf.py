"""TensorFlow BERT: parity with Transformers 4.57.6's TF classes (saved references, see
tests/oracle/bert_references.py), agreement with our PyTorch variant on the same weights for every
head (outputs and losses, checkpoints both ways), the KV cache, XLA compilation and ``fit``."""

from __future__ import annotations

import numpy as np
import pytest
from bert_test_support import (
    HEADS,
    LENGTH,
    ORACLE_CASES,
    assert_close,
    config_kwargs,
    make_inputs,
    make_labels,
    oracle_case,
    outputs_of,
    randomise_torch,
    to_numpy,
)

tf = pytest.importorskip("tensorflow", reason="TensorFlow not installed: pip install 'plugformers-bert[tf]'")

from plugformers_bert import modeling_tf  # noqa: E402
from plugformers_bert.configuration import BertConfig  # noqa: E402


def _tf_class(head: str):
    return getattr(modeling_tf, "TF" + HEADS[head])


@pytest.mark.oracle
@pytest.mark.parametrize("name", ORACLE_CASES)
def test_matches_transformers_tf_reference(name):
    directory, head, inputs, reference = oracle_case(name, "tf")
    model = _tf_class(head).from_pretrained(directory)
    assert model.load_report.ok, model.load_report.describe()
    assert_close(outputs_of(model(**inputs, training=False)), reference, name)


def _torch_pair(head: str, kwargs: dict, tmp_path):
    """(our torch model with random weights, the same weights loaded in TF)."""
    torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-framework checks need it")
    from plugformers_bert import modeling_torch

    pt = getattr(modeling_torch, HEADS[head]).from_config(BertConfig(**kwargs), seed=0)
    randomise_torch(pt, 5)
    pt.save_pretrained(tmp_path / "pt")
    model = _tf_class(head).from_pretrained(tmp_path / "pt")
    assert model.load_report.ok, model.load_report.describe()
    return torch, pt.eval(), model


@pytest.mark.parametrize("head", list(HEADS))
def test_agrees_with_pytorch_outputs_losses_and_checkpoints(head, tmp_path):
    kwargs = config_kwargs("gelu_new-h48-l3", head)
    torch, pt, model = _torch_pair(head, kwargs, tmp_path)
    inputs = {**make_inputs(kwargs, head), **make_labels(kwargs, head)}
    with torch.no_grad():
        expected = pt(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    got = model(**inputs, training=False)
    assert_close(outputs_of(got), outputs_of(expected), f"tf vs pt {head}")
    if head != "base":
        assert abs(float(got.loss) - expected.loss.item()) <= 1e-5
    # Saved from TensorFlow, loaded back in PyTorch: the same model.
    model.save_pretrained(tmp_path / "tf")
    again = type(pt).from_pretrained(tmp_path / "tf")
    assert again.load_report.ok, again.load_report.describe()
    for name, tensor in pt.state_dict().items():
        np.testing.assert_array_equal(again.state_dict()[name].numpy(), tensor.numpy(), err_msg=name)


def test_kv_cache_decoding_equals_full_forward():
    kwargs = config_kwargs("gelu-h32-l2", "causal-lm")
    model = modeling_tf.TFBertLMHeadModel.from_config(BertConfig(**kwargs), seed=0)
    ids = make_inputs(kwargs, "causal-lm")["input_ids"]
    full = model(input_ids=ids).logits
    step = model(input_ids=ids[:, :5], use_cache=True)
    pieces, past = [step.logits], step.past_key_values
    for position in range(5, LENGTH):
        step = model(input_ids=ids[:, position:position + 1], past_key_values=past, use_cache=True)
        pieces.append(step.logits)
        past = step.past_key_values
    np.testing.assert_allclose(to_numpy(tf.concat(pieces, axis=1)), to_numpy(full), atol=1e-5)


def test_xla_compiled_forward_matches_eager():
    kwargs = config_kwargs("gelu-h32-l2", "masked-lm")
    model = modeling_tf.TFBertForMaskedLM.from_config(BertConfig(**kwargs), seed=0)
    inputs = {k: tf.constant(v) for k, v in make_inputs(kwargs, "masked-lm").items()}
    compiled = tf.function(lambda batch: model(**batch, training=False).logits, jit_compile=True)
    np.testing.assert_allclose(to_numpy(compiled(inputs)), to_numpy(model(**inputs).logits), atol=1e-5)


def test_fit_lowers_the_internal_loss():
    kwargs = dict(config_kwargs("gelu-h32-l2", "sequence-classification"), hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0)
    model = modeling_tf.TFBertForSequenceClassification.from_config(BertConfig(**kwargs), seed=0)
    batch = {**make_inputs(kwargs, "sequence-classification"), **make_labels(kwargs, "sequence-classification")}
    from plugformers_sdk.tf import keras

    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(batch, epochs=4, batch_size=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
