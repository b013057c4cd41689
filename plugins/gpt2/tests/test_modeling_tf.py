"""GPT-2 in TensorFlow: agreement with our PyTorch models on the same checkpoint, Transformers
4.57.6's TF classes (saved references), decoding with a cache, XLA, fit."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="TensorFlow not installed: pip install 'plugformers-gpt2[tf]'")
torch = pytest.importorskip("torch", reason="PyTorch (the reference framework) not installed: "
                                           "pip install 'plugformers-gpt2[torch]'")

from gpt2_test_cases import (  # noqa: E402
    CONFIGS,
    HEADS,
    LENGTH,
    assert_outputs_close,
    assert_transformers_loads_cleanly,
    gpt2_config,
    make_inputs,
    oracle_reference,
    random_torch_model,
)

from plugformers_gpt2 import modeling_tf, modeling_torch  # noqa: E402
from plugformers_sdk.tf import keras, tf  # noqa: E402


def _tf_inputs(inputs: dict, *, with_positions: bool = True) -> dict:
    return {k: tf.constant(v, dtype=tf.int32) for k, v in inputs.items() if with_positions or k != "position_ids"}


def _tf_class(head: str):
    return getattr(modeling_tf, "TF" + HEADS[head])


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("case", list(CONFIGS))
def test_agrees_with_pytorch_on_the_same_checkpoint(tmp_path, case, head):
    """Our PyTorch model saves, the TF model loads it (nothing missing or unexpected) and every
    output agrees at real tokens (token type ids included); position ids given or derived from the
    mask alike."""
    seed = list(HEADS).index(head) + 20
    reference = random_torch_model(head, gpt2_config(case), seed=seed)
    reference.save_pretrained(tmp_path)
    model = _tf_class(head).from_pretrained(tmp_path)
    assert model.load_report.ok, model.load_report.describe()
    inputs = make_inputs(CONFIGS[case], head, seed)
    inputs["token_type_ids"] = (np.arange(LENGTH) >= LENGTH // 2).astype(np.int64) * np.ones_like(inputs["input_ids"])
    with torch.no_grad():
        expected = reference(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    expected = {k: v for k, v in expected.items() if k != "past_key_values"}
    assert_outputs_close(model(**_tf_inputs(inputs)), expected, inputs["attention_mask"], head=head, what="tf:")
    derived = model(**_tf_inputs(inputs, with_positions=False))
    assert_outputs_close(derived, expected, inputs["attention_mask"], head=head, what="tf derived positions:")


@pytest.mark.parametrize("head", ["causal-lm", "double-heads", "sequence-classification"])
def test_tf_checkpoints_load_in_pytorch(tmp_path, head):
    """A TF model saves canonical safetensors (tied lm_head once); Transformers loads them
    cleanly and our PyTorch model gives the same outputs."""
    config = gpt2_config("gelu_new-h32-l2")
    model = _tf_class(head).from_config(config, seed=3)
    model.save_pretrained(tmp_path)
    assert_transformers_loads_cleanly(tmp_path, head)
    reloaded = getattr(modeling_torch, HEADS[head]).from_pretrained(tmp_path)
    assert reloaded.load_report.ok, reloaded.load_report.describe()
    inputs = make_inputs(CONFIGS["gelu_new-h32-l2"], head, seed=3)
    ours = model(**_tf_inputs(inputs))
    with torch.no_grad():
        theirs = reloaded(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    assert_outputs_close(theirs, {k: ours[k] for k in ours if k != "past_key_values"}, inputs["attention_mask"],
                         head=head)


@pytest.mark.oracle
@pytest.mark.parametrize("left_padded", [False, True], ids=["right-padded", "left-padded"])
@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("case", list(CONFIGS))
def test_matches_transformers_4_57_tensorflow(case, head, left_padded):
    """Transformers 4.57.6's TF classes on the checkpoints of tests/oracle/gpt2_references.py."""
    directory, inputs, outputs = oracle_reference(case, head, "tf", left_padded=left_padded)
    model = _tf_class(head).from_pretrained(directory)
    assert model.load_report.ok, model.load_report.describe()
    real_tokens_only = inputs["attention_mask"] if left_padded else None
    assert_outputs_close(model(**_tf_inputs(inputs)), outputs, real_tokens_only, head=head,
                         what="4.57.6 tf:")


def test_incremental_decoding_matches_full_forward():
    config = gpt2_config("gelu-h48-l3")
    model = modeling_tf.TFGPT2LMHeadModel.from_config(config, seed=5)
    inputs = make_inputs(CONFIGS["gelu-h48-l3"], "causal-lm", seed=5)
    ids = tf.constant(inputs["input_ids"][:2], tf.int32)  # full and left-padded rows
    mask = tf.constant(inputs["attention_mask"][:2], tf.int32)
    prefix = LENGTH - 3
    full = model(ids, attention_mask=mask).logits
    step = model(ids[:, :prefix], attention_mask=mask[:, :prefix], use_cache=True)
    logits, past = [step.logits], step.past_key_values
    for t in range(prefix, LENGTH):
        step = model(ids[:, t:t + 1], attention_mask=mask[:, :t + 1], past_key_values=past, use_cache=True)
        logits.append(step.logits)
        past = step.past_key_values
    incremental = tf.concat(logits, axis=1).numpy()
    assert tuple(past[0][0].shape) == (2, config.n_head, LENGTH, config.head_dim)
    keep = inputs["attention_mask"][:2].astype(bool)
    assert np.max(np.abs(incremental - full.numpy())[keep]) < 1e-5


def test_xla_compiled_forward_and_decode_step_match_eager():
    model = modeling_tf.TFGPT2LMHeadModel.from_config(gpt2_config("gelu_new-h32-l2"), seed=6)
    inputs = make_inputs(CONFIGS["gelu_new-h32-l2"], "causal-lm", seed=6)
    ids, mask = tf.constant(inputs["input_ids"], tf.int32), tf.constant(inputs["attention_mask"], tf.int32)

    @tf.function(jit_compile=True)
    def forward(ids, mask):
        return model(ids, attention_mask=mask, use_cache=True)

    compiled = forward(ids, mask)
    eager = model(ids, attention_mask=mask, use_cache=True)
    np.testing.assert_allclose(compiled.logits.numpy(), eager.logits.numpy(), atol=1e-5)

    @tf.function(jit_compile=True)
    def step(token, mask, past):
        return model(token, attention_mask=mask, past_key_values=past, use_cache=True).logits

    token = tf.constant([[5], [6], [7]], tf.int32)
    longer = tf.concat([mask, tf.ones((3, 1), tf.int32)], axis=1)
    expected = model(token, attention_mask=longer, past_key_values=eager.past_key_values).logits
    np.testing.assert_allclose(step(token, longer, compiled.past_key_values).numpy(), expected.numpy(), atol=1e-5)


def test_fit_lowers_the_internal_loss():
    model = modeling_tf.TFGPT2ForSequenceClassification.from_config(gpt2_config("gelu_new-h32-l2"), seed=7)
    inputs = make_inputs(CONFIGS["gelu_new-h32-l2"], "sequence-classification", seed=7)
    data = {"input_ids": inputs["input_ids"].astype(np.int32),
            "attention_mask": inputs["attention_mask"].astype(np.int32), "labels": np.array([0, 1, 1], np.int32)}
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(data, epochs=4, batch_size=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
