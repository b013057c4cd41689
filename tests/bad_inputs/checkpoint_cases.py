"""Malformed checkpoint files: safetensors headers and data, shard indexes, legacy pickles."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import numpy as np
from case import Case

from plugformers.checkpoint import CheckpointReader
from plugformers.errors import CheckpointError


def safetensors_bytes(header: dict | bytes, data: bytes = b"", declared_length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    length = len(raw) if declared_length is None else declared_length
    return struct.pack("<Q", length) + raw + data


def good_header(**changes) -> dict:
    entry = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    entry.update(changes)
    return {"w": entry}


def write(name: str, content: bytes):
    def build(tmp: Path) -> Path:
        (tmp / name).write_bytes(content)
        return tmp
    return build


def open_and_read(directory: Path):
    with CheckpointReader.open(directory) as reader:
        for key in reader.keys():
            reader.get_numpy(key)


def index_case(weight_map, *, shards: dict[str, bytes] | None = None, raw: bytes | None = None):
    def build(tmp: Path) -> Path:
        text = raw if raw is not None else json.dumps({"metadata": {"total_size": 16}, "weight_map": weight_map}).encode()
        (tmp / "model.safetensors.index.json").write_bytes(text)
        for name, content in (shards or {}).items():
            (tmp / name).write_bytes(content)
        return tmp
    return build


class Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /tmp/plugformers-bad-input-pwned",))


GOOD_SHARD = safetensors_bytes(good_header(), np.zeros(4, np.float32).tobytes())
ST = "model.safetensors"

CASES = [
    Case("safetensors-empty-file", write(ST, b""), open_and_read, CheckpointError, ST),
    Case("safetensors-shorter-than-length-prefix", write(ST, b"\x01\x02\x03"), open_and_read, CheckpointError, ST),
    Case("safetensors-header-length-past-eof", write(ST, safetensors_bytes(good_header(), declared_length=10**9)),
         open_and_read, CheckpointError, ST),
    Case("safetensors-header-not-json", write(ST, safetensors_bytes(b"{not json")), open_and_read, CheckpointError, ST),
    Case("safetensors-header-is-a-list", write(ST, safetensors_bytes(b"[1, 2]")), open_and_read, CheckpointError, ST),
    Case("safetensors-header-not-utf8", write(ST, safetensors_bytes(b"\xff\xfe\xfd")), open_and_read, CheckpointError, ST),
    Case("safetensors-missing-dtype", write(ST, safetensors_bytes({"w": {"shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)),
         open_and_read, CheckpointError, "w"),
    Case("safetensors-unknown-dtype", write(ST, safetensors_bytes(good_header(dtype="F33"), b"\0" * 16)),
         open_and_read, CheckpointError, "F33"),
    Case("safetensors-negative-shape", write(ST, safetensors_bytes(good_header(shape=[-2, 2]), b"\0" * 16)),
         open_and_read, CheckpointError, "w"),
    Case("safetensors-shape-not-a-list", write(ST, safetensors_bytes(good_header(shape="2x2"), b"\0" * 16)),
         open_and_read, CheckpointError, "w"),
    Case("safetensors-offsets-past-data", write(ST, safetensors_bytes(good_header(data_offsets=[0, 64]), b"\0" * 16)),
         open_and_read, CheckpointError, ST),
    Case("safetensors-offsets-reversed", write(ST, safetensors_bytes(good_header(data_offsets=[16, 0]), b"\0" * 16)),
         open_and_read, CheckpointError, "w"),
    Case("safetensors-size-mismatch", write(ST, safetensors_bytes(good_header(shape=[3, 3]), b"\0" * 16)),
         open_and_read, CheckpointError, "w"),
    Case("safetensors-overlapping-tensors",
         write(ST, safetensors_bytes({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                      "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, b"\0" * 16)),
         open_and_read, CheckpointError, ST),
    Case("safetensors-truncated-data", write(ST, safetensors_bytes(good_header(), b"\0" * 7)), open_and_read,
         CheckpointError, ST),
    Case("safetensors-absurd-declared-size",
         write(ST, safetensors_bytes(good_header(shape=[10**7, 10**6], data_offsets=[0, 4 * 10**13]), b"\0" * 16)),
         open_and_read, CheckpointError, ST),
    Case("safetensors-metadata-not-strings",
         write(ST, safetensors_bytes({**good_header(), "__metadata__": {"format": 3}}, b"\0" * 16)),
         open_and_read, CheckpointError, ST),
    Case("index-not-json", index_case(None, raw=b"{oops"), open_and_read, CheckpointError, "model.safetensors.index.json"),
    Case("index-weight-map-not-a-dict", index_case(["w"]), open_and_read, CheckpointError, "model.safetensors.index.json"),
    Case("index-weight-map-value-not-a-string", index_case({"w": 3}), open_and_read, CheckpointError,
         "model.safetensors.index.json"),
    Case("index-names-a-missing-shard", index_case({"w": "model-00001-of-00002.safetensors"}), open_and_read,
         CheckpointError, "model-00001-of-00002.safetensors"),
    Case("index-shard-outside-directory-dotdot", index_case({"w": "../evil.safetensors"}), open_and_read,
         CheckpointError, "evil.safetensors"),
    Case("index-shard-absolute-path", index_case({"w": "/etc/passwd"}), open_and_read, CheckpointError, "/etc/passwd"),
    Case("index-tensor-not-in-its-shard", index_case({"w": "shard.safetensors", "ghost": "shard.safetensors"},
                                                     shards={"shard.safetensors": GOOD_SHARD}),
         open_and_read, CheckpointError, "ghost"),
    Case("directory-without-weights", lambda tmp: tmp, open_and_read, CheckpointError, "model.safetensors"),
    Case("legacy-bin-malicious-pickle", write("pytorch_model.bin", pickle.dumps({"w": Evil()})), open_and_read,
         CheckpointError, "pytorch_model.bin", needs="torch",
         check_after=lambda: not Path("/tmp/plugformers-bad-input-pwned").exists()),
    Case("legacy-bin-garbage", write("pytorch_model.bin", b"\x00garbage" * 10), open_and_read, CheckpointError,
         "pytorch_model.bin", needs="torch"),
]
