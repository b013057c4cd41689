"""Greedy generation speed: 128 new tokens from a 16-token prompt on a GPT-2-small-shaped model.

The model has GPT-2 small's shape (124M parameters: n_embd 768, 12 layers, 12 heads, vocab 50257)
with random weights and no EOS token, so every run produces exactly 128 tokens. One checkpoint is
saved once; each framework is then measured in a fresh process:

- PyTorch: ours vs Transformers 5.23 (main environment), alternating runs in one process.
- TensorFlow / Flax: ours (main environment; XLA / jit compiled decode step, compiled during the
  warm-up) vs Transformers 4.57.6 (``.venv-oracle``, when it exists; its TF generate runs eagerly,
  its Flax generate, jitted whole with the weights an argument, is warmed up at the same length
  first).

Figures are tokens per second (higher is better), the median of the timed runs after a warm-up.
Targets: PyTorch >= 1.4x Transformers; TF and Flax >= 0.75x our own PyTorch speed.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from measure import TOKENS_PER_SECOND, Row, compiled_decode_row, median_of, report, run_python

ROOT = Path(__file__).resolve().parents[2]
ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
NEW_TOKENS, PROMPT = 128, 16

MAKE_CHECKPOINT = """
import json, sys, torch, transformers
torch.manual_seed(0)
config = transformers.GPT2Config(n_embd=768, n_layer=12, n_head=12, vocab_size=50257, n_positions=1024,
                                 bos_token_id=None, eos_token_id=None, pad_token_id=None)
model = transformers.GPT2LMHeadModel(config).eval()
model.save_pretrained(sys.argv[1] if len(sys.argv) > 1 else {directory!r})
print(json.dumps({{"parameters": sum(p.numel() for p in model.parameters())}}))
"""

COMMON = """
import json, time
import numpy as np
directory, new_tokens, prompt, repeats = {directory!r}, {new_tokens}, {prompt}, {repeats}
ids = np.random.default_rng(0).integers(0, 50257, size=(1, prompt))

""" + TOKENS_PER_SECOND

TORCH = COMMON + """
import torch, transformers
from plugformers_gpt2.modeling_torch import GPT2LMHeadModel
theirs = transformers.GPT2LMHeadModel.from_pretrained(directory).eval()
ours = GPT2LMHeadModel.from_pretrained(directory)
tensor = torch.tensor(ids)
def run_theirs():
    with torch.no_grad():
        return theirs.generate(tensor, max_new_tokens=new_tokens, do_sample=False)
def run_ours():
    return ours.generate(tensor, max_new_tokens=new_tokens)
same = run_ours().tolist() == run_theirs().tolist()  # warm-up, and are the tokens the same?
run_ours(), run_theirs()  # a second warm-up round: the first runs of a process are slower
ours_speeds, their_speeds = [], []
for _ in range(repeats):  # alternate, so both see the same machine load
    ours_speeds += tokens_per_second(run_ours, 1, prompt)
    their_speeds += tokens_per_second(run_theirs, 1, prompt)
print(json.dumps({{"ours": ours_speeds, "theirs": their_speeds, "same": same}}))
"""

OURS_COMPILED = COMMON + """
{imports}
model = {cls}.from_pretrained(directory)
start, budget = time.perf_counter(), 0.5
while True:  # warm-up: compiles the prompt step (Flax), then the decode step, and stops soon after
    out = model.generate(ids, max_new_tokens=new_tokens, max_time=budget)
    if np.asarray(out).shape[1] > prompt + 1:  # max_time is checked before each step: one ran (compiled)
        break
    budget *= 2
compile_s = time.perf_counter() - start
speeds = tokens_per_second(lambda: model.generate(ids, max_new_tokens=new_tokens), repeats, prompt)
print(json.dumps({{"ours": speeds, "compile_s": compile_s}}))
"""

THEIRS_TF = COMMON + """
import os
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import tensorflow as tf, transformers
model = transformers.TFGPT2LMHeadModel.from_pretrained(directory, from_pt=True)
tensor = tf.constant(ids, dtype=tf.int32)
model.generate(tensor, max_new_tokens=2, do_sample=False)  # warm-up (eager)
speeds = tokens_per_second(lambda: model.generate(tensor, max_new_tokens=new_tokens, do_sample=False), {their_repeats}, prompt)
print(json.dumps({{"theirs": speeds}}))
"""

THEIRS_FLAX = COMMON + """
import jax, jax.numpy as jnp, transformers
model = transformers.FlaxGPT2LMHeadModel.from_pretrained(directory, from_pt=True)
tensor = jnp.asarray(ids, dtype=jnp.int32)
# its generate needs an EOS id: one that min_length forbids; jitted whole, the weights an argument
generate = jax.jit(lambda params, tensor: model.generate(
    tensor, params=params, max_new_tokens=new_tokens, do_sample=False, eos_token_id=50256, pad_token_id=50256,
    min_length=prompt + new_tokens).sequences)
def run():
    return generate(model.params, tensor).block_until_ready()
run()  # warm-up: compiles the whole decode loop for this length
speeds = tokens_per_second(run, {their_repeats}, prompt)
print(json.dumps({{"theirs": speeds}}))
"""

COMPILED = {
    "tf": ("TensorFlow", "from plugformers_gpt2.modeling_tf import TFGPT2LMHeadModel", "TFGPT2LMHeadModel",
           THEIRS_TF),
    "flax": ("Flax", "from plugformers_gpt2.modeling_flax import FlaxGPT2LMHeadModel", "FlaxGPT2LMHeadModel",
             THEIRS_FLAX),
}


def run(repeats: int = 5, their_repeats: int = 5, frameworks: tuple[str, ...] = ("pt", "tf", "flax")) -> list[Row]:
    rows: list[Row] = []

    case = f"greedy, GPT-2 small shape (124M, random), {PROMPT}-token prompt + {NEW_TOKENS} new"
    with tempfile.TemporaryDirectory() as tmp:
        directory = str(Path(tmp) / "gpt2-small-random")
        fields = dict(directory=directory, new_tokens=NEW_TOKENS, prompt=PROMPT, repeats=repeats,
                      their_repeats=their_repeats)
        run_python(MAKE_CHECKPOINT.format(**fields))
        pt = run_python(TORCH.format(**fields), timeout=1800)
        ours_pt = median_of(pt["ours"])
        if "pt" in frameworks:
            report(rows, Row("generation", f"PyTorch {case}", ours_pt, median_of(pt["theirs"]), "tokens/s",
                             "≥ 1.4× Transformers",
                             f"theirs: Transformers 5.23; median of {repeats} alternating runs; "
                             f"{'same tokens' if pt['same'] else 'TOKENS DIFFER'}"))
        for framework, (label, imports, cls, theirs_code) in COMPILED.items():
            if framework not in frameworks:
                continue
            ours = run_python(OURS_COMPILED.format(imports=imports, cls=cls, **fields), timeout=1800)
            theirs, note = None, "Transformers 4.57.6 not measured: no .venv-oracle"
            if ORACLE_PYTHON.exists():
                theirs = median_of(run_python(theirs_code.format(**fields), python=str(ORACLE_PYTHON),
                                              timeout=1800)["theirs"])
                note = f"theirs: Transformers 4.57.6 (median of {their_repeats} runs)"
            report(rows, compiled_decode_row(f"{label} {case}", ours, theirs, ours_pt, repeats, note))
    return rows


if __name__ == "__main__":
    chosen = tuple(sys.argv[1:]) or ("pt", "tf", "flax")
    for row in run(frameworks=chosen):
        print(json.dumps(row.as_dict()))
