"""Shared BERT test cases: tiny configs, heads, padded inputs, oracle-reference lookup.

Imports no framework at module level, so every test file can use it whatever is installed.
The configs and inputs are the same as ``tests/oracle/bert_references.py`` writes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]

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

# head -> class name without framework prefix (ours and Transformers' PyTorch name).
HEADS = {
    "base": "BertModel",
    "pretraining": "BertForPreTraining",
    "masked-lm": "BertForMaskedLM",
    "causal-lm": "BertLMHeadModel",
    "next-sentence-prediction": "BertForNextSentencePrediction",
    "sequence-classification": "BertForSequenceClassification",
    "multiple-choice": "BertForMultipleChoice",
    "token-classification": "BertForTokenClassification",
    "question-answering": "BertForQuestionAnswering",
}

OUTPUT_NAMES = ("last_hidden_state", "pooler_output", "logits", "prediction_logits", "seq_relationship_logits",
                "start_logits", "end_logits")

BATCH, LENGTH, CHOICES = 3, 8, 3
TOLERANCE = 1e-5


def config_kwargs(case: str, head: str) -> dict:
    kwargs = dict(CONFIGS[case], is_decoder=(head == "causal-lm"))
    if head == "question-answering":
        kwargs["num_labels"] = 2
    return kwargs


def make_inputs(config: dict, head: str, seed: int = 0) -> dict[str, np.ndarray]:
    """A batch whose second row is padded (last 3 positions masked, set to the pad id 0)."""
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


def make_labels(config: dict, head: str, seed: int = 1) -> dict[str, np.ndarray]:
    """Labels for every head (with -100 ignored positions where the loss supports them)."""
    rng = np.random.default_rng(seed)
    num_labels = config.get("num_labels", 2)
    token_labels = rng.integers(0, config["vocab_size"], size=(BATCH, LENGTH)).astype(np.int64)
    token_labels[1, LENGTH - 3:] = -100
    if head in ("masked-lm", "causal-lm"):
        return {"labels": token_labels}
    if head == "pretraining":
        return {"labels": token_labels, "next_sentence_label": rng.integers(0, 2, size=(BATCH,)).astype(np.int64)}
    if head == "next-sentence-prediction":
        return {"labels": rng.integers(0, 2, size=(BATCH,)).astype(np.int64)}
    if head == "sequence-classification":
        return {"labels": rng.integers(0, num_labels, size=(BATCH,)).astype(np.int64)}
    if head == "multiple-choice":
        return {"labels": rng.integers(0, CHOICES, size=(2,)).astype(np.int64)}
    if head == "token-classification":
        labels = rng.integers(0, num_labels, size=(BATCH, LENGTH)).astype(np.int64)
        labels[1, LENGTH - 3:] = -100
        return {"labels": labels}
    if head == "question-answering":
        # One start beyond the sequence: clamped and ignored, as in Transformers.
        return {"start_positions": np.array([1, 3, LENGTH + 5], dtype=np.int64),
                "end_positions": np.array([2, 6, 4], dtype=np.int64)}
    return {}


def randomise_torch(model, seed: int) -> None:
    """Every parameter random (LayerNorm weights near 1), so no tensor is trivially 0 or 1."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * 0.1
            param.copy_(1.0 + noise if "LayerNorm.weight" in name else noise)


def to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # torch
        return value.detach().cpu().numpy().astype(np.float32)
    return np.asarray(value).astype(np.float32)  # NumPy, TensorFlow eager tensors, JAX arrays


def outputs_of(outputs) -> dict[str, np.ndarray]:
    return {name: to_numpy(outputs[name]) for name in OUTPUT_NAMES if name in outputs}


def assert_close(ours: dict, reference: dict, what: str, tolerance: float = TOLERANCE) -> None:
    assert reference, f"{what}: the reference has no outputs"
    for name, expected in reference.items():
        assert name in ours, f"{what}: missing output {name}"
        got = ours[name]
        assert got.shape == expected.shape, f"{what}: {name} shape {got.shape} != {expected.shape}"
        diff = float(np.max(np.abs(got - expected)))
        assert diff <= tolerance, f"{what}: {name} differs by {diff:.3g} (tolerance {tolerance})"


# -- Transformers 4.57.6 TF/Flax references (tests/oracle/bert_references.py) ------------------------

ORACLE_MISSING = ("Transformers 4.57.6 oracle references not generated: run `nox -s oracle` "
                  "(or tests/oracle/bert_references.py with the oracle python)")


def oracle_dir() -> Path:
    return Path(os.environ.get("PLUGFORMERS_ORACLE_DIR", ROOT / ".oracle-references")) / "bert"


ORACLE_CASES = [
    f"{case}--{head}"
    for case, heads in {
        "gelu-h32-l2": list(HEADS),
        "gelu_new-h48-l3": ["base", "pretraining", "causal-lm", "sequence-classification", "multiple-choice",
                            "question-answering"],
        "relu-h24-l1": ["base", "masked-lm", "token-classification"],
    }.items()
    for head in heads
]


def oracle_case(name: str, framework: str) -> tuple[Path, str, dict, dict]:
    """(checkpoint dir, head, inputs, reference outputs) of one oracle case, or skip."""
    directory = oracle_dir() / name
    outputs = directory / f"outputs_{framework}.npz"
    if not outputs.exists():
        pytest.skip(f"{ORACLE_MISSING} [missing {outputs}]")
    head = name.split("--", 1)[1]
    with np.load(directory / "inputs.npz") as data:
        inputs = {k: data[k] for k in data.files}
    with np.load(outputs) as data:
        reference = {k: data[k] for k in data.files}
    return directory, head, inputs, reference
