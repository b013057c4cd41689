"""from_pretrained time and peak resident memory on a ~500 MB GPT-2-small-shaped checkpoint.

The checkpoint (random weights, 124M parameters) is written once by Transformers. Each
measurement is a fresh process with the model class already imported: time of
``from_pretrained``, and peak RSS (VmHWM) above the process's baseline after one forward pass,
as a multiple of the weights' size.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

from measure import Row, median_of, run_python

MAKE = """
import json, torch
from transformers import GPT2Config, GPT2LMHeadModel
torch.manual_seed(0)
GPT2LMHeadModel(GPT2Config()).save_pretrained({path!r})
print(json.dumps({{}}))
"""

MEASURE = """
import json, os, time
def rss_peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"): return int(line.split()[1]) * 1024
def rss_now():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) * 1024
{imports}
import numpy as np
ids = np.arange(16, dtype=np.int64)[None]
base = rss_now()
t = time.perf_counter()
model = {load}
elapsed = time.perf_counter() - t
{forward}
weights = sum(os.path.getsize(os.path.join({path!r}, f)) for f in os.listdir({path!r}) if f.endswith(".safetensors"))
print(json.dumps({{"s": elapsed, "peak": (rss_peak() - base) / weights}}))
"""

CASES = {
    ("theirs", "pt"): ("import torch\nfrom transformers import GPT2LMHeadModel",
                       "GPT2LMHeadModel.from_pretrained({path!r})",
                       "with torch.inference_mode(): model(input_ids=torch.from_numpy(ids))"),
    ("ours", "pt"): ("import torch\nfrom plugformers_gpt2.modeling_torch import GPT2LMHeadModel",
                     "GPT2LMHeadModel.from_pretrained({path!r})",
                     "with torch.inference_mode(): model(input_ids=torch.from_numpy(ids))"),
    ("ours", "tf"): ("import tensorflow as tf\nfrom plugformers_gpt2.modeling_tf import TFGPT2LMHeadModel",
                     "TFGPT2LMHeadModel.from_pretrained({path!r})", "model(input_ids=tf.constant(ids))"),
    ("ours", "flax"): ("import jax.numpy as jnp\nfrom plugformers_gpt2.modeling_flax import FlaxGPT2LMHeadModel",
                       "FlaxGPT2LMHeadModel.from_pretrained({path!r})", "model(input_ids=jnp.asarray(ids))"),
}


def measure(side: str, framework: str, path: str, repeats: int = 5) -> tuple[float, float]:
    imports, load, forward = CASES[(side, framework)]
    code = MEASURE.format(imports=imports, load=load.format(path=path), forward=forward, path=path)
    run_python(code)
    results = [run_python(code) for _ in range(repeats)]
    return median_of([r["s"] for r in results]), median_of([r["peak"] for r in results])


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "gpt2-small")
        run_python(MAKE.format(path=path))
        theirs_s, theirs_peak = measure("theirs", "pt", path)
        with open(Path(path) / "model.safetensors", "rb") as handle:  # TF/Flax adopt the map only when aligned
            aligned = (8 + struct.unpack("<Q", handle.read(8))[0]) % 64 == 0
        mapping = ("file written by Transformers; its data section happens to start on a 64-byte boundary, so "
                   "tensors are adopted from the map" if aligned else
                   "file written by Transformers; data section not 64-byte aligned, so tensors are copied")
        rows = []
        for framework, label in (("pt", "PyTorch"), ("tf", "TensorFlow"), ("flax", "Flax")):
            ours_s, ours_peak = measure("ours", framework, path)
            rows.append(Row("from_pretrained time, GPT-2 small (500 MB)", f"{label} vs Transformers 5.23 PyTorch",
                            ours_s, theirs_s, "s", "≤ 1.0×", mapping if framework != "pt" else ""))
            rows.append(Row("peak RSS after 1 forward / weights", f"{label} vs Transformers 5.23 PyTorch",
                            ours_peak, theirs_peak, "× weights", "≤ 1.05×"))
        return rows


if __name__ == "__main__":
    for row in run():
        print(row.as_dict())
