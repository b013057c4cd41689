"""GPT-2 in Flax (NNX): agreement with our PyTorch models on the same checkpoint, Transformers
4.57.6's Flax classes (saved references), decoding with a cache under ``nnx.jit``, training."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax", reason="JAX not installed: pip install 'plugformers-gpt2[flax]'")
pytest.importorskip("flax", reason="Flax not installed: pip install 'plugformers-gpt2[flax]'")
torch = pytest.importorskip("torch", reason="PyTorch (the reference framework) not installed: "
                                           "pip install 'plugformers-gpt2[torch]'")

import jax.numpy as jnp  # noqa: E402
from flax import nnx  # noqa: E402
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

from plugformers_gpt2 import modeling_flax, modeling_torch  # noqa: E402


def _jnp_inputs(inputs: dict, *, with_positions: bool = True) -> dict:
    return {k: jnp.asarray(v) for k, v in inputs.items() if with_positions or k != "position_ids"}


def _flax_class(head: str):
    return getattr(modeling_flax, "Flax" + HEADS[head])


@nnx.jit(static_argnames=("use_cache",))
def _jitted(model, inputs, use_cache=False):
    """A forward pass under nnx.jit (decoding repeats shapes: one compilation each, then fast)."""
    return model(**inputs, use_cache=use_cache)


def _loaded(head: str, case: str, directory, seed: int):
    """Our PyTorch model with random weights saved to ``directory``, loaded by the Flax class."""
    reference = random_torch_model(head, gpt2_config(case), seed=seed)
    reference.save_pretrained(directory)
    model = _flax_class(head).from_pretrained(directory)
    assert model.load_report.ok, model.load_report.describe()
    return reference, model


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("case", list(CONFIGS))
def test_agrees_with_pytorch_on_the_same_checkpoint(tmp_path, case, head):
    """Our PyTorch model saves, the Flax model loads it (nothing missing or unexpected) and every
    output agrees at real tokens (token type ids included); position ids given or derived from the
    mask alike."""
    seed = list(HEADS).index(head) + 40
    reference, model = _loaded(head, case, tmp_path, seed)
    inputs = make_inputs(CONFIGS[case], head, seed)
    inputs["token_type_ids"] = (np.arange(LENGTH) >= LENGTH // 2).astype(np.int64) * np.ones_like(inputs["input_ids"])
    with torch.no_grad():
        expected = reference(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    expected = {k: v for k, v in expected.items() if k != "past_key_values"}
    assert_outputs_close(model(**_jnp_inputs(inputs)), expected, inputs["attention_mask"], head=head,
                         what="flax:")
    derived = model(**_jnp_inputs(inputs, with_positions=False))
    assert_outputs_close(derived, expected, inputs["attention_mask"], head=head, what="flax derived positions:")


@pytest.mark.parametrize("head", ["causal-lm", "double-heads", "token-classification"])
def test_flax_checkpoints_load_in_pytorch(tmp_path, head):
    """A Flax model saves canonical safetensors (tied lm_head once); Transformers loads them
    cleanly and our PyTorch model gives the same outputs."""
    config = gpt2_config("gelu_new-h32-l2")
    model = _flax_class(head).from_config(config, seed=3)
    model.eval()
    model.save_pretrained(tmp_path)
    assert_transformers_loads_cleanly(tmp_path, head)
    reloaded = getattr(modeling_torch, HEADS[head]).from_pretrained(tmp_path)
    assert reloaded.load_report.ok, reloaded.load_report.describe()
    inputs = make_inputs(CONFIGS["gelu_new-h32-l2"], head, seed=3)
    ours = model(**_jnp_inputs(inputs))
    with torch.no_grad():
        theirs = reloaded(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    assert_outputs_close(theirs, {k: ours[k] for k in ours if k != "past_key_values"}, inputs["attention_mask"],
                         head=head)


@pytest.mark.oracle
@pytest.mark.parametrize("left_padded", [False, True], ids=["right-padded", "left-padded"])
@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("case", list(CONFIGS))
def test_matches_transformers_4_57_flax(case, head, left_padded):
    """Transformers 4.57.6's Flax classes on the checkpoints of tests/oracle/gpt2_references.py."""
    directory, inputs, outputs = oracle_reference(case, head, "flax", left_padded=left_padded)
    model = _flax_class(head).from_pretrained(directory)
    assert model.load_report.ok, model.load_report.describe()
    real_tokens_only = inputs["attention_mask"] if left_padded else None
    assert_outputs_close(model(**_jnp_inputs(inputs)), outputs, real_tokens_only, head=head,
                         what="4.57.6 flax:")


def test_incremental_decoding_under_jit_matches_full_forward(tmp_path):
    """Prefix with use_cache, then one token at a time (jitted) with past_key_values and a growing
    mask (left padding included): the logits equal the full forward pass's."""
    _, model = _loaded("causal-lm", "gelu_new-h32-l2", tmp_path, seed=5)
    config = model.config
    inputs = make_inputs(CONFIGS["gelu_new-h32-l2"], "causal-lm", seed=5)
    ids = jnp.asarray(inputs["input_ids"][:2])  # full and left-padded rows
    mask = jnp.asarray(inputs["attention_mask"][:2])
    prefix = LENGTH - 2
    full = _jitted(model, {"input_ids": ids, "attention_mask": mask}).logits
    step = _jitted(model, {"input_ids": ids[:, :prefix], "attention_mask": mask[:, :prefix]}, use_cache=True)
    logits, past = [step.logits], step.past_key_values
    for t in range(prefix, LENGTH):
        inputs_t = {"input_ids": ids[:, t:t + 1], "attention_mask": mask[:, :t + 1], "past_key_values": past}
        step = _jitted(model, inputs_t, use_cache=True)
        logits.append(step.logits)
        past = step.past_key_values
    incremental = np.asarray(jnp.concatenate(logits, axis=1))
    assert past[0][0].shape == (2, config.n_head, LENGTH, config.head_dim)
    keep = inputs["attention_mask"][:2].astype(bool)
    assert np.max(np.abs(incremental - np.asarray(full))[keep]) < 1e-5


def test_training_steps_lower_the_loss(tmp_path):
    optax = pytest.importorskip("optax", reason="optax not installed: pip install 'plugformers-gpt2[flax]'")
    from plugformers_sdk.flax import create_optimizer, train_step

    _, model = _loaded("double-heads", "gelu_new-h32-l2", tmp_path, seed=8)
    model.train()
    inputs = make_inputs(CONFIGS["gelu_new-h32-l2"], "double-heads", seed=8)
    batch = {**_jnp_inputs(inputs, with_positions=False), "labels": jnp.asarray(inputs["input_ids"]),
             "mc_labels": jnp.asarray([0, 1])}
    optimizer = create_optimizer(model, optax.adam(1e-2))
    losses = [float(train_step(model, optimizer, batch)) for _ in range(3)]
    assert losses[-1] < losses[0]
