"""Shared by the LLaMA tests: tiny configs (grouped-query heads, every rope scaling type, tied and
untied embeddings), inputs, randomised Transformers checkpoints, the oracle-reference reader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]

TINY: dict[str, dict] = {
    "gqa-default-untied": dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False),
    "mha-linear-tied": dict(num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=True,
                            rope_scaling={"rope_type": "linear", "factor": 2.0}),
    "gqa-dynamic-untied": dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
                               max_position_embeddings=6, rope_scaling={"rope_type": "dynamic", "factor": 2.0}),
    "gqa-llama3-tied": dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True, rope_theta=500000.0,
                            rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                          "high_freq_factor": 4.0, "original_max_position_embeddings": 4}),
    "mqa-yarn-bias-headdim": dict(num_attention_heads=4, num_key_value_heads=1, head_dim=12, tie_word_embeddings=False,
                                  attention_bias=True, mlp_bias=True,
                                  rope_scaling={"rope_type": "yarn", "factor": 4.0,
                                                "original_max_position_embeddings": 8}),
}
BASE = dict(vocab_size=97, hidden_size=32, intermediate_size=48, num_hidden_layers=2, max_position_embeddings=64,
            pad_token_id=0, rms_norm_eps=1e-5)

HEADS = ("base", "causal-lm", "sequence-classification", "token-classification", "question-answering")
CLASS_NAMES = {
    "base": "LlamaModel", "causal-lm": "LlamaForCausalLM", "sequence-classification": "LlamaForSequenceClassification",
    "token-classification": "LlamaForTokenClassification", "question-answering": "LlamaForQuestionAnswering",
}
MAIN_OUTPUT = {"base": "last_hidden_state", "causal-lm": "logits", "sequence-classification": "logits",
               "token-classification": "logits", "question-answering": "start_logits"}
TOLERANCE = 1e-5


def config_kwargs(case: str, head: str = "base") -> dict:
    kwargs = dict(BASE, **TINY[case])
    if head == "sequence-classification":
        kwargs["num_labels"] = 3
    return kwargs


def make_inputs(vocab_size: int, *, batch: int = 3, length: int = 9, seed: int = 0, padding: str = "right") -> dict:
    """int64 input_ids/attention_mask; row 1 is padded by 3 tokens (pad id 0) on ``padding``'s side."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab_size, size=(batch, length)).astype(np.int64)
    mask = np.ones((batch, length), dtype=np.int64)
    if padding == "right":
        ids[1, -3:], mask[1, -3:] = 0, 0
    elif padding == "left":
        ids[1, :3], mask[1, :3] = 0, 0
    return {"input_ids": ids, "attention_mask": mask}


def valid_positions(array: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``array`` [b, s, ...] with padded positions zeroed (their values are meaningless)."""
    out = np.array(array, copy=True)
    out[mask == 0] = 0
    return out


def randomise_torch(model, seed: int = 0) -> None:
    """Every weight random (norm weights around 1), so no tensor is trivially zero or one."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * 0.1
            param.copy_(1.0 + noise if name.endswith("norm.weight") else noise)


def oracle_dir() -> Path:
    return Path(os.environ.get("PLUGFORMERS_ORACLE_DIR", ROOT / ".oracle-references"))


def oracle_cases() -> list[Path]:
    base = oracle_dir() / "llama"
    return sorted(p for p in base.glob("*--*") if (p / "case.json").is_file()) if base.is_dir() else []


def require_oracle_case(case_dir: Path | None) -> Path:
    if case_dir is None or not (case_dir / "case.json").is_file():
        pytest.skip("Transformers 4.57.6 oracle references not generated: run `nox -s oracle` "
                    "(or tests/oracle/llama_references.py with the oracle python)")
    return case_dir


def read_case(case_dir: Path) -> tuple[dict, dict, dict]:
    case = json.loads((case_dir / "case.json").read_text())
    inputs = dict(np.load(case_dir / "inputs.npz"))
    outputs = dict(np.load(case_dir / "outputs_flax.npz"))
    return case, inputs, outputs


def torch_reference(directory, case: str, head: str, seed: int):
    """A randomised PyTorch model of ours saved to ``directory``; returns the model."""
    from plugformers_llama import modeling_torch
    from plugformers_llama.configuration import LlamaConfig

    model = getattr(modeling_torch, CLASS_NAMES[head]).from_config(LlamaConfig(**config_kwargs(case, head)), seed=seed)
    randomise_torch(model, seed)
    model.tie_weights()
    model.save_pretrained(directory)
    return model


def torch_outputs(model, inputs: dict, **kwargs) -> dict:
    import torch

    with torch.no_grad():
        out = model(**{k: torch.from_numpy(v) for k, v in inputs.items()}, **kwargs)
    return {k: v.numpy() for k, v in out.items() if k != "past_key_values" and hasattr(v, "numpy")}


def assert_outputs_close(got, expected: dict, mask: np.ndarray, what: str = "") -> None:
    """Every output of ``expected`` agrees with ``got`` (any framework) at real tokens, within 1e-5."""
    for name, want in expected.items():
        have = np.asarray(got[name])
        if want.ndim >= 2 and want.shape[:2] == mask.shape:
            have, want = valid_positions(have, mask), valid_positions(want, mask)
        np.testing.assert_allclose(have, want, atol=TOLERANCE, rtol=0, err_msg=f"{what} {name}")
