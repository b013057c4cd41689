"""``text-classification``: labels and scores for a text or a text pair."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import PipelineError
from .base import Pipeline, sigmoid, softmax

FUNCTIONS = ("softmax", "sigmoid", "none")


class TextClassificationPipeline(Pipeline):
    task = "text-classification"
    per_token = False

    def preprocess(self, item: Any, *, truncation: bool = True, **_: Any) -> dict:
        if isinstance(item, dict):
            text = self.check_text(item.get("text"), "text")
            pair = self.check_text(item.get("text_pair"), "text_pair") if item.get("text_pair") is not None else None
            encoded = self.tokenizer(text, pair, truncation=truncation)
        else:
            encoded = self.tokenizer(self.check_text(item), truncation=truncation)
        return {k: list(v) for k, v in encoded.items() if k in ("input_ids", "attention_mask", "token_type_ids")}

    def forward(self, batch: dict, **_: Any) -> dict:
        return self.run_model(batch, keep=("logits",))

    def default_function(self) -> str:
        config = self.model.config
        if config.problem_type in ("multi_label_classification", "regression") or config.num_labels == 1:
            return "sigmoid"
        return "softmax"

    def postprocess(self, outputs: list[dict], item: Any, *, top_k: int | None = 1,
                    function_to_apply: str | None = None, **_: Any) -> Any:
        logits = outputs[0]["logits"].astype(np.float64)
        function = function_to_apply or self.default_function()
        if function not in FUNCTIONS:
            raise PipelineError(f"function_to_apply must be one of {FUNCTIONS}, got {function!r}")
        scores = softmax(logits) if function == "softmax" else sigmoid(logits) if function == "sigmoid" else logits
        id2label = self.model.config.id2label or {}
        ranked = [{"label": id2label.get(i, f"LABEL_{i}"), "score": float(scores[i])} for i in range(len(scores))]
        ranked.sort(key=lambda d: d["score"], reverse=True)
        if top_k is None:
            return ranked
        if not isinstance(top_k, int) or top_k < 1:
            raise PipelineError(f"top_k must be a positive int or None, got {top_k!r}")
        return ranked[:top_k]
