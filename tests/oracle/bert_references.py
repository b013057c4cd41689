"""BERT reference outputs from Transformers 4.57.6's TensorFlow and Flax classes.

Run with the ORACLE python (Transformers 4.57.6, tensorflow + tf-keras, jax/flax, torch)::

    .venv-oracle/bin/python tests/oracle/bert_references.py OUT_DIR

For every case (a tiny config shape x a head) it builds a Transformers PyTorch model with fixed
seeds and every weight randomised (biases and LayerNorm too, so nothing is trivially zero or one),
saves it as an HF checkpoint (safetensors) under ``OUT_DIR/bert/<case>/`` with ``inputs.npz``
(a padded batch), loads that checkpoint into Transformers' TF and Flax classes (``from_pt=True``)
and writes their outputs to ``outputs_tf.npz`` and ``outputs_flax.npz``; ``case.json`` names the
head. Imports nothing from plugformers; deterministic.
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

CONFIGS = {
    "gelu-h32-l2": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, hidden_act="gelu", max_position_embeddings=64, type_vocab_size=2),
    "gelu_new-h48-l3": dict(vocab_size=120, hidden_size=48, num_hidden_layers=3, num_attention_heads=6,
                            intermediate_size=64, hidden_act="gelu_new", max_position_embeddings=40,
                            type_vocab_size=3, num_labels=3),
    "relu-h24-l1": dict(vocab_size=80, hidden_size=24, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=40, hidden_act="relu", max_position_embeddings=32, type_vocab_size=2,
                        num_labels=4),
}

# head -> (PyTorch class, TF class, Flax class) in Transformers 4.57.6.
HEADS = {
    "base": ("BertModel", "TFBertModel", "FlaxBertModel"),
    "pretraining": ("BertForPreTraining", "TFBertForPreTraining", "FlaxBertForPreTraining"),
    "masked-lm": ("BertForMaskedLM", "TFBertForMaskedLM", "FlaxBertForMaskedLM"),
    "causal-lm": ("BertLMHeadModel", "TFBertLMHeadModel", "FlaxBertForCausalLM"),
    "next-sentence-prediction": ("BertForNextSentencePrediction", "TFBertForNextSentencePrediction",
                                 "FlaxBertForNextSentencePrediction"),
    "sequence-classification": ("BertForSequenceClassification", "TFBertForSequenceClassification",
                                "FlaxBertForSequenceClassification"),
    "multiple-choice": ("BertForMultipleChoice", "TFBertForMultipleChoice", "FlaxBertForMultipleChoice"),
    "token-classification": ("BertForTokenClassification", "TFBertForTokenClassification",
                             "FlaxBertForTokenClassification"),
    "question-answering": ("BertForQuestionAnswering", "TFBertForQuestionAnswering", "FlaxBertForQuestionAnswering"),
}

# The smallest config is checked on fewer heads, to keep the run short.
CASE_HEADS = {
    "gelu-h32-l2": list(HEADS),
    "gelu_new-h48-l3": ["base", "pretraining", "causal-lm", "sequence-classification", "multiple-choice",
                        "question-answering"],
    "relu-h24-l1": ["base", "masked-lm", "token-classification"],
}

OUTPUT_NAMES = ("last_hidden_state", "pooler_output", "logits", "prediction_logits", "seq_relationship_logits",
                "start_logits", "end_logits")

BATCH, LENGTH, CHOICES = 3, 8, 3


def make_inputs(config: dict, head: str, seed: int) -> dict[str, np.ndarray]:
    """A batch whose second row is padded (last 3 positions masked and set to the pad id 0)."""
    rng = np.random.default_rng(seed)
    shape = (2, CHOICES, LENGTH) if head == "multiple-choice" else (BATCH, LENGTH)
    input_ids = rng.integers(1, config["vocab_size"], size=shape).astype(np.int64)
    attention_mask = np.ones(shape, dtype=np.int64)
    token_type_ids = np.zeros(shape, dtype=np.int64)
    token_type_ids[..., LENGTH // 2:] = 1
    padded = (1,) if head != "multiple-choice" else (1, 1)
    attention_mask[padded + (slice(LENGTH - 3, None),)] = 0
    input_ids[padded + (slice(LENGTH - 3, None),)] = 0
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


def randomise(model: torch.nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * 0.1
            param.copy_(1.0 + noise if "LayerNorm.weight" in name else noise)


def collect(outputs, to_numpy) -> dict[str, np.ndarray]:
    found = {}
    for name in OUTPUT_NAMES:
        value = getattr(outputs, name, None)
        if value is not None:
            found[name] = to_numpy(value).astype(np.float32)
    return found


def build_case(out_dir: Path, case: str, head: str, seed: int) -> None:
    import jax.numpy as jnp
    import tensorflow as tf

    config_kwargs = dict(CONFIGS[case], is_decoder=(head == "causal-lm"))
    if head == "question-answering":
        config_kwargs["num_labels"] = 2  # start and end
    pt_name, tf_name, flax_name = HEADS[head]
    case_dir = out_dir / f"{case}--{head}"
    case_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = transformers.BertConfig(**config_kwargs)
    model = getattr(transformers, pt_name)(config).eval()
    randomise(model, seed)
    model.save_pretrained(case_dir, safe_serialization=True)
    inputs = make_inputs(CONFIGS[case], head, seed)
    np.savez(case_dir / "inputs.npz", **inputs)
    with torch.no_grad():
        pt_out = model(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    np.savez(case_dir / "outputs_pt.npz", **collect(pt_out, lambda t: t.numpy()))

    tf_model = getattr(transformers, tf_name).from_pretrained(case_dir, from_pt=True)
    tf_out = tf_model({k: tf.constant(v) for k, v in inputs.items()}, training=False)
    np.savez(case_dir / "outputs_tf.npz", **collect(tf_out, lambda t: t.numpy()))

    flax_model = getattr(transformers, flax_name).from_pretrained(case_dir, from_pt=True)
    flax_out = flax_model(**{k: jnp.asarray(v) for k, v in inputs.items()}, train=False)
    np.savez(case_dir / "outputs_flax.npz", **collect(flax_out, np.asarray))

    (case_dir / "case.json").write_text(json.dumps({
        "case": case, "head": head, "classes": {"pt": pt_name, "tf": tf_name, "flax": flax_name},
        "transformers": transformers.__version__,
    }, indent=2) + "\n")
    print(f"bert/{case_dir.name}: pt/tf/flax outputs written")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: bert_references.py OUT_DIR", file=sys.stderr)
        return 2
    out_dir = Path(argv[0]) / "bert"
    out_dir.mkdir(parents=True, exist_ok=True)
    for case_index, (case, heads) in enumerate(CASE_HEADS.items()):
        for head_index, head in enumerate(heads):
            build_case(out_dir, case, head, seed=1000 * case_index + head_index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
