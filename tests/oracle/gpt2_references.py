"""GPT-2 reference outputs from Transformers 4.57.6's PyTorch, TensorFlow and Flax classes.

Run with the ORACLE python (Transformers 4.57.6, tensorflow + tf-keras, jax/flax, torch)::

    .venv-oracle/bin/python tests/oracle/gpt2_references.py OUT_DIR

For every case (a tiny config shape x a head) it builds a Transformers PyTorch model with fixed
seeds and every weight randomised (biases and LayerNorm too), saves it as an HF checkpoint
(safetensors) under ``OUT_DIR/gpt2/<case>--<head>/``, runs the PyTorch model and loads the same
checkpoint into Transformers' TF and Flax classes (``from_pt=True``) where 4.57.6 has them, on two
batches with the position ids Transformers' ``generate`` would use (``cumsum(attention_mask) - 1``):

- ``inputs.npz`` -> ``outputs_{pt,tf,flax}.npz``: one full row and two right-padded rows. Every
  position is well defined (a padded query still sees real tokens), so the outputs compare
  everywhere; this is the pair the SDK's conformance kit reads.
- ``inputs_left_padded.npz`` -> ``outputs_left_padded_{pt,tf,flax}.npz``: row 1 left-padded, as
  batched generation pads. A left pad attends to nothing, so its outputs differ between
  implementations and only real tokens compare (plugins/gpt2/tests do).

``case.json`` names the head and the classes. Imports nothing from plugformers; deterministic.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

PAD = 1
CONFIGS = {
    "gelu_new-h32-l2": dict(vocab_size=99, n_positions=40, n_embd=32, n_layer=2, n_head=4,
                            activation_function="gelu_new", pad_token_id=PAD, bos_token_id=0, eos_token_id=0),
    "gelu-h48-l3": dict(vocab_size=120, n_positions=32, n_embd=48, n_layer=3, n_head=6, n_inner=64,
                        activation_function="gelu", layer_norm_epsilon=1e-6, num_labels=3, pad_token_id=PAD,
                        bos_token_id=0, eos_token_id=0),
}

# head -> (PyTorch class, TF class or None, Flax class or None) in Transformers 4.57.6.
HEADS = {
    "base": ("GPT2Model", "TFGPT2Model", "FlaxGPT2Model"),
    "causal-lm": ("GPT2LMHeadModel", "TFGPT2LMHeadModel", "FlaxGPT2LMHeadModel"),
    "double-heads": ("GPT2DoubleHeadsModel", "TFGPT2DoubleHeadsModel", None),
    "sequence-classification": ("GPT2ForSequenceClassification", "TFGPT2ForSequenceClassification", None),
    "token-classification": ("GPT2ForTokenClassification", None, None),
}

OUTPUT_NAMES = ("last_hidden_state", "logits", "mc_logits")

BATCH, LENGTH, CHOICES = 3, 8, 2


def make_inputs(config: dict, head: str, seed: int, *, left_padding: bool = True) -> dict[str, np.ndarray]:
    """Row 0 full, row 1 left-padded (3 pads; right-padded when not ``left_padding``), row 2
    right-padded (2 pads); pads hold ``PAD``.

    ``position_ids`` are ``cumsum(attention_mask) - 1`` (1 on padding), what ``generate`` uses.
    The double-heads case has [2, CHOICES, LENGTH] inputs and ``mc_token_ids`` at each choice's
    last real token.
    """
    rng = np.random.default_rng(seed)
    shape = (2, CHOICES, LENGTH) if head == "double-heads" else (BATCH, LENGTH)
    input_ids = rng.integers(PAD + 1, config["vocab_size"], size=shape).astype(np.int64)
    attention_mask = np.ones(shape, dtype=np.int64)
    flat_ids, flat_mask = input_ids.reshape(-1, LENGTH), attention_mask.reshape(-1, LENGTH)
    if left_padding:
        flat_mask[1, :3] = 0
    else:
        flat_mask[1, LENGTH - 3:] = 0
    flat_mask[2, LENGTH - 2:] = 0
    flat_ids[flat_mask == 0] = PAD
    positions = np.cumsum(attention_mask, axis=-1) - 1
    positions[attention_mask == 0] = 1
    inputs = {"input_ids": input_ids, "attention_mask": attention_mask, "position_ids": positions}
    if head == "double-heads":
        inputs["mc_token_ids"] = (LENGTH - 1 - np.argmax(attention_mask[..., ::-1], axis=-1)).astype(np.int64)
    return inputs


def randomise(model: torch.nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * 0.1
            is_norm_weight = name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight"))
            param.copy_(1.0 + noise if is_norm_weight else noise)


def collect(outputs, to_numpy) -> dict[str, np.ndarray]:
    found = {}
    for name in OUTPUT_NAMES:
        value = getattr(outputs, name, None)
        if value is not None:
            found[name] = to_numpy(value).astype(np.float32)
    return found


def write_outputs(case_dir: Path, suffix: str, inputs: dict, head: str, model, tf_model, flax_model) -> None:
    np.savez(case_dir / f"inputs{suffix}.npz", **inputs)
    with torch.no_grad():
        pt_inputs = {k: torch.from_numpy(v) for k, v in inputs.items()}
        if head == "double-heads":  # 4.57's PyTorch double-heads model wants flat position ids
            pt_inputs["position_ids"] = pt_inputs["position_ids"].reshape(-1, LENGTH)
        pt_out = model(**pt_inputs)
    np.savez(case_dir / f"outputs{suffix}_pt.npz", **collect(pt_out, lambda t: t.numpy()))
    if tf_model is not None:
        import tensorflow as tf

        tf_out = tf_model({k: tf.constant(v) for k, v in inputs.items()}, training=False)
        np.savez(case_dir / f"outputs{suffix}_tf.npz", **collect(tf_out, lambda t: t.numpy()))
    if flax_model is not None:
        import jax.numpy as jnp

        flax_out = flax_model(**{k: jnp.asarray(v) for k, v in inputs.items()}, train=False)
        np.savez(case_dir / f"outputs{suffix}_flax.npz", **collect(flax_out, np.asarray))


def build_case(out_dir: Path, case: str, head: str, seed: int) -> None:
    pt_name, tf_name, flax_name = HEADS[head]
    case_dir = out_dir / f"{case}--{head}"
    case_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = transformers.GPT2Config(**CONFIGS[case], resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = getattr(transformers, pt_name)(config).eval()
    randomise(model, seed)
    model.save_pretrained(case_dir, safe_serialization=True)
    tf_model = flax_model = None
    if tf_name is not None:
        tf_model = getattr(transformers, tf_name).from_pretrained(case_dir, from_pt=True)
    if flax_name is not None:
        flax_model = getattr(transformers, flax_name).from_pretrained(case_dir, from_pt=True)
    for suffix, left_padding in (("", False), ("_left_padded", True)):
        inputs = make_inputs(CONFIGS[case], head, seed, left_padding=left_padding)
        write_outputs(case_dir, suffix, inputs, head, model, tf_model, flax_model)
    (case_dir / "case.json").write_text(json.dumps({
        "case": case, "head": head, "classes": {"pt": pt_name, "tf": tf_name, "flax": flax_name},
        "transformers": transformers.__version__,
    }, indent=2) + "\n")
    print(f"gpt2/{case_dir.name}: outputs written ({', '.join(n for n in (pt_name, tf_name, flax_name) if n)})")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: gpt2_references.py OUT_DIR", file=sys.stderr)
        return 2
    out_dir = Path(argv[0]) / "gpt2"
    out_dir.mkdir(parents=True, exist_ok=True)
    for case_index, case in enumerate(CONFIGS):
        for head_index, head in enumerate(HEADS):
            build_case(out_dir, case, head, seed=1000 * case_index + head_index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
