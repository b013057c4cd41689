"""Flax BERT: parity with Transformers 4.57.6's Flax classes (saved references, see
tests/oracle/bert_references.py), agreement with our PyTorch variant on the same weights for every
head (outputs and losses, checkpoints both ways), the KV cache, ``nnx.jit`` and a training step."""

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

pytest.importorskip("flax", reason="Flax not installed: pip install 'plugformers-bert[flax]'")

import jax.numpy as jnp  # noqa: E402
from flax import nnx  # noqa: E402

from plugformers_bert import modeling_flax  # noqa: E402
from plugformers_bert.configuration import BertConfig  # noqa: E402


def _flax_class(head: str):
    return getattr(modeling_flax, "Flax" + HEADS[head])


def _jax(arrays: dict) -> dict:
    return {k: jnp.asarray(v) for k, v in arrays.items()}


def _random_model(cls, kwargs: dict, directory, seed: int = 0):
    """``cls`` loaded from a checkpoint of random NumPy weights: much faster than ``from_config``,
    whose eager random initialisation compiles one kernel per tensor shape."""
    from plugformers.checkpoint import save_checkpoint

    config = BertConfig(**kwargs)
    shapes = {name: t.shape for name, t in nnx.eval_shape(lambda: cls(config, rngs=nnx.Rngs(0)))
              .canonical_tensor_map().items()}
    rng = np.random.default_rng(seed)
    tensors = {name: (rng.normal(size=shape) * 0.1 + (1.0 if "LayerNorm.weight" in name else 0.0)).astype(np.float32)
               for name, shape in shapes.items()}
    config.save_pretrained(directory)
    save_checkpoint(tensors, directory)
    model = cls.from_pretrained(directory)
    assert model.load_report.ok, model.load_report.describe()
    return model


def _forward(model, batch):
    # Eager: JAX caches each compiled primitive across tests, which is faster here than compiling
    # every model under nnx.jit (test_nnx_jit_forward_matches_eager covers compilation).
    return model(**batch)


@pytest.mark.oracle
@pytest.mark.parametrize("name", ORACLE_CASES)
def test_matches_transformers_flax_reference(name):
    directory, head, inputs, reference = oracle_case(name, "flax")
    model = _flax_class(head).from_pretrained(directory)
    assert model.load_report.ok, model.load_report.describe()
    assert_close(outputs_of(_forward(model, _jax(inputs))), reference, name)


def _torch_pair(head: str, kwargs: dict, tmp_path):
    """(torch, our torch model with random weights, the same weights loaded in Flax)."""
    torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-framework checks need it")
    from plugformers_bert import modeling_torch

    pt = getattr(modeling_torch, HEADS[head]).from_config(BertConfig(**kwargs), seed=0)
    randomise_torch(pt, 5)
    pt.save_pretrained(tmp_path / "pt")
    model = _flax_class(head).from_pretrained(tmp_path / "pt")
    assert model.load_report.ok, model.load_report.describe()
    return torch, pt.eval(), model


@pytest.mark.parametrize("head", list(HEADS))
def test_agrees_with_pytorch_outputs_losses_and_checkpoints(head, tmp_path):
    kwargs = config_kwargs("gelu_new-h48-l3", head)
    torch, pt, model = _torch_pair(head, kwargs, tmp_path)
    inputs = {**make_inputs(kwargs, head), **make_labels(kwargs, head)}
    with torch.no_grad():
        expected = pt(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    got = _forward(model, _jax(inputs))
    assert_close(outputs_of(got), outputs_of(expected), f"flax vs pt {head}")
    if head != "base":
        assert abs(float(got.loss) - expected.loss.item()) <= 1e-5
    model.save_pretrained(tmp_path / "flax")
    again = type(pt).from_pretrained(tmp_path / "flax")
    assert again.load_report.ok, again.load_report.describe()
    for name, tensor in pt.state_dict().items():
        np.testing.assert_array_equal(again.state_dict()[name].numpy(), tensor.numpy(), err_msg=name)


def test_kv_cache_decoding_equals_full_forward(tmp_path):
    kwargs = config_kwargs("relu-h24-l1", "causal-lm")
    model = _random_model(modeling_flax.FlaxBertLMHeadModel, kwargs, tmp_path)
    ids = jnp.asarray(make_inputs(kwargs, "causal-lm")["input_ids"])
    full = model(input_ids=ids).logits
    first = model(input_ids=ids[:, :LENGTH - 1], use_cache=True)
    last = model(input_ids=ids[:, LENGTH - 1:], past_key_values=first.past_key_values, use_cache=True)
    assert last.past_key_values[0][0].shape[2] == LENGTH
    np.testing.assert_allclose(to_numpy(jnp.concatenate([first.logits, last.logits], axis=1)), to_numpy(full),
                               atol=1e-5)


def test_tied_decoder_shares_the_embedding_table(tmp_path):
    from safetensors import safe_open

    model = _random_model(modeling_flax.FlaxBertForMaskedLM, config_kwargs("gelu-h32-l2", "masked-lm"),
                          tmp_path / "random")
    assert model.cls.predictions.decoder.tied_embedding is model.bert.embeddings.word_embeddings
    model.save_pretrained(tmp_path)
    with safe_open(tmp_path / "model.safetensors", "np") as f:
        keys = set(f.keys())
    assert "cls.predictions.bias" in keys and "cls.predictions.decoder.weight" not in keys


def test_nnx_jit_forward_matches_eager(tmp_path):
    kwargs = config_kwargs("gelu-h32-l2", "masked-lm")
    model = _random_model(modeling_flax.FlaxBertForMaskedLM, kwargs, tmp_path)
    batch = _jax(make_inputs(kwargs, "masked-lm"))
    compiled = nnx.jit(lambda m, b: m(**b).logits)
    np.testing.assert_allclose(to_numpy(compiled(model, batch)), to_numpy(model(**batch).logits), atol=1e-5)


def test_training_step_lowers_the_loss(tmp_path):
    import optax

    from plugformers_sdk.flax import create_optimizer, train_step

    kwargs = dict(config_kwargs("relu-h24-l1", "sequence-classification"), hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0)
    model = _random_model(modeling_flax.FlaxBertForSequenceClassification, kwargs, tmp_path)
    model.train()
    optimizer = create_optimizer(model, optax.adam(1e-2))
    batch = _jax({**make_inputs(kwargs, "sequence-classification"),
                  **make_labels(kwargs, "sequence-classification")})
    losses = [float(train_step(model, optimizer, batch)) for _ in range(4)]
    assert losses[-1] < losses[0]
