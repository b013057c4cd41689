"""Output types BERT adds to ``plugformers.outputs`` (framework-neutral dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugformers.outputs import ModelOutput


@dataclass(repr=False)
class BertForPreTrainingOutput(ModelOutput):
    """``BertForPreTraining``'s output: masked-LM and next-sentence logits, and their summed loss."""

    loss: Any = None
    prediction_logits: Any = None
    seq_relationship_logits: Any = None
    hidden_states: Any = None
    attentions: Any = None
