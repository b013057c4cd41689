"""PreTrainedModel: canonical walk, Transformers parity, save/load, load report, dtype, jit."""

from __future__ import annotations

import json
import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from plugformers.configuration import PretrainedConfig
from plugformers.errors import CheckpointError, ConfigError
from plugformers.outputs import CausalLMOutputWithPast
from plugformers_sdk.flax import Linear, walk_canonical
from plugformers_sdk.flax.initialization import seed_key

IDS = np.random.default_rng(0).integers(0, 64, (2, 7))
MASK = np.array([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]])


@nnx.jit
def run(model, ids, mask=None):
    """The forward pass, compiled (much faster than op-by-op eager dispatch, even for one call)."""
    return model(ids, mask)


@pytest.fixture(scope="module")
def untied(tiny):
    return tiny.TinyLlamaForCausalLM.from_config(tiny.TinyLlamaConfig(), seed=1)


@pytest.fixture(scope="module")
def tied(tiny):
    return tiny.TinyLlamaForCausalLM.from_config(tiny.TinyLlamaConfig(tie_word_embeddings=True), seed=2)


def oracle(tiny, model):
    """Transformers' LlamaForCausalLM with the model's canonical weights."""
    transformers = pytest.importorskip("transformers", reason="transformers (oracle) is not installed")
    torch = pytest.importorskip("torch")
    hf = transformers.LlamaForCausalLM(tiny.hf_config(model.config)).eval()
    state = {k: torch.from_numpy(np.array(v)) for k, v in model.canonical_state_dict().items()}
    result = hf.load_state_dict(state, strict=False)
    assert not result.unexpected_keys
    assert set(result.missing_keys) <= {"lm_head.weight"}  # the tied copy
    return hf


def hf_logits(hf, ids=IDS, mask=MASK):
    import torch

    with torch.no_grad():
        return hf(torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()


@pytest.mark.oracle
@pytest.mark.parametrize("which", ["untied", "tied"])
def test_canonical_names_and_logits_match_transformers(tiny, which, request):
    model = request.getfixturevalue(which)
    hf = oracle(tiny, model)
    assert set(model.canonical_state_dict()) == set(hf.state_dict())
    saved = set(model.canonical_state_dict(include_tied=False))
    assert saved == set(hf.state_dict()) - ({"lm_head.weight"} if which == "tied" else set())
    np.testing.assert_allclose(run(model, IDS, MASK).logits, hf_logits(hf), atol=1e-5)
    assert model.num_parameters() == hf.num_parameters()


def test_canonical_layouts_are_pytorch(untied):
    state = untied.canonical_state_dict()
    assert state["model.layers.0.self_attn.q_proj.weight"].shape == (32, 32)
    assert state["model.layers.0.self_attn.k_proj.weight"].shape == (16, 32)  # 2 kv heads of 8
    assert state["model.layers.0.mlp.gate_proj.weight"].shape == (48, 32)
    kernel = untied.model.layers[0].mlp.gate_proj.kernel.get_value()
    np.testing.assert_array_equal(state["model.layers.0.mlp.gate_proj.weight"], np.asarray(kernel).T)


def test_bare_params_are_canonical_under_their_attribute_name():
    class Head(nnx.Module):
        def __init__(self, rngs):
            self.decoder = Linear(4, 6, bias=False, rngs=rngs)
            self.bias = nnx.Param(jnp.zeros((6,)))
            self.cache = nnx.Cache(jnp.zeros((3,)))  # not a parameter: not saved

    names = [name for name, _ in walk_canonical(Head(nnx.Rngs(0)), "cls.predictions.")]
    assert names == ["cls.predictions.decoder.weight", "cls.predictions.bias"]


def test_tied_head_shares_the_embedding(tied):
    assert tied.get_output_embeddings() is tied.lm_head
    assert tied.get_input_embeddings() is tied.model.embed_tokens
    assert tied.base_model is tied.model
    state = tied.canonical_state_dict()
    assert state["lm_head.weight"] is state["model.embed_tokens.weight"]
    assert tied.num_parameters() - tied.num_parameters(exclude_embeddings=True) == 64 * 32
    assert tied.lm_head.tied_embedding is tied.model.embed_tokens
    hidden = jnp.ones((1, 32))
    np.testing.assert_allclose(tied.lm_head(hidden), hidden @ tied.model.embed_tokens.weight.get_value().T, atol=1e-6)
    grads = nnx.jit(nnx.grad(lambda m: m(jnp.asarray(IDS)).logits.sum()))(tied)
    tables = [v.get_value() for _, v in nnx.to_flat_state(grads) if v.get_value().shape in ((64, 32), (32, 64))]
    assert len(tables) == 1  # one shared variable, one gradient (lookup + head contributions summed)
    assert float(jnp.abs(tables[0]).sum()) > 0


def test_save_and_load_round_trip(tiny, untied, tmp_path):
    written = untied.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    assert sorted(p.name for p in written) == ["config.json", "model.safetensors"]
    saved_config = json.loads((tmp_path / "config.json").read_text())
    assert saved_config["architectures"] == ["TinyLlamaForCausalLM"] and saved_config["torch_dtype"] == "float32"
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert loaded.load_report.ok
    assert loaded.config.vocab_size == untied.config.vocab_size
    before, after = untied.canonical_state_dict(), loaded.canonical_state_dict()
    assert set(before) == set(after)  # (order: module-tree order, alphabetical per level once rebuilt by NNX)
    for name in before:
        np.testing.assert_array_equal(before[name], after[name], err_msg=name)
    np.testing.assert_array_equal(run(loaded, IDS).logits, run(untied, IDS).logits)


def test_tied_model_saves_the_source_once_and_transformers_loads_it(tiny, tied, tmp_path):
    transformers = pytest.importorskip("transformers", reason="transformers (oracle) is not installed")
    tied.save_pretrained(tmp_path)
    from plugformers.checkpoint import CheckpointReader

    with CheckpointReader.open(tmp_path) as reader:
        assert "lm_head.weight" not in reader.keys() and "model.embed_tokens.weight" in reader.keys()
    hf = transformers.LlamaForCausalLM.from_pretrained(tmp_path, config=tiny.hf_config(tied.config)).eval()
    np.testing.assert_allclose(run(tied, IDS, MASK).logits, hf_logits(hf), atol=1e-5)


@pytest.mark.oracle
def test_loads_what_transformers_saves(tiny, tmp_path):
    transformers = pytest.importorskip("transformers", reason="transformers (oracle) is not installed")
    torch = pytest.importorskip("torch")
    config = tiny.TinyLlamaConfig(tie_word_embeddings=True)
    torch.manual_seed(0)
    hf = transformers.LlamaForCausalLM(tiny.hf_config(config)).eval()
    hf.save_pretrained(tmp_path)
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, config=config)
    assert loaded.load_report.ok, loaded.load_report.describe()
    np.testing.assert_allclose(run(loaded, IDS, MASK).logits, hf_logits(hf), atol=1e-5)


def test_from_pretrained_never_builds_concrete_weights(tiny, untied, tmp_path, monkeypatch):
    untied.save_pretrained(tmp_path)
    concrete = []
    original = tiny.TinyLlamaForCausalLM.__init__

    def spy(self, config, *, rngs):
        original(self, config, rngs=rngs)
        concrete.append(isinstance(self.lm_head.kernel.get_value(), jax.Array))  # a placeholder is not

    monkeypatch.setattr(tiny.TinyLlamaForCausalLM, "__init__", spy)
    tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert concrete and not any(concrete)


def test_head_loads_a_base_checkpoint_and_initialises_the_head(tiny, tmp_path, caplog):
    base = tiny.TinyLlamaModel.from_config(tiny.TinyLlamaConfig(), seed=3)
    base.save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING):
        head = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert head.load_report.missing == ["lm_head.weight"]
    assert "lm_head.weight" in caplog.text and "newly initialized" in caplog.text
    weight = head.canonical_state_dict()["lm_head.weight"]
    assert np.all(np.isfinite(weight)) and 0.005 < weight.std() < 0.05  # normal(0, 0.02) init
    np.testing.assert_array_equal(head.canonical_state_dict()["model.norm.weight"],
                                  base.canonical_state_dict()["norm.weight"])


def test_base_model_loads_a_head_checkpoint_and_reports_the_rest(tiny, untied, tmp_path):
    untied.save_pretrained(tmp_path)
    base = tiny.TinyLlamaModel.from_pretrained(tmp_path)
    assert base.load_report.unexpected == ["lm_head.weight"] and not base.load_report.missing
    np.testing.assert_array_equal(base.canonical_state_dict()["embed_tokens.weight"],
                                  untied.canonical_state_dict()["model.embed_tokens.weight"])


def test_mis_shaped_tensors_are_a_checkpoint_error_naming_each(tiny, untied, tmp_path):
    untied.save_pretrained(tmp_path)
    with pytest.raises(CheckpointError) as error:
        tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, vocab_size=80)
    assert "model.embed_tokens.weight" in str(error.value) and "lm_head.weight" in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_load_canonical_state_dict_reports_and_strict_raises(tiny, untied):
    model = tiny.TinyLlamaForCausalLM.from_config(tiny.TinyLlamaConfig(), seed=9)
    state = untied.canonical_state_dict()
    state.pop("model.norm.weight")
    state["extra.weight"] = np.zeros(3, np.float32)
    report = model.load_canonical_state_dict(state)
    assert report.missing == ["model.norm.weight"] and report.unexpected == ["extra.weight"]
    np.testing.assert_array_equal(model.canonical_state_dict()["lm_head.weight"], state["lm_head.weight"])
    with pytest.raises(CheckpointError, match="model.norm.weight"):
        model.load_canonical_state_dict(state, strict=True)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_low_precision_from_config_and_from_pretrained(tiny, untied, tmp_path, dtype):
    target = jnp.dtype(dtype)
    untied.save_pretrained(tmp_path)
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, dtype=dtype)
    params = nnx.to_flat_state(nnx.state(loaded, nnx.Param))
    assert {variable.get_value().dtype for _, variable in params} == {target}
    logits = run(loaded, IDS).logits
    assert logits.dtype == target
    np.testing.assert_allclose(np.asarray(logits, np.float32), run(untied, IDS).logits, atol=0.05)
    loaded.save_pretrained(tmp_path / "half")
    assert json.loads((tmp_path / "half" / "config.json").read_text())["torch_dtype"] == dtype
    again = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path / "half", dtype="auto")
    assert again.model.norm.weight.get_value().dtype == target
    fresh = tiny.TinyLlamaForCausalLM.from_config(tiny.TinyLlamaConfig(), dtype=dtype)
    assert fresh.lm_head.kernel.get_value().dtype == target


def test_bad_dtype_and_wrong_config_class_are_config_errors(tiny):
    with pytest.raises(ConfigError, match="dtype='float8'"):
        tiny.TinyLlamaForCausalLM.from_config(tiny.TinyLlamaConfig(), dtype="float8")

    with pytest.raises(ConfigError, match="needs a TinyLlamaConfig"):
        tiny.TinyLlamaForCausalLM(PretrainedConfig(), rngs=nnx.Rngs(0))


def test_forward_runs_under_nnx_jit_without_retracing(untied):
    traces = []

    @nnx.jit
    def forward(model, ids, mask):
        traces.append(1)
        return model(ids, mask)

    eager = untied(jnp.asarray(IDS[:1, :3]), jnp.asarray(MASK[:1, :3]))
    for seed in range(3):
        ids = np.random.default_rng(seed).integers(0, 64, IDS.shape)
        out = forward(untied, jnp.asarray(ids), jnp.asarray(MASK))
    assert len(traces) == 1
    assert isinstance(out, CausalLMOutputWithPast) and list(out.keys()) == ["logits"]
    assert len(traces) == 1
    small = forward(untied, jnp.asarray(IDS[:1, :3]), jnp.asarray(MASK[:1, :3]))  # new shapes: one new trace
    np.testing.assert_allclose(small.logits, eager.logits, atol=1e-5)
    assert len(traces) == 2


def test_cached_decoding_under_jit_equals_the_full_pass(untied):
    step = nnx.jit(lambda model, ids, past: model(ids, past_key_values=past, use_cache=True))
    full = run(untied, IDS).logits
    out = step(untied, jnp.asarray(IDS[:, :5]), None)
    logits, past = [out.logits], out.past_key_values
    for t in range(5, IDS.shape[1]):
        out = step(untied, jnp.asarray(IDS[:, t:t + 1]), past)
        logits.append(out.logits)
        past = out.past_key_values
    assert len(past) == 2 and past[0][0].shape == (2, 2, 7, 8)
    np.testing.assert_allclose(jnp.concatenate(logits, axis=1), full, atol=1e-5)


def test_from_config_is_in_eval_mode_and_uses_the_config_initializer_range(tiny):
    config = tiny.TinyLlamaConfig(initializer_range=0.5, attention_dropout=0.5)
    model = tiny.TinyLlamaForCausalLM.from_config(config)
    assert model.model.layers[0].self_attn.attention_dropout.deterministic
    assert 0.4 < float(jnp.std(model.lm_head.kernel.get_value())) < 0.6
    assert 0.4 < float(jnp.std(model.model.embed_tokens.weight.get_value())) < 0.6
    np.testing.assert_array_equal(model.model.norm.weight.get_value(), 1.0)
    np.testing.assert_array_equal(Linear(3, 4, rngs=nnx.Rngs(0)).bias.get_value(), 0.0)
    assert 0.01 < float(jnp.std(Linear(64, 64, rngs=nnx.Rngs(0)).kernel.get_value())) < 0.03  # outside a model


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**31 - 1, -3])
def test_seed_key_is_jax_random_key(seed):
    made = seed_key(seed)
    assert jax.random.key_impl(made) == jax.random.key_impl(jax.random.key(seed))
    np.testing.assert_array_equal(jax.random.key_data(made), jax.random.key_data(jax.random.key(seed)))


def test_from_pretrained_rng_stream_is_seeded_like_jax_random_key(tiny, untied, tmp_path):
    untied.save_pretrained(tmp_path)
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, seed=7)
    keys = [np.asarray(jax.random.key_data(v.get_value())) for _, v in nnx.to_flat_state(nnx.state(loaded, nnx.RngKey))]
    assert len(keys) == 1  # dropout layers share the model's stream after loading
    np.testing.assert_array_equal(keys[0], jax.random.key_data(jax.random.key(7)))


def test_owned_assign_adopts_aligned_memory_and_unowned_copies():
    from plugformers.checkpoint.aligned import aligned_copy

    layer = Linear(4, 6, rngs=nnx.Rngs(0))
    (name, tensor), *_ = [(n, t) for n, t in walk_canonical(layer) if n == "bias"]
    source = aligned_copy(np.arange(6, dtype=np.float32))
    tensor.assign(source, jnp.float32, owned=True)
    assert tensor.variable.get_value().unsafe_buffer_pointer() == source.ctypes.data  # no copy
    copied = aligned_copy(np.arange(6, dtype=np.float32))
    tensor.assign(copied, jnp.float32)
    assert tensor.variable.get_value().unsafe_buffer_pointer() != copied.ctypes.data
    copied[:] = -1  # the variable holds its own copy
    np.testing.assert_array_equal(tensor.variable.get_value(), np.arange(6, dtype=np.float32))
    tensor.assign(np.arange(6, dtype=np.float64), jnp.float32, owned=True)  # cast first, then adopted
    assert tensor.variable.get_value().dtype == jnp.float32
