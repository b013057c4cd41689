"""The TensorFlow PreTrainedModel on a tiny Llama-shaped model built from the SDK layers.

The tiny model mirrors Transformers' LlamaForCausalLM module tree, so Transformers (the PyTorch
oracle) checks our canonical names, loads what we save and saves what we load; the rest covers
the load report, dtypes, XLA compilation, ``fit`` on the internal loss and ``export``.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from plugformers.configuration import PretrainedConfig  # noqa: E402
from plugformers.errors import CheckpointError, ConfigError, PluginError  # noqa: E402
from plugformers.outputs import BaseModelOutputWithPast, CausalLMOutputWithPast  # noqa: E402
from plugformers_sdk.tf import (  # noqa: E402
    CanonicalLayer,
    Embedding,
    GatedMLP,
    Linear,
    MultiHeadAttention,
    PreTrainedModel,
    RMSNorm,
    RotaryEmbedding,
    cross_entropy,
    keras,
    make_attention_mask,
    tf,
)
from plugformers_sdk.tf.initialization import build_scope  # noqa: E402


class TinyLlamaConfig(PretrainedConfig):
    model_type = "llama"
    vocab_size: int = 32
    hidden_size: int = 16
    intermediate_size: int = 24
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    hidden_act: str = "silu"
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    max_position_embeddings: int = 64
    tie_word_embeddings: bool = False


class TFTinyDecoderLayer(keras.layers.Layer):
    """A plain Keras layer (not an SDK layer): the walk must still find what it holds."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.self_attn = MultiHeadAttention(config.hidden_size, config.num_attention_heads,
                                            num_key_value_heads=config.num_key_value_heads, bias=False)
        self.mlp = GatedMLP(config.hidden_size, config.intermediate_size, config.hidden_act)
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)

    def call(self, hidden, mask, position_embeddings=None, training=False):
        attended, _ = self.self_attn(self.input_layernorm(hidden), mask, position_embeddings=position_embeddings,
                                     training=training)
        hidden = hidden + attended
        return hidden + self.mlp(self.post_attention_layernorm(hidden))


class TFTinyLlamaPreTrainedModel(PreTrainedModel):
    """As in Transformers, one base per architecture carries config_class and base_model_prefix."""

    config_class = TinyLlamaConfig
    base_model_prefix = "model"


class TFTinyLlamaModel(TFTinyLlamaPreTrainedModel):

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.embed_tokens = Embedding(config.vocab_size, config.hidden_size)
        self.layers = [TFTinyDecoderLayer(config) for _ in range(config.num_hidden_layers)]  # Keras-reserved name
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(config.hidden_size // config.num_attention_heads,
                                          max_position_embeddings=config.max_position_embeddings,
                                          base=config.rope_theta)

    def get_input_embeddings(self):
        return self.embed_tokens

    def call(self, input_ids=None, attention_mask=None, training=False):
        batch, length = tf.shape(input_ids)[0], tf.shape(input_ids)[1]
        positions = tf.broadcast_to(tf.range(length)[None, :], tf.stack([batch, length]))
        hidden = self.embed_tokens(input_ids)
        mask = make_attention_mask(attention_mask, batch_size=batch, query_length=length, key_length=length,
                                   dtype=hidden.dtype, causal=True)
        rotary = self.rotary_emb(positions, dtype=hidden.dtype)
        for layer in self.layers:
            hidden = layer(hidden, mask, position_embeddings=rotary, training=training)
        return BaseModelOutputWithPast(last_hidden_state=self.norm(hidden))


class TFTinyLlamaForCausalLM(TFTinyLlamaPreTrainedModel):
    tied_weights = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.model = TFTinyLlamaModel(config)
        self.lm_head = None if config.tie_word_embeddings else Linear(config.hidden_size, config.vocab_size,
                                                                      bias=False)

    def call(self, input_ids=None, attention_mask=None, labels=None, training=False):
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, training=training).last_hidden_state
        logits = self.model.embed_tokens.attend(hidden) if self.lm_head is None else self.lm_head(hidden)
        loss = None if labels is None else cross_entropy(logits[:, :-1], labels[:, 1:])
        return CausalLMOutputWithPast(loss=loss, logits=logits)


IDS = np.array([[3, 7, 1, 9, 30, 2], [5, 5, 8, 0, 11, 4]])
MASK = np.array([[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]])
REAL = MASK.astype(bool)


def tiny(tied=False, **kwargs):
    return TFTinyLlamaForCausalLM.from_config(TinyLlamaConfig(tie_word_embeddings=tied), **kwargs)


def oracle_llama(tied):
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    config = transformers.LlamaConfig(**{k: v for k, v in TinyLlamaConfig(tie_word_embeddings=tied).to_dict().items()
                                         if k in ("vocab_size", "hidden_size", "intermediate_size",
                                                  "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                                                  "hidden_act", "rms_norm_eps", "max_position_embeddings",
                                                  "tie_word_embeddings")})
    torch.manual_seed(0)
    return transformers.LlamaForCausalLM(config).eval(), torch


def test_canonical_names_are_transformers_names_without_a_forward_pass():
    for tied in (False, True):
        ours = tiny(tied=tied)
        oracle, _ = oracle_llama(tied)
        expected = set(oracle.state_dict()) - ({"lm_head.weight"} if tied else set())
        assert set(ours.canonical_state_dict()) == expected
        assert "model.layers.1.self_attn.k_proj.weight" in expected  # `layers` despite Keras reserving it
        shapes = {k: tuple(v.shape) for k, v in oracle.state_dict().items()}
        assert {k: v.shape for k, v in ours.canonical_state_dict().items()} == {k: shapes[k] for k in expected}
    assert ours.num_parameters() == sum(int(np.prod(s)) for k, s in shapes.items() if k != "lm_head.weight")
    assert ours.num_parameters(exclude_embeddings=True) == ours.num_parameters() - 32 * 16
    assert ours.get_input_embeddings() is ours.model.embed_tokens and ours.base_model is ours.model
    assert ours.get_output_embeddings() is None  # tied: the head projects through embed_tokens.attend
    assert tiny(tied=False).get_output_embeddings() is not None


@pytest.mark.oracle
@pytest.mark.parametrize("tied", [False, True])
def test_transformers_loads_what_we_save_and_we_load_what_it_saves(tmp_path, tied):
    oracle, torch = oracle_llama(tied)
    ours = tiny(tied=tied, seed=3)
    ours.save_pretrained(tmp_path / "ours")
    saved = json.loads((tmp_path / "ours" / "config.json").read_text())
    assert saved["architectures"] == ["TinyLlamaForCausalLM"] and saved["torch_dtype"] == "float32"
    loaded = type(oracle).from_pretrained(tmp_path / "ours").eval()
    with torch.no_grad():
        expected = loaded(torch.from_numpy(IDS), attention_mask=torch.from_numpy(MASK)).logits.numpy()
    logits = ours(input_ids=IDS, attention_mask=MASK).logits.numpy()
    np.testing.assert_allclose(logits[REAL], expected[REAL], atol=1e-5, rtol=0)

    oracle.save_pretrained(tmp_path / "theirs")
    back = TFTinyLlamaForCausalLM.from_pretrained(tmp_path / "theirs")
    assert back.load_report.ok, back.load_report.describe()
    with torch.no_grad():
        expected = oracle(torch.from_numpy(IDS), attention_mask=torch.from_numpy(MASK)).logits.numpy()
    np.testing.assert_allclose(back(IDS, attention_mask=MASK).logits.numpy()[REAL], expected[REAL], atol=1e-5,
                               rtol=0)


def test_round_trip_sharded_and_dict_inputs(tmp_path):
    model = tiny(seed=1)
    files = model.save_pretrained(tmp_path, max_shard_size=2000)
    assert (tmp_path / "model.safetensors.index.json").exists() and len(files) > 2
    back = TFTinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert back.load_report.ok
    for name, value in model.canonical_state_dict().items():
        np.testing.assert_array_equal(back.canonical_state_dict()[name], value)
    out = back({"input_ids": IDS, "attention_mask": MASK})
    assert isinstance(out, CausalLMOutputWithPast) and out.loss is None
    np.testing.assert_allclose(out.logits.numpy(), model(input_ids=IDS, attention_mask=MASK).logits.numpy(),
                               atol=1e-6)


def test_seeded_from_config_is_reproducible_and_loading_scope_draws_nothing():
    a, b, c = tiny(seed=5), tiny(seed=5), tiny(seed=6)
    sa, sb, sc = a.canonical_state_dict(), b.canonical_state_dict(), c.canonical_state_dict()
    name = "model.layers.0.self_attn.q_proj.weight"
    np.testing.assert_array_equal(sa[name], sb[name])
    assert not np.array_equal(sa[name], sc[name])
    assert not np.array_equal(sa[name], sa["model.layers.0.self_attn.k_proj.weight"][:4].repeat(4, 0)[:16])
    assert np.all(sa["model.norm.weight"] == 1)
    with build_scope(loading=True):
        empty = Linear(4, 3)
    assert not np.any(empty.kernel.numpy())


def test_load_report_missing_unexpected_mismatched(tmp_path, caplog):
    head = tiny(seed=2)
    head.save_pretrained(tmp_path / "head")
    base = TFTinyLlamaModel.from_pretrained(tmp_path / "head")  # base from a head checkpoint
    assert base.load_report.unexpected == ["lm_head.weight"] and not base.load_report.missing
    np.testing.assert_array_equal(base.canonical_state_dict()["norm.weight"],
                                  head.canonical_state_dict()["model.norm.weight"])
    base.save_pretrained(tmp_path / "base")
    with caplog.at_level(logging.WARNING):
        again = TFTinyLlamaForCausalLM.from_pretrained(tmp_path / "base")  # head from a base checkpoint
    assert again.load_report.missing == ["lm_head.weight"] and "lm_head.weight" in caplog.text
    assert np.std(again.canonical_state_dict()["lm_head.weight"]) > 0  # newly initialised, not left at zero
    np.testing.assert_array_equal(again.canonical_state_dict()["model.embed_tokens.weight"],
                                  head.canonical_state_dict()["model.embed_tokens.weight"])

    with pytest.raises(CheckpointError, match=r"model\.embed_tokens\.weight"):
        TFTinyLlamaForCausalLM.from_pretrained(tmp_path / "head", vocab_size=40)
    state = head.canonical_state_dict()
    state["extra.bias"] = np.zeros(3, np.float32)
    del state["model.norm.weight"]
    report = tiny().load_canonical_state_dict(state)
    assert report.missing == ["model.norm.weight"] and report.unexpected == ["extra.bias"]
    with pytest.raises(CheckpointError, match="model.norm.weight"):
        tiny().load_canonical_state_dict(state, strict=True)


def test_tied_head_saves_the_embedding_once_and_loads_an_untied_checkpoint_copy(tmp_path):
    model = tiny(tied=True, seed=4)
    model.save_pretrained(tmp_path)
    from plugformers.checkpoint import CheckpointReader

    with CheckpointReader.open(tmp_path) as reader:
        assert "lm_head.weight" not in reader.keys()
    logits = model(IDS).logits.numpy()
    hidden = model.model(IDS).last_hidden_state.numpy()
    np.testing.assert_allclose(logits, hidden @ model.model.embed_tokens.weight.numpy().T, atol=1e-5)
    back = TFTinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert back.load_report.ok
    np.testing.assert_allclose(back(IDS).logits.numpy(), logits, atol=1e-6)


def test_bfloat16_and_float16_models(tmp_path):
    model = tiny(seed=1)
    model.save_pretrained(tmp_path / "f32")
    reference = model(IDS, attention_mask=MASK).logits.numpy()
    for dtype, atol in (("bfloat16", 0.1), ("float16", 0.02)):
        low = TFTinyLlamaForCausalLM.from_pretrained(tmp_path / "f32", dtype=dtype)
        assert {v.dtype for v in low.weights} == {dtype}
        logits = low(IDS, attention_mask=MASK).logits
        assert logits.dtype == dtype
        np.testing.assert_allclose(tf.cast(logits, tf.float32).numpy()[REAL], reference[REAL], atol=atol)
    low.save_pretrained(tmp_path / "f16")
    assert json.loads((tmp_path / "f16" / "config.json").read_text())["torch_dtype"] == "float16"
    auto = TFTinyLlamaForCausalLM.from_pretrained(tmp_path / "f16", dtype="auto")
    assert auto.model.embed_tokens.weight.dtype == "float16"
    with pytest.raises(ConfigError, match="dtype"):
        tiny(dtype="int8")


def test_forward_compiles_with_xla_and_returns_the_output_class():
    model = tiny(seed=2)

    @tf.function(jit_compile=True)
    def forward(ids, mask, labels):
        return model(input_ids=ids, attention_mask=mask, labels=labels)

    compiled = forward(tf.constant(IDS), tf.constant(MASK), tf.constant(IDS))
    eager = model(input_ids=IDS, attention_mask=MASK, labels=IDS)
    assert isinstance(compiled, CausalLMOutputWithPast) and list(compiled.keys()) == ["loss", "logits"]
    np.testing.assert_allclose(compiled.logits.numpy(), eager.logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(compiled.loss.numpy(), eager.loss.numpy(), atol=1e-5)
    base = model.model

    @tf.function(jit_compile=True)
    def encode(ids):
        return base(ids)

    assert isinstance(encode(tf.constant(IDS)), BaseModelOutputWithPast)


def test_fit_lowers_the_internal_loss():
    model = tiny(seed=0)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 32, size=(16, 8))
    ids[:, 1::2] = (ids[:, 0::2] + 1) % 32  # learnable: every odd token follows its predecessor
    data = {"input_ids": ids, "attention_mask": np.ones_like(ids), "labels": ids}
    before = float(model(**data).loss)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(data, epochs=8, batch_size=8, verbose=0)
    after = float(model(**data).loss)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert after < before - 0.3, (before, after)
    # labels as Keras' y work too, and evaluate uses the same loss
    evaluated = model.evaluate({"input_ids": ids}, ids, batch_size=8, verbose=0, return_dict=True)["loss"]
    assert evaluated == pytest.approx(after, rel=1e-4)
    predicted = model.predict({"input_ids": ids}, batch_size=8, verbose=0)
    assert predicted["logits"].shape == (16, 8, 32)


def test_fit_without_labels_says_what_is_missing():
    model = tiny()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    with pytest.raises(ValueError, match="labels"):
        model.fit({"input_ids": IDS}, epochs=1, batch_size=2, verbose=0)


def test_export_writes_a_servable_saved_model(tmp_path):
    model = tiny(seed=7)
    model.export(tmp_path / "saved")
    served = tf.saved_model.load(str(tmp_path / "saved")).signatures["serve"]
    out = served(input_ids=tf.constant(IDS, tf.int32), attention_mask=tf.constant(MASK, tf.int32))
    np.testing.assert_allclose(out["logits"].numpy(), model(IDS, attention_mask=MASK).logits.numpy(), atol=1e-5)


def test_undeclared_variables_and_wrong_config_are_refused():
    class Sneaky(CanonicalLayer):
        def __init__(self):
            super().__init__()
            self.hidden_weight = self.add_weight(shape=(2,), initializer="zeros", name="hidden_weight")

    class TFSneakyModel(PreTrainedModel):
        config_class = TinyLlamaConfig

        def __init__(self, config):
            super().__init__(config)
            self.block = Sneaky()

    with pytest.raises(PluginError, match="hidden_weight"):
        TFSneakyModel.from_config(TinyLlamaConfig()).canonical_state_dict()
    with pytest.raises(ConfigError, match="TinyLlamaConfig"):
        TFTinyLlamaModel(PretrainedConfig())


def _pending_keras_variables() -> list:
    from keras.src.backend.common import global_state

    return list(global_state.get_global_attribute("uninitialized_variables", []) or [])


def test_loaded_variables_own_their_memory_and_keras_keeps_no_pending_ones(tmp_path):
    model = tiny(seed=3)
    model.save_pretrained(tmp_path)
    expected = model.canonical_state_dict()
    back = TFTinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert all(v.dtype == "float32" for v in back.variables)
    assert not _pending_keras_variables()
    with keras.StatelessScope():  # Keras would initialise pending variables here: none may be left
        pass
    embed = back.model.embed_tokens.weight
    embed.assign(embed.numpy() + 1)  # the adopted buffers are writable variables like any other
    np.testing.assert_array_equal(back.canonical_state_dict()["model.embed_tokens.weight"],
                                  expected["model.embed_tokens.weight"] + 1)
    fresh = TFTinyLlamaForCausalLM.from_pretrained(tmp_path)  # the write stayed in the process
    np.testing.assert_array_equal(fresh.canonical_state_dict()["model.embed_tokens.weight"],
                                  expected["model.embed_tokens.weight"])
    # Saving another model over the loaded checkpoint replaces the file: the model is untouched.
    tiny(seed=4).save_pretrained(tmp_path)
    for name, value in fresh.canonical_state_dict().items():
        np.testing.assert_array_equal(value, expected[name])


def test_a_failed_load_leaves_no_pending_keras_variables(tmp_path):
    tiny(seed=3).save_pretrained(tmp_path)
    with pytest.raises(CheckpointError):
        TFTinyLlamaForCausalLM.from_pretrained(tmp_path, hidden_size=24)
    assert not _pending_keras_variables()
