"""Malformed GGUF files: bad magic, truncation, unsupported architectures, types and tokenizers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from case import Case

from plugformers.errors import CheckpointError, PlugformersError


def write(name: str, architecture: str = "llama", metadata: dict | None = None, tensors: dict | None = None,
          cut: int | None = None, raw: bytes | None = None):
    def build(tmp: Path) -> Path:
        path = tmp / name
        if raw is not None:
            path.write_bytes(raw)
            return path
        import gguf

        writer = gguf.GGUFWriter(str(path), architecture)
        for key, value in (metadata or {}).items():
            if isinstance(value, str):
                writer.add_string(key, value)
            elif isinstance(value, int):
                writer.add_uint32(key, value)
            else:
                writer.add_array(key, list(value))
        for tensor_name, (array, type_name) in (tensors or {}).items():
            if type_name == "F32":
                writer.add_tensor(tensor_name, array.astype(np.float32))
            else:
                writer.add_tensor(tensor_name, array, raw_dtype=gguf.GGMLQuantizationType[type_name])
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        if cut is not None:
            data = path.read_bytes()
            path.write_bytes(data[:cut] if cut > 0 else data[:len(data) + cut])
        return path
    return build


def open_file(path: Path):
    from plugformers.gguf import GGUFFile

    return GGUFFile.open(path)


def read_weights(path: Path):
    from plugformers.gguf import GGUFCheckpointReader

    with GGUFCheckpointReader.open(path) as reader:
        for key in reader.keys():
            reader.get_numpy(key)


def auto_config(path: Path):
    from plugformers import AutoConfig

    return AutoConfig.from_pretrained(path.parent, gguf_file=path.name)


def auto_tokenizer(path: Path):
    from plugformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)


EMBED = {"token_embd.weight": (np.ones((4, 32), np.float32), "F32")}
LLAMA_META = {"llama.embedding_length": 32, "llama.block_count": 1, "llama.attention.head_count": 4,
              "llama.feed_forward_length": 64, "llama.context_length": 64}

CASES = [
    Case("gguf-bad-magic", write("bad.gguf", raw=b"GGML" + b"\0" * 60), open_file, CheckpointError, "bad.gguf",
         needs="gguf"),
    Case("gguf-empty-file", write("empty.gguf", raw=b""), open_file, CheckpointError, "empty.gguf", needs="gguf"),
    Case("gguf-truncated-header", write("cut.gguf", metadata=LLAMA_META, tensors=EMBED, cut=40), open_file,
         CheckpointError, "cut.gguf", needs="gguf"),
    Case("gguf-truncated-data", write("short.gguf", metadata=LLAMA_META, tensors=EMBED, cut=-100),
         read_weights, PlugformersError, "short.gguf", needs="gguf"),
    Case("gguf-unknown-architecture", write("alien.gguf", architecture="no-such-arch-xyz"), auto_config,
         PlugformersError, "no-such-arch-xyz", needs="gguf"),
    Case("gguf-unsupported-quantisation", write("q2.gguf", metadata=LLAMA_META,
                                                tensors={"token_embd.weight": (np.zeros((2, 84), np.uint8), "Q2_K")}),
         read_weights, CheckpointError, "Q2_K", needs="gguf"),
    Case("gguf-unsupported-tokenizer-model", write("tok.gguf", metadata={**LLAMA_META,
                                                                          "tokenizer.ggml.model": "rwkv",
                                                                          "tokenizer.ggml.tokens": ["a", "b"]}),
         auto_tokenizer, PlugformersError, "rwkv", needs="gguf"),
    Case("gguf-missing-file", lambda tmp: tmp / "absent.gguf", auto_config, PlugformersError, "absent.gguf",
         needs="gguf"),
]
