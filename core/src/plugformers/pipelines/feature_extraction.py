"""``feature-extraction`` and ``sentence-similarity``: hidden states and pooled sentence embeddings."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import PipelineError
from .base import Pipeline

POOLINGS = ("none", "mean", "cls", "max")


def pool(hidden: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    """Pool one example's hidden states [seq, hidden] with its attention mask [seq]."""
    if pooling == "mean":
        weights = mask.astype(hidden.dtype)[:, None]
        return (hidden * weights).sum(0) / max(weights.sum(), 1e-9)
    if pooling == "cls":
        return hidden[0]
    if pooling == "max":
        masked = np.where(mask[:, None] > 0, hidden, -np.inf)
        return masked.max(0)
    raise PipelineError(f"pooling must be one of {POOLINGS}, got {pooling!r}")


class FeatureExtractionPipeline(Pipeline):
    """Per-token hidden states (``pooling="none"``, Transformers' shape ``[1, seq, hidden]``) or a
    pooled sentence embedding (``pooling="mean"|"cls"|"max"``, optionally ``normalize=True``)."""

    task = "feature-extraction"

    def preprocess(self, item: Any, *, truncation: bool = True, max_length: int | None = None, **_: Any) -> dict:
        text = self.check_text(item)
        encoded = self.tokenizer(text, truncation=truncation, max_length=max_length)
        return {k: list(v) for k, v in encoded.items() if k in ("input_ids", "attention_mask", "token_type_ids")}

    def forward(self, batch: dict, **_: Any) -> dict:
        return self.run_model(batch, keep=("last_hidden_state",))

    def postprocess(self, outputs: list[dict], item: Any, *, pooling: str = "none", normalize: bool = False,
                    return_tensors: bool = False, **_: Any) -> Any:
        (out,) = outputs
        hidden = out["last_hidden_state"]
        if pooling == "none":
            result = hidden[None]
        else:
            result = pool(hidden, np.asarray(out["_inputs"]["attention_mask"]), pooling)
            if normalize:
                result = result / max(float(np.linalg.norm(result)), 1e-12)
        if return_tensors:
            return result
        return result.tolist()


class SentenceSimilarityPipeline(FeatureExtractionPipeline):
    """``{"source_sentence": str, "sentences": [str, ...]}`` -> cosine similarities (mean pooling)."""

    task = "sentence-similarity"

    def is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, dict)

    def __call__(self, inputs: Any, **params: Any) -> Any:
        if not isinstance(inputs, dict) or not isinstance(inputs.get("sentences"), (list, tuple)):
            raise PipelineError(
                "sentence-similarity: inputs must be {'source_sentence': str, 'sentences': [str, ...]}"
            )
        source = self.check_text(inputs.get("source_sentence"), "source_sentence")
        sentences = [self.check_text(s, "sentences[]") for s in inputs["sentences"]]
        if not sentences:
            raise PipelineError("sentence-similarity: sentences is empty")
        params = {**params, "pooling": params.get("pooling", "mean"), "normalize": True, "return_tensors": True}
        embeddings = FeatureExtractionPipeline.__call__(self, [source, *sentences], **params)
        return [float(np.dot(embeddings[0], e)) for e in embeddings[1:]]
