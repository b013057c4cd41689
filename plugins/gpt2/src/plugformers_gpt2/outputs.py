"""Output types GPT-2 adds to ``plugformers.outputs`` (framework-neutral dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugformers.outputs import ModelOutput


@dataclass(repr=False)
class GPT2DoubleHeadsModelOutput(ModelOutput):
    """``GPT2DoubleHeadsModel``'s output: language-model logits and multiple-choice logits, each with
    its own loss (``loss`` from ``labels``, ``mc_loss`` from ``mc_labels``)."""

    loss: Any = None
    mc_loss: Any = None
    logits: Any = None
    mc_logits: Any = None
    past_key_values: Any = None
    hidden_states: Any = None
    attentions: Any = None
