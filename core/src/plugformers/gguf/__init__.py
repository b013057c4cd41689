"""GGUF files (llama.cpp's format) read as plugformers checkpoints.

Reading is core's; naming is the plugin's: an architecture plugin registers a
:class:`GGUFMap` (``register(..., gguf="plugformers_llama.gguf_map:GGUF_MAP")``) saying which
``general.architecture`` it reads, how metadata keys become config fields and GGUF tensor names
canonical ones. Then:

- :class:`GGUFFile`: metadata and raw tensors of one file (through the ``gguf`` package,
  imported lazily); a bad magic number is a CheckpointError naming the file.
- :func:`dequantize`: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K -> NumPy float32/float16.
- :class:`GGUFCheckpointReader`: the ``CheckpointReader`` interface with canonical names.
- :func:`load_gguf_config`, :func:`load_gguf_tokenizer`: config and fast tokenizer from metadata.
"""

from .config import gguf_config_dict
from .dequantize import SUPPORTED_TYPES, dequantize
from .file import GGUFFile, GGUFTensorInfo
from .loading import gguf_model_type, load_gguf_config, open_gguf_checkpoint, resolve_gguf_file
from .lookup import find_gguf_map, registered_gguf_maps
from .reader import GGUFCheckpointReader
from .tensor_map import TRANSFORMS, GGUFMap, reverse_rope_permute
from .tokenizer import build_backend_tokenizer, gguf_tokenizer_kwargs, load_gguf_tokenizer

__all__ = [
    "GGUFFile", "GGUFTensorInfo", "GGUFMap", "GGUFCheckpointReader", "SUPPORTED_TYPES", "TRANSFORMS",
    "dequantize", "reverse_rope_permute", "gguf_config_dict", "find_gguf_map", "registered_gguf_maps",
    "load_gguf_config", "open_gguf_checkpoint", "gguf_model_type", "resolve_gguf_file",
    "build_backend_tokenizer", "gguf_tokenizer_kwargs", "load_gguf_tokenizer",
]
