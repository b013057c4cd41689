"""PreTrainedModel (torch): construction, canonical weights, loading/saving, ties, dtype/device,
load reports, Transformers interoperability (oracle), torch.compile / torch.export, training."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
from torch import nn

from plugformers.checkpoint import CheckpointReader, save_checkpoint
from plugformers.errors import CheckpointError, ConfigError, PluginError
from plugformers_sdk.torch import Linear, PreTrainedModel, RotaryEmbedding


@pytest.fixture
def config(tiny):
    return tiny.TinyLlamaConfig()


def _ids(batch=2, length=6, vocab=64, seed=0):
    return torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(seed))


def _logits(model, ids, mask=None):
    with torch.no_grad():
        return model(ids, attention_mask=mask).logits


def test_from_config_is_seeded_in_eval_mode_and_leaves_global_rng(tiny, config):
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = tiny.TinyLlamaForCausalLM.from_config(config, seed=1)
    after = torch.rand(1)
    assert torch.equal(before, after)  # the global RNG stream was not consumed
    b = tiny.TinyLlamaForCausalLM.from_config(config, seed=1)
    c = tiny.TinyLlamaForCausalLM.from_config(config, seed=2)
    assert not a.training
    assert torch.equal(a.lm_head.weight, b.lm_head.weight)
    assert not torch.equal(a.lm_head.weight, c.lm_head.weight)


def test_initialisation_follows_initializer_range(tiny):
    config = tiny.TinyLlamaConfig(initializer_range=0.5, hidden_size=64, vocab_size=256)
    model = tiny.TinyLlamaForCausalLM.from_config(config)
    assert model.lm_head.weight.std().item() == pytest.approx(0.5, rel=0.1)
    assert torch.equal(model.model.norm.weight, torch.ones(64))


def test_wrong_config_class_is_config_error(tiny):
    from plugformers.configuration import PretrainedConfig

    class Other(PretrainedConfig):
        model_type = "other"

    with pytest.raises(ConfigError, match="TinyLlamaConfig"):
        tiny.TinyLlamaModel(Other())


def test_canonical_names_are_transformers_llama_names(tiny, config):
    names = set(tiny.TinyLlamaForCausalLM.from_config(config).canonical_state_dict())
    assert "model.layers.1.self_attn.k_proj.weight" in names
    assert "model.layers.0.mlp.gate_proj.weight" in names and "lm_head.weight" in names
    assert not any("inv_freq" in n for n in names)
    oracle = pytest.importorskip("transformers")
    hf = oracle.LlamaForCausalLM(tiny.transformers_config(config))
    assert names == set(hf.state_dict())


def test_save_load_round_trip(tiny, config, tmp_path):
    model = tiny.TinyLlamaForCausalLM.from_config(config, seed=3)
    written = model.save_pretrained(tmp_path)
    assert {p.name for p in written} == {"config.json", "model.safetensors"}
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert loaded.load_report.ok and not loaded.training
    ids = _ids()
    torch.testing.assert_close(_logits(loaded, ids), _logits(model, ids), rtol=0, atol=0)
    torch.testing.assert_close(loaded.model.rotary_emb.inv_freq,
                               torch.from_numpy(loaded.model.rotary_emb.params.inv_freq))
    assert json.loads((tmp_path / "config.json").read_text())["torch_dtype"] == "float32"


def test_sharded_save_round_trip(tiny, config, tmp_path):
    model = tiny.TinyLlamaForCausalLM.from_config(config, seed=4)
    written = model.save_pretrained(tmp_path, max_shard_size="8KB")
    assert (tmp_path / "model.safetensors.index.json").exists() and len(written) > 3
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    ids = _ids()
    torch.testing.assert_close(_logits(loaded, ids), _logits(model, ids), rtol=0, atol=0)


def test_tied_embeddings_shared_and_saved_once(tiny, tmp_path):
    config = tiny.TinyLlamaConfig(tie_word_embeddings=True)
    model = tiny.TinyLlamaForCausalLM.from_config(config)
    assert model.lm_head.weight is model.model.embed_tokens.weight
    untied = tiny.TinyLlamaForCausalLM.from_config(tiny.TinyLlamaConfig())
    assert model.num_parameters() == untied.num_parameters() - config.vocab_size * config.hidden_size
    assert model.get_output_embeddings() is model.lm_head
    assert model.get_input_embeddings() is model.model.embed_tokens
    model.save_pretrained(tmp_path)
    with CheckpointReader.open(tmp_path) as reader:
        assert "lm_head.weight" not in reader.keys() and "model.embed_tokens.weight" in reader.keys()
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert loaded.load_report.ok
    assert loaded.lm_head.weight is loaded.model.embed_tokens.weight
    ids = _ids()
    torch.testing.assert_close(_logits(loaded, ids), _logits(model, ids), rtol=0, atol=0)


def test_checkpoint_holding_both_tied_tensors_loads(tiny, tmp_path):
    config = tiny.TinyLlamaConfig(tie_word_embeddings=True)
    model = tiny.TinyLlamaForCausalLM.from_config(config)
    tensors = {k: v.clone() for k, v in model.canonical_state_dict().items()}
    config.save_pretrained(tmp_path)
    save_checkpoint(tensors, tmp_path)
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert loaded.load_report.ok and loaded.lm_head.weight is loaded.model.embed_tokens.weight


def test_head_from_base_checkpoint_reports_and_initialises_missing(tiny, config, tmp_path, caplog):
    base = tiny.TinyLlamaModel.from_config(config, seed=5)
    base.save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING, logger="plugformers_sdk.torch"):
        head = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert head.load_report.missing == ["lm_head.weight"]
    assert head.load_report.unexpected == [] and head.load_report.mismatched == []
    assert "lm_head.weight" in caplog.text and "newly initialized" in caplog.text
    assert not head.lm_head.weight.is_meta and head.lm_head.weight.requires_grad
    assert 0.01 < head.lm_head.weight.std().item() < 0.03  # initializer_range 0.02
    torch.testing.assert_close(head.model.embed_tokens.weight, base.embed_tokens.weight, rtol=0, atol=0)
    ids = _ids()
    with torch.no_grad():
        torch.testing.assert_close(head.model(ids).last_hidden_state, base(ids).last_hidden_state, rtol=0, atol=0)


def test_base_from_head_checkpoint_drops_prefix(tiny, config, tmp_path):
    head = tiny.TinyLlamaForCausalLM.from_config(config, seed=6)
    head.save_pretrained(tmp_path)
    base = tiny.TinyLlamaModel.from_pretrained(tmp_path)
    assert base.load_report.unexpected == ["lm_head.weight"] and base.load_report.missing == []
    ids = _ids()
    with torch.no_grad():
        torch.testing.assert_close(base(ids).last_hidden_state, head.model(ids).last_hidden_state, rtol=0, atol=0)


def test_mis_shaped_tensors_are_a_checkpoint_error_naming_each(tiny, config, tmp_path):
    tiny.TinyLlamaForCausalLM.from_config(config).save_pretrained(tmp_path)
    with pytest.raises(CheckpointError) as err:
        tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, vocab_size=80)
    assert "model.embed_tokens.weight" in str(err.value) and "lm_head.weight" in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_saved_computed_buffers_are_not_unexpected(tiny, config, tmp_path):
    # Old checkpoints hold buffers that are computed now (rotary inv_freq, BERT's position_ids).
    model = tiny.TinyLlamaForCausalLM.from_config(config)
    tensors = dict(model.canonical_state_dict())
    tensors["model.rotary_emb.inv_freq"] = model.model.rotary_emb.inv_freq.clone()
    tensors["model.stray"] = torch.zeros(2)
    config.save_pretrained(tmp_path)
    save_checkpoint(tensors, tmp_path)
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert loaded.load_report.unexpected == ["model.stray"]


def test_config_overrides_and_explicit_config(tiny, config, tmp_path):
    tiny.TinyLlamaForCausalLM.from_config(config).save_pretrained(tmp_path)
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, rms_norm_eps=1e-3)
    assert loaded.config.rms_norm_eps == 1e-3
    explicit = tiny.TinyLlamaConfig(rms_norm_eps=1e-4)
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, config=explicit)
    assert loaded.config.rms_norm_eps == 1e-4
    with pytest.raises(ConfigError, match="TinyLlamaConfig"):
        tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, config=object())


@pytest.mark.parametrize("dtype,expected", [("bfloat16", torch.bfloat16), (torch.float16, torch.float16),
                                            ("float32", torch.float32), (None, torch.float32)])
def test_dtype_is_applied_per_tensor(tiny, config, tmp_path, dtype, expected):
    model = tiny.TinyLlamaForCausalLM.from_config(config)
    model.save_pretrained(tmp_path)
    loaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, dtype=dtype)
    assert {p.dtype for p in loaded.parameters()} == {expected}
    assert loaded.model.rotary_emb.inv_freq.dtype == torch.float32
    ids = _ids()
    torch.testing.assert_close(_logits(loaded, ids).float(), _logits(model, ids),
                               rtol=0.05 if expected != torch.float32 else 0,
                               atol=0.05 if expected != torch.float32 else 0)


def test_dtype_auto_follows_saved_config(tiny, config, tmp_path):
    tiny.TinyLlamaForCausalLM.from_config(config, dtype="bfloat16").save_pretrained(tmp_path)
    with CheckpointReader.open(tmp_path) as reader:
        assert reader.dtype("lm_head.weight") == "BF16"
    assert tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, dtype="auto").dtype == torch.bfloat16
    assert tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path).dtype == torch.float32
    with pytest.raises(ConfigError, match="dtype"):
        tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, dtype="int4")


def test_meta_device_reads_no_data(tiny, config, tmp_path):
    tiny.TinyLlamaForCausalLM.from_config(config).save_pretrained(tmp_path)
    model = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path, device="meta")
    assert all(p.is_meta for p in model.parameters())
    assert model.load_report.ok
    with pytest.raises(CheckpointError, match="meta"):
        model.save_pretrained(tmp_path / "out")


class _BufferConfig:
    pass


def test_uncomputable_buffer_is_a_plugin_error(tiny, config, tmp_path):
    class Careless(tiny.TinyLlamaModel):
        def __init__(self, config):
            super().__init__(config)
            self.register_buffer("scratch", torch.arange(4), persistent=False)

    Careless.from_config(config).save_pretrained(tmp_path)
    with pytest.raises(PluginError, match="scratch"):
        Careless.from_pretrained(tmp_path)


def test_missing_persistent_buffer_and_partial_module_materialise(tiny, config, tmp_path):
    class WithHead(tiny.TinyLlamaModel):
        def __init__(self, config):
            super().__init__(config)
            self.head = Linear(config.hidden_size, 3)
            self.register_buffer("counts", torch.ones(3, dtype=torch.long))

    source = WithHead.from_config(config, seed=9)
    tensors = {k: v for k, v in source.canonical_state_dict().items() if k not in ("head.bias", "counts")}
    config.save_pretrained(tmp_path)
    save_checkpoint(tensors, tmp_path)
    loaded = WithHead.from_pretrained(tmp_path)
    assert sorted(loaded.load_report.missing) == ["counts", "head.bias"]
    # The loaded weight of a partly-missing module is kept, the missing bias initialised to zero.
    torch.testing.assert_close(loaded.head.weight, source.head.weight, rtol=0, atol=0)
    assert torch.equal(loaded.head.bias, torch.zeros(3)) and loaded.counts.shape == (3,)


def test_load_canonical_state_dict_from_numpy(tiny, config):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    source = tiny.TinyLlamaForCausalLM.from_config(config, seed=10)
    arrays = {k: v.numpy() for k, v in source.canonical_state_dict().items()}
    arrays["lm_head.weight"] = arrays["lm_head.weight"].astype(ml_dtypes.bfloat16)
    target = tiny.TinyLlamaForCausalLM.from_config(config, seed=11)
    report = target.load_canonical_state_dict(arrays, strict=True)
    assert report.ok and target.load_report is report
    torch.testing.assert_close(target.model.layers[1].mlp.up_proj.weight, source.model.layers[1].mlp.up_proj.weight,
                               rtol=0, atol=0)
    torch.testing.assert_close(target.lm_head.weight, source.lm_head.weight, rtol=1e-2, atol=1e-2)
    del arrays["model.norm.weight"]
    with pytest.raises(CheckpointError, match="model.norm.weight"):
        target.load_canonical_state_dict(arrays, strict=True)
    assert target.load_canonical_state_dict(arrays).missing == ["model.norm.weight"]
    arrays["model.norm.weight"] = np.zeros(5, np.float32)
    with pytest.raises(CheckpointError, match=r"model.norm.weight.*\(5,\)"):
        target.load_canonical_state_dict(arrays)


@pytest.mark.oracle
@pytest.mark.parametrize("tie", [False, True])
def test_transformers_loads_what_we_save_and_we_load_what_it_saves(tiny, tmp_path, tie):
    transformers = pytest.importorskip("transformers")
    config = tiny.TinyLlamaConfig(tie_word_embeddings=tie, rope_scaling={"rope_type": "linear", "factor": 2.0})
    ours = tiny.TinyLlamaForCausalLM.from_config(config, seed=12)
    ours.save_pretrained(tmp_path / "ours")
    hf_config = tiny.transformers_config(config)
    theirs = transformers.LlamaForCausalLM.from_pretrained(tmp_path / "ours", config=hf_config,
                                                           dtype=torch.float32).eval()
    ids = _ids(length=7)
    mask = torch.tensor([[1] * 7, [0, 0, 1, 1, 1, 1, 1]])
    with torch.no_grad():
        expected = theirs(ids, attention_mask=mask).logits
    got = _logits(ours, ids, mask)
    keep = mask.bool()  # fully padded query rows are arbitrary in both
    torch.testing.assert_close(got[keep], expected[keep], rtol=1e-5, atol=1e-5)
    # And the other way round: a checkpoint written by Transformers.
    theirs.save_pretrained(tmp_path / "theirs")
    back = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path / "theirs", config=config)
    assert back.load_report.ok
    torch.testing.assert_close(_logits(back, ids, mask)[keep], expected[keep], rtol=1e-5, atol=1e-5)


def test_torch_compile_forward(tiny, config):
    model = tiny.TinyLlamaForCausalLM.from_config(config)
    ids = _ids()
    mask = torch.ones_like(ids)
    mask[1, :2] = 0
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(ids, attention_mask=mask).logits, model(ids, attention_mask=mask).logits)


class _LogitsOnly(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids, attention_mask=attention_mask).logits


def test_torch_export_forward(tiny):
    config = tiny.TinyLlamaConfig(rope_scaling={"rope_type": "dynamic", "factor": 2.0})
    model = tiny.TinyLlamaForCausalLM.from_config(config)
    ids = _ids()
    mask = torch.ones_like(ids)
    exported = torch.export.export(_LogitsOnly(model), (ids, mask))
    other = _ids(seed=1)
    torch.testing.assert_close(exported.module()(other, mask), _logits(model, other, mask))


def test_training_lowers_the_loss(tiny, config):
    model = tiny.TinyLlamaForCausalLM.from_config(config, seed=13).train()
    ids = _ids(batch=4, length=8)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(8):
        loss = model(ids, labels=ids).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_training_after_from_pretrained_writes_into_copy_on_write_memory(tiny, config, tmp_path):
    tiny.TinyLlamaForCausalLM.from_config(config).save_pretrained(tmp_path)
    model = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path).train()
    ids = _ids(batch=2, length=5)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    first = model(ids, labels=ids).loss
    first.backward()
    optimiser.step()
    assert model(ids, labels=ids).loss.item() < first.item()
    # The file on disk is untouched by the in-place update.
    reloaded = tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
    assert not torch.equal(reloaded.lm_head.weight, model.lm_head.weight)


def test_rotary_only_model_has_no_canonical_tensors():
    assert dict(RotaryEmbedding(8).state_dict()) == {}
    assert PreTrainedModel.framework == "pt"


def test_from_pretrained_builds_with_the_cyclic_collector_paused(tiny, config, tmp_path, monkeypatch):
    import gc

    from plugformers_sdk import pretrained_io

    tiny.TinyLlamaForCausalLM.from_config(config).save_pretrained(tmp_path)
    seen, original = [], pretrained_io.open_weights
    monkeypatch.setattr(pretrained_io, "open_weights", lambda directory: seen.append(gc.isenabled()) or original(directory))
    was = gc.isenabled()
    gc.enable()
    try:
        tiny.TinyLlamaForCausalLM.from_pretrained(tmp_path)
        assert seen == [False] and gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
