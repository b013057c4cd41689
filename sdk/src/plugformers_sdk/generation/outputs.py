"""What ``generate(..., return_dict_in_generate=True)`` returns (Transformers' names and fields)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugformers.outputs import ModelOutput


@dataclass(repr=False)
class GenerateDecoderOnlyOutput(ModelOutput):
    """Greedy search or sampling: ``sequences`` [rows, prompt + new]; ``scores``: one processed
    score array [rows, vocab] per generated token (with ``output_scores``)."""

    sequences: Any = None
    scores: Any = None


@dataclass(repr=False)
class GenerateBeamDecoderOnlyOutput(ModelOutput):
    """Beam search: ``sequences`` [batch * num_return_sequences, prompt + new]; with
    ``output_scores``, ``sequences_scores`` (length-penalised log-probabilities of the returned
    beams) and ``scores`` (processed log-probabilities [batch * num_beams, vocab] per step)."""

    sequences: Any = None
    sequences_scores: Any = None
    scores: Any = None
