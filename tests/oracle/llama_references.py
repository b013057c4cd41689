"""LLaMA reference outputs from Transformers 4.57.6's Flax classes.

Run with the ORACLE python (Transformers 4.57.6, jax/flax, torch)::

    .venv-oracle/bin/python tests/oracle/llama_references.py OUT_DIR

Transformers 4.57.6 has Flax LLaMA (``FlaxLlamaModel``, ``FlaxLlamaForCausalLM``) but no
TensorFlow LLaMA, so only Flax outputs are written (our TF models are checked against our PyTorch
ones, which are checked against Transformers 5.x in-process). Its Flax LLaMA knows only the
default rotary embedding with base 10000, ``head_dim = hidden_size / heads`` and untied
embeddings, so the cases vary what it does support: grouped-query vs multi-head attention, depth,
sizes. For every case it builds a Transformers PyTorch model with fixed seeds and every weight
randomised (RMSNorm weights around 1), saves it as an HF checkpoint (safetensors) under
``OUT_DIR/llama/<case>--<head>/`` with ``inputs.npz`` (a right-padded batch with explicit
``position_ids``), loads it into the Flax class (``from_pt=True``) and writes ``outputs_flax.npz``
(and ``outputs_pt.npz``); ``case.json`` names the head. Imports nothing from plugformers;
deterministic.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

CONFIGS = {
    "gqa-h32-l2": dict(vocab_size=99, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64),
    "mha-h48-l3": dict(vocab_size=120, hidden_size=48, intermediate_size=64, num_hidden_layers=3,
                       num_attention_heads=6, num_key_value_heads=6, max_position_embeddings=40, rms_norm_eps=1e-5),
    "mqa-h64-l1": dict(vocab_size=80, hidden_size=64, intermediate_size=96, num_hidden_layers=1,
                       num_attention_heads=4, num_key_value_heads=1, max_position_embeddings=32),
}

# head -> (PyTorch class, Flax class) in Transformers 4.57.6.
HEADS = {
    "base": ("LlamaModel", "FlaxLlamaModel"),
    "causal-lm": ("LlamaForCausalLM", "FlaxLlamaForCausalLM"),
}

OUTPUT_NAMES = ("last_hidden_state", "logits")
BATCH, LENGTH = 3, 8


def make_inputs(config: dict, seed: int) -> dict[str, np.ndarray]:
    """A batch whose second row is right-padded (last 3 positions masked, pad id 0)."""
    rng = np.random.default_rng(seed)
    input_ids = rng.integers(1, config["vocab_size"], size=(BATCH, LENGTH)).astype(np.int64)
    attention_mask = np.ones((BATCH, LENGTH), dtype=np.int64)
    attention_mask[1, LENGTH - 3:] = 0
    input_ids[1, LENGTH - 3:] = 0
    position_ids = np.broadcast_to(np.arange(LENGTH, dtype=np.int64), (BATCH, LENGTH)).copy()
    return {"input_ids": input_ids, "attention_mask": attention_mask, "position_ids": position_ids}


def randomise(model: torch.nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * 0.1
            param.copy_(1.0 + noise if name.endswith("norm.weight") else noise)


def collect(outputs, to_numpy) -> dict[str, np.ndarray]:
    found = {}
    for name in OUTPUT_NAMES:
        value = getattr(outputs, name, None)
        if value is not None:
            found[name] = to_numpy(value).astype(np.float32)
    return found


def build_case(out_dir: Path, case: str, head: str, seed: int) -> None:
    import jax.numpy as jnp

    pt_name, flax_name = HEADS[head]
    case_dir = out_dir / f"{case}--{head}"
    case_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(**CONFIGS[case], tie_word_embeddings=False, rope_theta=10000.0)
    model = getattr(transformers, pt_name)(config).eval()
    randomise(model, seed)
    model.save_pretrained(case_dir, safe_serialization=True)
    inputs = make_inputs(CONFIGS[case], seed)
    np.savez(case_dir / "inputs.npz", **inputs)
    with torch.no_grad():
        pt_out = model(**{k: torch.from_numpy(v) for k, v in inputs.items()}, use_cache=False)
    np.savez(case_dir / "outputs_pt.npz", **collect(pt_out, lambda t: t.numpy()))

    flax_model = getattr(transformers, flax_name).from_pretrained(case_dir, from_pt=True)
    flax_out = flax_model(**{k: jnp.asarray(v) for k, v in inputs.items()}, train=False)
    np.savez(case_dir / "outputs_flax.npz", **collect(flax_out, np.asarray))

    (case_dir / "case.json").write_text(json.dumps({
        "case": case, "head": head, "classes": {"pt": pt_name, "flax": flax_name},
        "transformers": transformers.__version__,
    }, indent=2) + "\n")
    print(f"llama/{case_dir.name}: pt/flax outputs written")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: llama_references.py OUT_DIR", file=sys.stderr)
        return 2
    out_dir = Path(argv[0]) / "llama"
    out_dir.mkdir(parents=True, exist_ok=True)
    for case_index, case in enumerate(CONFIGS):
        for head_index, head in enumerate(HEADS):
            build_case(out_dir, case, head, seed=1000 * case_index + head_index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
