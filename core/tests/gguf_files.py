"""Writing small GGUF files in tests with ``gguf.GGUFWriter``."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_gguf(path: Path, architecture: str, metadata: dict | None = None,
               tensors: dict[str, tuple[np.ndarray, str]] | None = None) -> Path:
    """``metadata``: key -> value (Python ints become uint32, floats float32, lists arrays);
    ``tensors``: name -> (stored array, type name), the array already quantised for quantised
    types (uint8 rows) or the float values for F32/F16."""
    import gguf

    writer = gguf.GGUFWriter(str(path), architecture)
    for key, value in (metadata or {}).items():
        if isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, int):
            writer.add_uint32(key, value)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        elif isinstance(value, str):
            writer.add_string(key, value)
        else:
            writer.add_array(key, list(value))
    for name, (array, type_name) in (tensors or {}).items():
        if type_name in ("F32", "F16"):
            writer.add_tensor(name, array.astype(np.float32 if type_name == "F32" else np.float16))
        else:
            writer.add_tensor(name, array, raw_dtype=gguf.GGMLQuantizationType[type_name])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
