"""What the GPT-2 tests share: tiny configs, a padded batch, randomised weights, the oracle reader.

The configs and inputs are those of ``tests/oracle/gpt2_references.py`` (Transformers 4.57.6
references), so in-process comparisons and saved references exercise the same cases.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
PAD = 1
BATCH, LENGTH, CHOICES = 3, 8, 2

CONFIGS = {
    "gelu_new-h32-l2": dict(vocab_size=99, n_positions=40, n_embd=32, n_layer=2, n_head=4,
                            activation_function="gelu_new", pad_token_id=PAD, bos_token_id=0, eos_token_id=0),
    "gelu-h48-l3": dict(vocab_size=120, n_positions=32, n_embd=48, n_layer=3, n_head=6, n_inner=64,
                        activation_function="gelu", layer_norm_epsilon=1e-6, num_labels=3, pad_token_id=PAD,
                        bos_token_id=0, eos_token_id=0),
}
# Attention-scaling options Transformers 4.57.6's TF/Flax classes never implemented; PyTorch only.
SCALED_CONFIG = dict(CONFIGS["gelu_new-h32-l2"], scale_attn_by_inverse_layer_idx=True,
                     reorder_and_upcast_attn=True, summary_activation="tanh", summary_type="cls_index")
NO_DROPOUT = dict(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)

# head -> class name without framework prefix.
HEADS = {
    "base": "GPT2Model",
    "causal-lm": "GPT2LMHeadModel",
    "double-heads": "GPT2DoubleHeadsModel",
    "sequence-classification": "GPT2ForSequenceClassification",
    "token-classification": "GPT2ForTokenClassification",
}
OUTPUT_NAMES = ("last_hidden_state", "logits", "mc_logits")
TOLERANCE = 1e-5


def gpt2_config(case: str | dict, **overrides):
    from plugformers_gpt2.configuration import GPT2Config

    values = CONFIGS[case] if isinstance(case, str) else case
    return GPT2Config(**{**values, **NO_DROPOUT, **overrides})


def make_inputs(config: dict, head: str, seed: int, *, left_padding: bool = True) -> dict[str, np.ndarray]:
    """Row 0 full, row 1 left-padded (3 pads), row 2 right-padded (2 pads); pads hold ``PAD``.
    ``position_ids`` = ``cumsum(attention_mask) - 1`` (1 on padding). Double heads: [2, CHOICES,
    LENGTH] with ``mc_token_ids`` at each choice's last real token."""
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


def randomise_torch(model, seed: int) -> None:
    """Every parameter random (LayerNorm weights around 1), so nothing is trivially zero or one."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * 0.1
            is_norm_weight = name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight"))
            param.copy_(1.0 + noise if is_norm_weight else noise)


def random_torch_model(head: str, config, seed: int = 0):
    """Our PyTorch model for ``head`` with randomised weights, in eval mode."""
    from plugformers_gpt2 import modeling_torch

    model = getattr(modeling_torch, HEADS[head]).from_config(config, seed=seed)
    randomise_torch(model, seed)
    return model.eval()


def as_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    return np.asarray(value, dtype=np.float32)


def valid_positions(name: str, attention_mask: np.ndarray) -> np.ndarray | None:
    """Boolean mask over the leading axes of output ``name`` that selects real (unpadded) tokens;
    padded positions hold no meaningful value. None: compare everything."""
    if name in ("last_hidden_state", "logits") and attention_mask is not None:
        return attention_mask.astype(bool)
    return None


def assert_outputs_close(ours, reference: dict, attention_mask: np.ndarray | None, *, head: str,
                         tolerance: float = TOLERANCE, what: str = "") -> None:
    """Every reference output (by name) matches ours at real tokens within ``tolerance``."""
    compared = 0
    for name, expected in reference.items():
        if name not in OUTPUT_NAMES:
            continue
        actual = as_numpy(ours[name])
        expected = as_numpy(expected)
        assert actual.shape == expected.shape, f"{what} {head} {name}: shape {actual.shape} != {expected.shape}"
        mask = attention_mask if not (head == "sequence-classification" and name == "logits") else None
        keep = valid_positions(name, mask)
        if keep is not None:
            actual, expected = actual[keep], expected[keep]
        error = float(np.max(np.abs(actual - expected)))
        assert error < tolerance, f"{what} {head} {name}: max abs error {error:.3g} >= {tolerance}"
        compared += 1
    assert compared, f"{what} {head}: no output to compare"


# -- Transformers 4.57.6 references (tests/oracle/gpt2_references.py) -----------------------------

ORACLE_SKIP = ("Transformers 4.57.6 oracle references not generated: run `nox -s oracle` "
               "(or tests/oracle/gpt2_references.py with the oracle python)")


def oracle_case_dir(case: str, head: str) -> Path:
    root = Path(os.environ.get("PLUGFORMERS_ORACLE_DIR", REPO / ".oracle-references"))
    directory = root / "gpt2" / f"{case}--{head}"
    if not (directory / "case.json").is_file():
        pytest.skip(f"{ORACLE_SKIP} (missing {directory})")
    return directory


def oracle_reference(case: str, head: str, framework: str, *, left_padded: bool) -> tuple[Path, dict, dict]:
    """(checkpoint directory, inputs, outputs of Transformers 4.57.6's ``framework`` class) for the
    right-padded batch (every position comparable) or the left-padded one (real tokens only)."""
    directory = oracle_case_dir(case, head)
    info = json.loads((directory / "case.json").read_text())
    if info["classes"].get(framework) is None:
        pytest.skip(f"Transformers 4.57.6 has no {framework} class for GPT-2's {head} head")
    suffix = "_left_padded" if left_padded else ""
    if not (directory / f"inputs{suffix}.npz").is_file():
        pytest.skip(f"{ORACLE_SKIP} (stale: {directory} lacks inputs{suffix}.npz)")
    inputs = dict(np.load(directory / f"inputs{suffix}.npz"))
    outputs = dict(np.load(directory / f"outputs{suffix}_{framework}.npz"))
    return directory, inputs, outputs


def assert_transformers_loads_cleanly(directory: Path, head: str) -> None:
    """Transformers 5.x (when installed) loads a checkpoint we saved with nothing missing, unexpected
    or mis-shaped."""
    try:
        import transformers
    except ImportError:
        return  # the PyTorch oracle is optional here; test_modeling_torch.py skips loudly without it
    model, info = getattr(transformers, HEADS[head]).from_pretrained(directory, output_loading_info=True)
    problems = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    assert not problems, f"Transformers' {HEADS[head]} loading {directory}: {problems}"
