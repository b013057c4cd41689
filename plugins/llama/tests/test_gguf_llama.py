"""LLaMA GGUF files written here the way llama.cpp's converter writes them (its tensor names,
metadata keys and query/key row permutation), from a tiny random Transformers model: loading them
through ``from_pretrained(dir, gguf_file=...)`` gives that model back, in every framework, and
Transformers' own GGUF reader reads the same tensors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install 'plugformers-llama[torch]'")
gguf = pytest.importorskip("gguf", reason="the gguf package is not installed: pip install 'plugformers-llama[gguf]'")

from llama_test_support import TOLERANCE, config_kwargs, make_inputs, randomise_torch, valid_positions  # noqa: E402

from plugformers import AutoConfig, AutoModelForCausalLM  # noqa: E402
from plugformers_llama import modeling_torch  # noqa: E402
from plugformers_llama.configuration import LlamaConfig  # noqa: E402
from plugformers_llama.gguf_map import GGUF_MAP  # noqa: E402


def _permute(weight: np.ndarray, heads: int) -> np.ndarray:
    return weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def write_llama_gguf(path, model, *, quantise: str | None = None):
    """``model``'s tensors under GGUF names (F32, or ``quantise`` for the 2-D ones)."""
    config = model.config
    to_gguf = {}
    for gguf_name, canonical in GGUF_MAP.tensors.items():
        for layer in range(config.num_hidden_layers) if "{bid}" in gguf_name else [None]:
            bid = "" if layer is None else str(layer)
            to_gguf[canonical.replace("{bid}", bid)] = gguf_name.replace("{bid}", bid)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_uint32("llama.block_count", config.num_hidden_layers)
    writer.add_uint32("llama.context_length", config.max_position_embeddings)
    writer.add_uint32("llama.embedding_length", config.hidden_size)
    writer.add_uint32("llama.feed_forward_length", config.intermediate_size)
    writer.add_uint32("llama.attention.head_count", config.num_attention_heads)
    writer.add_uint32("llama.attention.head_count_kv", config.num_key_value_heads)
    writer.add_float32("llama.attention.layer_norm_rms_epsilon", config.rms_norm_eps)
    writer.add_float32("llama.rope.freq_base", config.rope_theta)
    writer.add_uint32("llama.vocab_size", config.vocab_size)
    state = model.state_dict()
    tied = config.tie_word_embeddings
    for name, tensor in state.items():
        if tied and name == "lm_head.weight":
            continue
        array = tensor.numpy().astype(np.float32)
        if name.endswith("q_proj.weight"):
            array = _permute(array, config.num_attention_heads)
        elif name.endswith("k_proj.weight"):
            array = _permute(array, config.num_key_value_heads)
        if quantise and array.ndim == 2 and array.shape[1] % 32 == 0:  # else F32, as llama.cpp falls back
            writer.add_tensor(to_gguf[name], gguf.quants.quantize(array, gguf.GGMLQuantizationType[quantise]),
                              raw_dtype=gguf.GGMLQuantizationType[quantise])
        else:
            writer.add_tensor(to_gguf[name], array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module", params=["gqa-default-untied", "mha-linear-tied"])
def float_gguf(request, tmp_path_factory):
    kwargs = {k: v for k, v in config_kwargs(request.param).items() if k != "rope_scaling"}
    model = modeling_torch.LlamaForCausalLM.from_config(LlamaConfig(**kwargs), seed=1)
    randomise_torch(model, seed=1)
    model.tie_weights()
    directory = tmp_path_factory.mktemp(request.param)
    return write_llama_gguf(directory / "tiny.gguf", model), model


def _logits(model, inputs):
    return np.asarray(model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits)


def test_config_from_gguf(float_gguf):
    path, reference = float_gguf
    config = AutoConfig.from_pretrained(path.parent, gguf_file=path.name)
    for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "head_dim", "max_position_embeddings", "tie_word_embeddings", "rope_theta"):
        assert getattr(config, key) == getattr(reference.config, key), key
    assert config.rms_norm_eps == pytest.approx(reference.config.rms_norm_eps)


def test_pytorch_model_from_gguf_is_the_original(float_gguf):
    path, reference = float_gguf
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, framework="pt")
    assert model.load_report.ok and not model.load_report.missing and not model.load_report.unexpected
    for name, tensor in reference.state_dict().items():
        assert torch.equal(model.state_dict()[name], tensor), name
    inputs = make_inputs(reference.config.vocab_size, padding="right")
    with torch.no_grad():
        np.testing.assert_array_equal(_logits(model, {k: torch.from_numpy(v) for k, v in inputs.items()}),
                                      _logits(reference, {k: torch.from_numpy(v) for k, v in inputs.items()}))


@pytest.mark.parametrize("framework", ["tf", "flax"])
def test_other_frameworks_from_gguf(float_gguf, framework):
    pytest.importorskip("tensorflow" if framework == "tf" else "flax",
                        reason=f"{framework} not installed: pip install 'plugformers-llama[{framework}]'")
    path, reference = float_gguf
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, framework=framework)
    assert model.load_report.ok and not model.load_report.missing
    inputs = make_inputs(reference.config.vocab_size, padding="right")
    with torch.no_grad():
        expected = _logits(reference, {k: torch.from_numpy(v) for k, v in inputs.items()})
    mask = inputs["attention_mask"]
    np.testing.assert_allclose(valid_positions(_logits(model, inputs), mask), valid_positions(expected, mask),
                               atol=TOLERANCE, rtol=0)


def test_quantised_gguf_matches_transformers_reader(tmp_path):
    """Q8_0 storage: our tensors equal what Transformers' GGUF loader (gguf's dequantiser, its own
    name map and un-permutation) makes of the same file, and the logits agree."""
    transformers = pytest.importorskip("transformers", reason="Transformers 5.x (the oracle) is not installed")
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    config = LlamaConfig(**{k: v for k, v in config_kwargs("gqa-default-untied").items() if k != "rope_scaling"})
    source = modeling_torch.LlamaForCausalLM.from_config(config, seed=2)
    randomise_torch(source, seed=2)
    path = write_llama_gguf(tmp_path / "q8.gguf", source, quantise="Q8_0")
    ours = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file="q8.gguf")
    theirs = transformers.LlamaForCausalLM(transformers.LlamaConfig(**config.to_dict())).eval()
    tensors = load_gguf_checkpoint(str(path), return_tensors=True, model_to_load=theirs)["tensors"]
    assert set(tensors) == set(ours.state_dict())
    for name, tensor in tensors.items():
        assert torch.equal(ours.state_dict()[name], tensor.float()), name
    theirs.load_state_dict(tensors)
    inputs = {k: torch.from_numpy(v) for k, v in make_inputs(config.vocab_size, padding="none").items()}
    with torch.no_grad():
        np.testing.assert_allclose(_logits(ours, inputs), _logits(theirs, inputs), atol=TOLERANCE, rtol=0)
    # and quantisation did change the weights, within its error
    assert 0 < (ours.model.layers[0].mlp.up_proj.weight - source.model.layers[0].mlp.up_proj.weight).abs().max() < 0.01
