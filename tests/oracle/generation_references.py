"""Generation references from Transformers 4.57.6: greedy and beam search token ids of a tiny GPT-2.

Run with the ORACLE python (Transformers 4.57.6, tensorflow + tf-keras, jax/flax, torch)::

    .venv-oracle/bin/python tests/oracle/generation_references.py OUT_DIR

Builds a tiny random Transformers ``GPT2LMHeadModel`` (fixed seed, random weights), saves
it under ``OUT_DIR/generation/checkpoint/`` (safetensors), loads it into ``TFGPT2LMHeadModel`` and
``FlaxGPT2LMHeadModel`` (``from_pt=True``) and runs ``generate`` for each case of :data:`CASES`
(single prompts and a left-padded batch; greedy and beam search; EOS ids the model really emits,
so rows finish early and get padded). Writes ``cases.json`` (prompt, mask, generate arguments) and
``outputs_pt.json`` / ``outputs_tf.json`` / ``outputs_flax.json`` (case -> token ids, or
``{"error": ...}`` where that framework's generate refused the case). Imports nothing from
plugformers; deterministic.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

PAD = 0
CONFIG = dict(vocab_size=1000, n_positions=128, n_embd=32, n_layer=3, n_head=4, bos_token_id=98, eos_token_id=98,
              pad_token_id=PAD)


def scale(name: str) -> float:
    return 0.5 if name.startswith(("transformer.wte", "transformer.wpe")) else 0.3


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Random matrices and embeddings, large enough that greedy decoding does not collapse onto one
    token; LayerNorms stay identity and biases zero (random ones make every row pick the same token)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if ".ln_" in name or name.startswith("transformer.ln_f") or name.endswith("bias"):
                continue
            param.copy_(torch.randn(param.shape, generator=generator) * scale(name))


def prompts() -> dict[str, tuple[list[list[int]], list[list[int]]]]:
    rng = np.random.default_rng(7)
    single = rng.integers(1, 1000, size=(1, 5)).tolist()
    longer = rng.integers(1, 1000, size=(1, 9)).tolist()
    batch = rng.integers(1, 1000, size=(3, 7))
    mask = np.ones_like(batch)
    mask[1, :3] = 0  # left padding
    mask[2, :5] = 0
    batch[mask == 0] = PAD
    return {"single": (single, [[1] * 5]), "longer": (longer, [[1] * 9]),
            "batch": (batch.tolist(), mask.tolist())}


def greedy_token(model: torch.nn.Module, ids: list[list[int]], mask: list[list[int]], step: int, row: int) -> int:
    out = model.generate(torch.tensor(ids), attention_mask=torch.tensor(mask), max_new_tokens=step + 1,
                         do_sample=False, pad_token_id=PAD)
    return int(out[row, len(ids[0]) + step])


def cases(model: torch.nn.Module) -> dict[str, dict]:
    """Generate arguments per case. EOS ids are tokens the model emits mid-way, so stopping and
    padding are exercised. Flax 4.57 takes one EOS id only: the multi-EOS cases are TF/PyTorch."""
    p = prompts()
    eos_batch = greedy_token(model, *p["batch"], step=3, row=0)
    eos_single = greedy_token(model, *p["single"], step=4, row=0)
    multi_eos = list(dict.fromkeys([98, eos_batch, greedy_token(model, *p["batch"], step=6, row=1),
                                    greedy_token(model, *p["batch"], step=2, row=2)]))
    plain = {"do_sample": False, "pad_token_id": PAD}
    specs = {
        "greedy-single": ("single", {"max_new_tokens": 12}),
        "greedy-longer": ("longer", {"max_new_tokens": 9}),
        "greedy-batch-left-padded": ("batch", {"max_new_tokens": 12}),
        "greedy-batch-eos": ("batch", {"max_new_tokens": 12, "eos_token_id": eos_batch}),
        "greedy-batch-multi-eos": ("batch", {"max_new_tokens": 12, "eos_token_id": multi_eos}),
        "greedy-batch-penalties": ("batch", {"max_new_tokens": 10, "repetition_penalty": 1.5,
                                             "no_repeat_ngram_size": 2}),
        "beam-single": ("single", {"max_new_tokens": 8, "num_beams": 3}),
        "beam-batch-left-padded": ("batch", {"max_new_tokens": 8, "num_beams": 3, "num_return_sequences": 2}),
        "beam-single-eos-early-stopping": ("single", {"max_new_tokens": 10, "num_beams": 4,
                                                      "eos_token_id": eos_single, "early_stopping": True}),
        "beam-batch-eos-length-penalty": ("batch", {"max_new_tokens": 10, "num_beams": 3, "eos_token_id": eos_batch,
                                                    "length_penalty": 0.6}),
        "beam-batch-multi-eos-never": ("batch", {"max_new_tokens": 9, "num_beams": 2, "eos_token_id": multi_eos,
                                                 "early_stopping": "never", "length_penalty": 1.5}),
    }
    return {name: {"input_ids": p[prompt][0], "attention_mask": p[prompt][1], "kwargs": {**plain, **kwargs}}
            for name, (prompt, kwargs) in specs.items()}


def run_all(generate, spec_by_case: dict[str, dict], to_tensor) -> dict[str, object]:
    results: dict[str, object] = {}
    for name, spec in spec_by_case.items():
        try:
            out = generate(to_tensor(spec["input_ids"]), attention_mask=to_tensor(spec["attention_mask"]),
                           **spec["kwargs"])
            results[name] = np.asarray(out.sequences if hasattr(out, "sequences") else out).tolist()
        except Exception as err:  # noqa: BLE001 - recorded: that framework cannot run the case
            results[name] = {"error": f"{type(err).__name__}: {err}"}
            traceback.print_exc()
    return results


def main(out_dir: str) -> None:
    root = Path(out_dir) / "generation"
    checkpoint = root / "checkpoint"
    checkpoint.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**CONFIG)).eval()
    randomise(model, seed=0)
    model.save_pretrained(checkpoint, safe_serialization=True)
    spec_by_case = cases(model)
    (root / "cases.json").write_text(json.dumps(spec_by_case, indent=1, sort_keys=True))

    with torch.no_grad():
        outputs = run_all(model.generate, spec_by_case, lambda x: torch.tensor(x))
    (root / "outputs_pt.json").write_text(json.dumps(outputs, sort_keys=True))

    import tensorflow as tf

    tf_model = transformers.TFGPT2LMHeadModel.from_pretrained(checkpoint, from_pt=True)
    outputs = run_all(tf_model.generate, spec_by_case, lambda x: tf.constant(x, dtype=tf.int32))
    (root / "outputs_tf.json").write_text(json.dumps(outputs, sort_keys=True))

    import jax.numpy as jnp

    flax_model = transformers.FlaxGPT2LMHeadModel.from_pretrained(checkpoint, from_pt=True)
    outputs = run_all(flax_model.generate, spec_by_case, lambda x: jnp.asarray(x, dtype=jnp.int32))
    (root / "outputs_flax.json").write_text(json.dumps(outputs, sort_keys=True))
    print(f"generation references written to {root}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR")
    main(sys.argv[1])
