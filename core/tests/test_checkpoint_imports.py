"""Checkpoint I/O and model references import no framework until a framework tensor is asked for."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, tempfile
import numpy as np
import plugformers.checkpoint, plugformers.hub
from plugformers.checkpoint import CheckpointReader, save_checkpoint
directory = tempfile.mkdtemp()
save_checkpoint({"a": np.ones(3, dtype=np.float32)}, directory, max_shard_size=8)
save_checkpoint({"a": np.ones(4, dtype=np.float32), "b": np.zeros(2, dtype=np.int8)}, directory, max_shard_size=8)
with CheckpointReader.open(directory) as reader:
    assert reader.get_numpy("a").sum() == 4
plugformers.hub.resolve_file(directory, "model.safetensors.index.json")
heavy = ["torch", "tensorflow", "jax", "keras", "tokenizers", "ml_dtypes", "huggingface_hub", "safetensors"]
print(",".join(name for name in heavy if name in sys.modules))
"""


def test_no_framework_imported():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
