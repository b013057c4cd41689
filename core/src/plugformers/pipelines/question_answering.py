"""``question-answering``: extractive answers, long contexts split into overlapping windows.

Each window's start/end logits are masked to the context tokens, turned into probabilities,
and the best spans (end >= start, at most ``max_answer_len`` tokens) are kept across windows.
With ``handle_impossible_answer`` the empty answer (the first token's start x end score)
competes with the spans.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import PipelineError
from .base import Pipeline, softmax


def select_spans(start_logits: np.ndarray, end_logits: np.ndarray, context: np.ndarray, *, top_k: int,
                 max_answer_len: int) -> tuple[list[tuple[int, int, float]], float]:
    """Best ``(start, end, score)`` token spans inside ``context`` (a boolean mask), and the null score.

    Probabilities are softmaxes over the window with non-context tokens excluded (the first token,
    kept for the null answer, excepted); a span's score is ``p_start[s] * p_end[e]``.
    """
    if max_answer_len < 1:
        raise PipelineError(f"max_answer_len must be >= 1, got {max_answer_len}")
    keep = context.copy()
    keep[0] = True
    neg = np.finfo(np.float64).min / 2
    start = softmax(np.where(keep, start_logits.astype(np.float64), neg))
    end = softmax(np.where(keep, end_logits.astype(np.float64), neg))
    null_score = float(start[0] * end[0])
    scores = np.outer(start, end)
    n = len(start)
    valid = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), k=max_answer_len)
    valid &= context[:, None] & context[None, :]
    scores = np.where(valid, scores, -1.0)
    flat = np.argsort(-scores, axis=None, kind="stable")[:top_k]
    spans = []
    for index in flat:
        s, e = np.unravel_index(index, scores.shape)
        if scores[s, e] < 0:
            break
        spans.append((int(s), int(e), float(scores[s, e])))
    return spans, null_score


class QuestionAnsweringPipeline(Pipeline):
    task = "question-answering"

    def is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, dict)

    def __call__(self, inputs: Any = None, *, question: Any = None, context: Any = None, **params: Any) -> Any:
        if inputs is None and (question is not None or context is not None):
            if isinstance(question, list):
                if not isinstance(context, list) or len(context) != len(question):
                    raise PipelineError("question-answering: question and context lists must have the same length")
                inputs = [{"question": q, "context": c} for q, c in zip(question, context)]
            else:
                inputs = {"question": question, "context": context}
        return super().__call__(inputs, **params)

    def preprocess(self, item: Any, *, max_seq_len: int = 384, doc_stride: int = 128, max_question_len: int = 64,
                   **_: Any) -> list[dict]:
        if not isinstance(item, dict):
            raise PipelineError(f"question-answering: each input must be a dict with 'question' and 'context', "
                                f"got {type(item).__name__}")
        question = self.check_text(item.get("question"), "question")
        context = self.check_text(item.get("context"), "context")
        if doc_stride >= max_seq_len:
            raise PipelineError(f"doc_stride ({doc_stride}) must be smaller than max_seq_len ({max_seq_len})")
        question_ids = self.tokenizer(question, add_special_tokens=False)["input_ids"]
        if len(question_ids) > max_question_len:
            raise PipelineError(f"question-answering: the question has {len(question_ids)} tokens, over "
                                f"max_question_len={max_question_len}")
        encoded = self.tokenizer(question, context, truncation="only_second", max_length=max_seq_len,
                                 stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True)
        windows = []
        for i in range(len(encoded["input_ids"])):
            sequence_ids = encoded.sequence_ids(i)
            windows.append({
                **{k: list(encoded[k][i]) for k in ("input_ids", "attention_mask", "token_type_ids") if k in encoded},
                "offsets": [tuple(o) for o in encoded["offset_mapping"][i]],
                "context_mask": [s == 1 for s in sequence_ids],
            })
        return windows

    def collate(self, parts):
        return super().collate([{k: v for k, v in p.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
                                for p in parts])

    def forward(self, batch: dict, **_: Any) -> dict:
        return self.run_model(batch, keep=("start_logits", "end_logits"))

    def postprocess(self, outputs: list[dict], item: dict, *, top_k: int = 1, max_answer_len: int = 15,
                    handle_impossible_answer: bool = False, **_: Any) -> Any:
        if not isinstance(top_k, int) or top_k < 1:
            raise PipelineError(f"top_k must be a positive int, got {top_k!r}")
        context = item["context"]
        answers = []
        null_scores = []
        for window in outputs:
            mask = np.asarray(window["_inputs"]["context_mask"], dtype=bool)
            spans, null = select_spans(window["start_logits"], window["end_logits"], mask, top_k=top_k,
                                       max_answer_len=max_answer_len)
            null_scores.append(null)
            offsets = window["_inputs"]["offsets"]
            for s, e, score in spans:
                start, end = offsets[s][0], offsets[e][1]
                answers.append({"score": score, "start": int(start), "end": int(end), "answer": context[start:end]})
        if handle_impossible_answer:
            answers.append({"score": min(null_scores), "start": 0, "end": 0, "answer": ""})
        best: dict[tuple[int, int], dict] = {}
        for answer in answers:  # the same span seen in two overlapping windows counts once
            key = (answer["start"], answer["end"])
            if key not in best or answer["score"] > best[key]["score"]:
                best[key] = answer
        ranked = sorted(best.values(), key=lambda a: a["score"], reverse=True)[:top_k]
        if not ranked:
            raise PipelineError("question-answering: no answer span fits in the context")
        return ranked[0] if top_k == 1 else ranked
