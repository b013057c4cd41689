"""GGUF files: header and metadata parsing (against ``gguf.GGUFReader``), errors naming the file,
and the canonical-name reader driven by an architecture's GGUFMap (names, transforms, config)."""

from __future__ import annotations

import numpy as np
import pytest

gguf = pytest.importorskip("gguf", reason="the gguf package is not installed: pip install gguf")
from gguf_files import write_gguf  # noqa: E402

from plugformers.errors import CheckpointError  # noqa: E402
from plugformers.gguf import (  # noqa: E402
    GGUFCheckpointReader,
    GGUFFile,
    GGUFMap,
    find_gguf_map,
    gguf_config_dict,
    reverse_rope_permute,
)

TEST_MAP = GGUFMap(
    architectures=("toyarch",),
    model_type="toy",
    config={"{arch}.embedding_length": "hidden_size", "{arch}.attention.head_count": "num_attention_heads",
            "{arch}.rope.scaling.type": "rope_scaling.rope_type", "{arch}.rope.scaling.factor": "rope_scaling.factor",
            "{arch}.rope.freq_base": "rope_theta"},
    config_defaults={"hidden_act": "silu", "hidden_size": 999},
    tensors={"token_embd.weight": "model.embed.weight", "blk.{bid}.attn_q.weight": "model.layers.{bid}.q.weight",
             "blk.{bid}.ffn_up.weight": "model.layers.{bid}.up.weight", "output.weight": "lm_head.weight"},
    transforms={"model.layers.{bid}.q.weight": ("reverse_rope_permute", "num_attention_heads")},
    tied_output="output.weight",
)


def llama_cpp_permute(weight: np.ndarray, heads: int) -> np.ndarray:
    """What llama.cpp's converter does to query/key rows (written from its documented formula)."""
    return weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


@pytest.fixture
def toy_file(tmp_path):
    rng = np.random.default_rng(0)
    values = {
        "token_embd.weight": rng.standard_normal((10, 32)).astype(np.float32),
        "blk.0.attn_q.weight": rng.standard_normal((32, 32)).astype(np.float32),
        "blk.1.attn_q.weight": rng.standard_normal((32, 64)).astype(np.float32),
        "blk.0.ffn_up.weight": rng.standard_normal((8, 64)).astype(np.float32),
        "blk.0.extra.weight": rng.standard_normal((4,)).astype(np.float32),
    }
    stored = {
        "token_embd.weight": (gguf.quants.quantize(values["token_embd.weight"], gguf.GGMLQuantizationType.Q8_0), "Q8_0"),
        "blk.0.attn_q.weight": (llama_cpp_permute(values["blk.0.attn_q.weight"], 4), "F32"),
        "blk.1.attn_q.weight": (gguf.quants.quantize(llama_cpp_permute(values["blk.1.attn_q.weight"], 4),
                                                     gguf.GGMLQuantizationType.Q4_1), "Q4_1"),
        "blk.0.ffn_up.weight": (values["blk.0.ffn_up.weight"], "F16"),
        "blk.0.extra.weight": (values["blk.0.extra.weight"], "F32"),
    }
    metadata = {"toyarch.embedding_length": 32, "toyarch.attention.head_count": 4, "toyarch.rope.freq_base": 5e5,
                "toyarch.rope.scaling.type": "linear", "toyarch.rope.scaling.factor": 2.0,
                "tokenizer.ggml.tokens": [f"t{i}" for i in range(10)], "general.name": "toy ü"}
    path = write_gguf(tmp_path / "toy.gguf", "toyarch", metadata, stored)
    return path, values


def test_metadata_and_tensors_match_the_gguf_package_reader(tmp_path):
    metadata = {"a.u32": 7, "a.f32": 0.1, "a.bool": True, "a.str": "héllo", "a.ints": [1, 2, 3],
                "a.floats": [0.5, -1.25], "a.strs": ["x", "ÿ", ""]}
    tensors = {"w": (np.arange(64, dtype=np.float32).reshape(2, 32), "F32"),
               "q": (gguf.quants.quantize(np.ones((2, 64), np.float32), gguf.GGMLQuantizationType.Q8_0), "Q8_0")}
    path = write_gguf(tmp_path / "m.gguf", "toyarch", metadata, tensors)
    ours, theirs = GGUFFile.open(path), gguf.GGUFReader(str(path))
    expected = {name: field.contents() for name, field in theirs.fields.items() if not name.startswith("GGUF.")}
    assert ours.metadata == expected
    assert ours.architecture == "toyarch"
    for tensor in theirs.tensors:
        info = ours.tensors[tensor.name]
        assert info.type_name == tensor.tensor_type.name
        assert info.shape == tuple(int(d) for d in reversed(tensor.shape.tolist()))
        np.testing.assert_array_equal(info.raw, np.asarray(tensor.data).reshape(-1).view(np.uint8))
    assert ours.tensors["q"].shape == (2, 64)


def test_bad_magic_names_the_file(tmp_path):
    path = tmp_path / "model.safetensors.gguf"
    path.write_bytes(b"NOPE" + b"\0" * 64)
    with pytest.raises(CheckpointError, match=r"model\.safetensors\.gguf: not a GGUF file"):
        GGUFFile.open(path)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"absent\.gguf"):
        GGUFFile.open(tmp_path / "absent.gguf")


def test_truncated_file_names_the_file(toy_file, tmp_path):
    path, _ = toy_file
    for cut in (10, 200, path.stat().st_size - 100):
        short = tmp_path / f"short{cut}.gguf"
        short.write_bytes(path.read_bytes()[:cut])
        with pytest.raises(CheckpointError, match=f"short{cut}.gguf"):
            GGUFFile.open(short)


def test_reader_gives_canonical_names_shapes_and_values(toy_file):
    path, values = toy_file
    with GGUFCheckpointReader.open(path, gguf_map=TEST_MAP) as reader:
        assert sorted(reader.keys()) == sorted(["model.embed.weight", "model.layers.0.q.weight",
                                                "model.layers.1.q.weight", "model.layers.0.up.weight",
                                                "blk.0.extra.weight"])  # unmapped names are kept
        assert reader.shape("model.layers.1.q.weight") == (32, 64)
        assert reader.gguf_type("model.layers.1.q.weight") == "Q4_1"
        assert reader.dtype("model.embed.weight") == "F32" and reader.files == [path]
        # exact for float storage, the permutation undone
        np.testing.assert_array_equal(reader.get_numpy("model.layers.0.q.weight"), values["blk.0.attn_q.weight"])
        np.testing.assert_allclose(reader.get_numpy("model.layers.0.up.weight"), values["blk.0.ffn_up.weight"],
                                   atol=1e-3)
        # quantised: within the quantisation error, and equal to the reference dequantiser un-permuted
        q = reader.get_numpy("model.layers.1.q.weight")
        assert np.abs(q - values["blk.1.attn_q.weight"]).max() < 0.5
        stored = gguf.GGUFReader(str(path)).tensors
        raw = next(t for t in stored if t.name == "blk.1.attn_q.weight")
        np.testing.assert_array_equal(q, reverse_rope_permute(gguf.quants.dequantize(raw.data, raw.tensor_type), 4))
        torch = pytest.importorskip("torch")
        assert torch.equal(reader.get_torch("model.embed.weight"), torch.from_numpy(reader.get_numpy("model.embed.weight")))
        with pytest.raises(CheckpointError, match="no tensor 'nope'"):
            reader.shape("nope")


def test_config_from_metadata(toy_file):
    path, _ = toy_file
    config = gguf_config_dict(GGUFFile.open(path), TEST_MAP)
    assert config == {"hidden_size": 32, "num_attention_heads": 4, "rope_theta": 5e5,
                      "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "hidden_act": "silu",
                      "tie_word_embeddings": True, "vocab_size": 10, "model_type": "toy"}


def test_unsupported_quantisation_type_names_file_and_type(tmp_path):
    path = write_gguf(tmp_path / "q2.gguf", "toyarch", {}, {"token_embd.weight": (np.zeros((2, 84), np.uint8), "Q2_K")})
    with pytest.raises(CheckpointError, match=r"q2\.gguf.*Q2_K.*not supported"):
        GGUFCheckpointReader.open(path, gguf_map=TEST_MAP)


def test_unknown_architecture_names_the_file(tmp_path):
    path = write_gguf(tmp_path / "alien.gguf", "no-such-arch-xyz")
    with pytest.raises(CheckpointError, match=r"alien\.gguf.*'no-such-arch-xyz' is not supported"):
        find_gguf_map(GGUFFile.open(path).architecture, source=str(path))
    with pytest.raises(CheckpointError, match=r"alien\.gguf"):
        GGUFCheckpointReader.open(path)


def test_reverse_rope_permute_undoes_llama_cpp_permute():
    weight = np.arange(8 * 3 * 5, dtype=np.float32).reshape(24, 5)
    for heads in (1, 2, 3, 6):
        np.testing.assert_array_equal(reverse_rope_permute(llama_cpp_permute(weight, heads), heads), weight)
    bias = np.arange(12, dtype=np.float32)
    np.testing.assert_array_equal(reverse_rope_permute(llama_cpp_permute(bias, 3), 3), bias)
    with pytest.raises(CheckpointError):
        reverse_rope_permute(weight, 5)
