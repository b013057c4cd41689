"""``fill-mask``: the most likely tokens for each mask token."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import PipelineError
from .base import Pipeline, softmax


class FillMaskPipeline(Pipeline):
    task = "fill-mask"

    def preprocess(self, item: Any, *, truncation: bool = True, **_: Any) -> dict:
        text = self.check_text(item)
        mask = getattr(self.tokenizer, "mask_token", None)
        if mask is None:
            raise PipelineError("fill-mask: the tokenizer has no mask token")
        encoded = self.tokenizer(text, truncation=truncation)
        ids = list(encoded["input_ids"])
        if self.tokenizer.mask_token_id not in ids:
            raise PipelineError(f"fill-mask: the input has no mask token {mask!r}: {text!r}")
        return {k: list(v) for k, v in encoded.items() if k in ("input_ids", "attention_mask", "token_type_ids")}

    def forward(self, batch: dict, **_: Any) -> dict:
        return self.run_model(batch, keep=("logits",))

    def postprocess(self, outputs: list[dict], item: Any, *, top_k: int = 5, targets: Any = None, **_: Any) -> Any:
        if not isinstance(top_k, int) or top_k < 1:
            raise PipelineError(f"top_k must be a positive int, got {top_k!r}")
        out = outputs[0]
        ids = np.asarray(out["_inputs"]["input_ids"])
        positions = np.nonzero(ids == self.tokenizer.mask_token_id)[0]
        target_ids = self._target_ids(targets)
        results = []
        for position in positions:
            probs = softmax(out["logits"][position].astype(np.float64))
            candidates = np.asarray(target_ids) if target_ids is not None else np.arange(len(probs))
            order = candidates[np.argsort(-probs[candidates], kind="stable")][:top_k]
            answers = []
            for token_id in order:
                filled = ids.copy()
                filled[position] = token_id
                answers.append({
                    "score": float(probs[token_id]),
                    "token": int(token_id),
                    "token_str": self.tokenizer.decode([int(token_id)]),
                    "sequence": self.tokenizer.decode(filled.tolist(), skip_special_tokens=True),
                })
            results.append(answers)
        return results[0] if len(results) == 1 else results

    def _target_ids(self, targets: Any) -> list[int] | None:
        if targets is None:
            return None
        if isinstance(targets, str):
            targets = [targets]
        ids = []
        for target in targets:
            token_ids = self.tokenizer(target, add_special_tokens=False)["input_ids"]
            if not token_ids:
                raise PipelineError(f"fill-mask: target {target!r} tokenizes to nothing")
            ids.append(int(token_ids[0]))
        return ids
