"""Fixtures of the generation tests: the Transformers 4.57.6 references, comparison helpers, and
fake tokenizer/streamer objects."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
MISSING_ORACLE = ("Transformers 4.57.6 oracle references not generated: run `nox -s oracle` (or "
                  "tests/oracle/generation_references.py with the oracle python)")


@pytest.fixture(scope="session")
def generation_references() -> dict:
    """``checkpoint`` (Path), ``cases`` and ``outputs`` per framework (pt / tf / flax), from
    ``$PLUGFORMERS_ORACLE_DIR/generation`` (default ``<repo>/.oracle-references``)."""
    root = Path(os.environ.get("PLUGFORMERS_ORACLE_DIR", ROOT / ".oracle-references")) / "generation"
    if not (root / "cases.json").exists():
        pytest.skip(MISSING_ORACLE)
    return {
        "checkpoint": root / "checkpoint",
        "cases": json.loads((root / "cases.json").read_text()),
        "outputs": {fw: json.loads((root / f"outputs_{fw}.json").read_text()) for fw in ("pt", "tf", "flax")},
    }


def reference_for(references: dict, framework: str, case: str) -> tuple[list, str]:
    """The 4.57.6 output of ``framework`` for ``case``, or, where that framework could not run the case
    or its beam search differs from Transformers' PyTorch one, the PyTorch output of the same run
    (ours follows PyTorch). Returns ``(token ids, which)``."""
    own = references["outputs"][framework][case]
    pt = references["outputs"]["pt"][case]
    if isinstance(own, dict) or not same_tokens(own, pt, references["cases"][case]["kwargs"]["pad_token_id"]):
        return pt, "pt"
    return own, framework


def same_tokens(ours, theirs, pad: int) -> bool:
    """Token-for-token equality, except that Transformers' TF/Flax return sequences padded (with
    ``pad``) to their static length: a longer side may only add padding."""
    ours, theirs = np.asarray(ours).tolist(), np.asarray(theirs).tolist()
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs):
        short, long = (a, b) if len(a) <= len(b) else (b, a)
        if long[:len(short)] != short or any(t != pad for t in long[len(short):]):
            return False
    return True


class CharTokenizer:
    """Token i decodes to ``pieces[i]`` (a fake tokenizer for stop strings and streamers)."""

    def __init__(self, vocab_size: int):
        letters = "abcdefghijklmnopqrstuvwxyz"
        self.pieces = [letters[i % 26] + letters[(i // 26) % 26] + " " for i in range(vocab_size)]

    def decode(self, ids, skip_special_tokens: bool = False, **kwargs) -> str:
        return "".join(self.pieces[int(i)] for i in ids)


class RecordingStreamer:
    """Records every ``put`` (as lists of ints) and whether ``end`` was called."""

    def __init__(self):
        self.puts: list[list[int]] = []
        self.ended = False

    def put(self, value) -> None:
        self.puts.append(np.asarray(value).reshape(-1).tolist())

    def end(self) -> None:
        self.ended = True


@pytest.fixture
def char_tokenizer():
    return CharTokenizer


@pytest.fixture
def recording_streamer():
    return RecordingStreamer()


@pytest.fixture(scope="session")
def helpers():
    """Plain functions for the test modules (pytest's importlib mode has no conftest imports)."""
    return type("Helpers", (), {"same_tokens": staticmethod(same_tokens),
                                "reference_for": staticmethod(reference_for)})
