"""``zero-shot-classification``: an NLI model scores "premise entails hypothesis" per label."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import PipelineError
from .base import Pipeline, softmax


class ZeroShotClassificationPipeline(Pipeline):
    task = "zero-shot-classification"
    per_token = False

    def entailment_id(self) -> int:
        for label, index in (self.model.config.label2id or {}).items():
            if label.lower().startswith("entail"):
                return int(index)
        return -1

    def __call__(self, inputs: Any, candidate_labels: Any = None, **params: Any) -> Any:
        labels = params.pop("candidate_labels", candidate_labels)
        if isinstance(labels, str):
            labels = [part.strip() for part in labels.split(",") if part.strip()]
        if not labels or not all(isinstance(label, str) and label for label in labels):
            raise PipelineError("zero-shot-classification: candidate_labels must be a non-empty list of strings")
        template = params.get("hypothesis_template", "This example is {}.")
        if "{}" not in template:
            raise PipelineError(f"hypothesis_template must contain '{{}}', got {template!r}")
        return super().__call__(inputs, candidate_labels=list(labels), **params)

    def preprocess(self, item: Any, *, candidate_labels: list[str], hypothesis_template: str = "This example is {}.",
                   **_: Any) -> list[dict]:
        text = self.check_text(item)
        parts = []
        for label in candidate_labels:
            encoded = self.tokenizer(text, hypothesis_template.format(label), truncation="only_first")
            parts.append({k: list(v) for k, v in encoded.items() if k in ("input_ids", "attention_mask", "token_type_ids")})
        return parts

    def forward(self, batch: dict, **_: Any) -> dict:
        return self.run_model(batch, keep=("logits",))

    def postprocess(self, outputs: list[dict], item: str, *, candidate_labels: list[str], multi_label: bool = False,
                    **_: Any) -> dict:
        entail = self.entailment_id()
        logits = np.stack([o["logits"] for o in outputs]).astype(np.float64)  # [labels, nli_classes]
        if multi_label or len(candidate_labels) == 1:
            contradiction = 0 if entail != 0 else -1
            pair = logits[:, [contradiction, entail]]
            scores = softmax(pair, axis=-1)[:, 1]
        else:
            scores = softmax(logits[:, entail])
        order = np.argsort(-scores, kind="stable")
        return {"sequence": item, "labels": [candidate_labels[i] for i in order],
                "scores": [float(scores[i]) for i in order]}
