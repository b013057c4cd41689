"""``token-classification`` (NER): per-token labels, optionally aggregated into entities.

``aggregation_strategy``:
- ``none``: one result per token (label ``entity``), "O" tokens dropped;
- ``simple``: adjacent tokens with the same entity type (B-/I- aware) grouped;
- ``first`` / ``average`` / ``max``: tokens first merged into words (the word takes the label of
  its first token, of its averaged scores, or of its highest-scoring token), then grouped.
Grouped results use ``entity_group`` and the mean score of their parts, like Transformers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import PipelineError
from .base import Pipeline, softmax

STRATEGIES = ("none", "simple", "first", "average", "max")


def split_tag(label: str) -> tuple[str, str]:
    if label.startswith(("B-", "I-")):
        return label[0], label[2:]
    return "I", label


class TokenClassificationPipeline(Pipeline):
    task = "token-classification"

    def preprocess(self, item: Any, *, truncation: bool = True, **_: Any) -> dict:
        text = self.check_text(item)
        encoded = self.tokenizer(text, truncation=truncation, return_offsets_mapping=True,
                                 return_special_tokens_mask=True)
        part = {k: list(encoded[k]) for k in ("input_ids", "attention_mask", "token_type_ids") if k in encoded}
        part["offsets"] = [tuple(o) for o in encoded["offset_mapping"]]
        part["special"] = list(encoded["special_tokens_mask"])
        part["word_ids"] = list(encoded.word_ids())
        return part

    def collate(self, parts):
        return super().collate([{k: v for k, v in p.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
                                for p in parts])

    def forward(self, batch: dict, **_: Any) -> dict:
        return self.run_model(batch, keep=("logits",))

    def postprocess(self, outputs: list[dict], item: str, *, aggregation_strategy: str = "none",
                    ignore_labels: tuple[str, ...] = ("O",), **_: Any) -> list[dict]:
        if aggregation_strategy not in STRATEGIES:
            raise PipelineError(f"aggregation_strategy must be one of {STRATEGIES}, got {aggregation_strategy!r}")
        out = outputs[0]
        inputs = out["_inputs"]
        scores = softmax(out["logits"].astype(np.float64))
        id2label = self.model.config.id2label or {}
        tokens = []
        for index, token_id in enumerate(inputs["input_ids"]):
            if inputs["special"][index]:
                continue
            start, end = inputs["offsets"][index]
            tokens.append({"index": index, "scores": scores[index], "start": int(start), "end": int(end),
                           "word_id": inputs["word_ids"][index],
                           "token": self.tokenizer.convert_ids_to_tokens(int(token_id))})
        if aggregation_strategy == "none":
            results = []
            for token in tokens:
                label_id = int(token["scores"].argmax())
                label = id2label.get(label_id, f"LABEL_{label_id}")
                if label in ignore_labels:
                    continue
                results.append({"entity": label, "score": float(token["scores"][label_id]), "index": token["index"],
                                "word": token["token"], "start": token["start"], "end": token["end"]})
            return results
        if aggregation_strategy == "simple":
            units = [self._unit(item, [t], t["scores"], id2label) for t in tokens]
        else:
            units = [self._word(item, group, aggregation_strategy, id2label) for group in self._words(tokens)]
        return [g for g in self._group(item, units) if g["entity_group"] not in ignore_labels]

    @staticmethod
    def _words(tokens: list[dict]) -> list[list[dict]]:
        groups: list[list[dict]] = []
        for token in tokens:
            if groups and token["word_id"] is not None and groups[-1][-1]["word_id"] == token["word_id"]:
                groups[-1].append(token)
            else:
                groups.append([token])
        return groups

    def _word(self, text: str, group: list[dict], strategy: str, id2label: dict) -> dict:
        if strategy == "first":
            scores = group[0]["scores"]
        elif strategy == "average":
            scores = np.mean([t["scores"] for t in group], axis=0)
        else:  # max
            scores = max(group, key=lambda t: t["scores"].max())["scores"]
        return self._unit(text, group, scores, id2label)

    @staticmethod
    def _unit(text: str, group: list[dict], scores: np.ndarray, id2label: dict) -> dict:
        label_id = int(scores.argmax())
        return {"entity": id2label.get(label_id, f"LABEL_{label_id}"), "score": float(scores[label_id]),
                "start": group[0]["start"], "end": group[-1]["end"]}

    @staticmethod
    def _group(text: str, units: list[dict]) -> list[dict]:
        groups: list[list[dict]] = []
        for unit in units:
            bi, tag = split_tag(unit["entity"])
            if groups:
                last_bi, last_tag = split_tag(groups[-1][-1]["entity"])
                if tag == last_tag and bi != "B":
                    groups[-1].append(unit)
                    continue
            groups.append([unit])
        results = []
        for group in groups:
            start, end = group[0]["start"], group[-1]["end"]
            results.append({"entity_group": split_tag(group[0]["entity"])[1],
                            "score": float(np.mean([u["score"] for u in group])),
                            "word": text[start:end], "start": start, "end": end})
        return results
