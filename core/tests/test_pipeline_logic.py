"""Pipeline post-processing logic on constructed values (no model needed)."""

import numpy as np
import pytest

from plugformers.errors import PipelineError
from plugformers.pipelines.feature_extraction import pool
from plugformers.pipelines.question_answering import select_spans
from plugformers.pipelines.token_classification import TokenClassificationPipeline, split_tag


def test_span_selection_picks_the_best_valid_span():
    # tokens: 0=[CLS] 1..3 question 4..9 context
    context = np.array([False, False, False, False, True, True, True, True, True, True])
    start = np.full(10, -5.0)
    end = np.full(10, -5.0)
    start[2], end[2] = 9.0, 9.0  # strongest logits are in the question: must be ignored
    start[6], end[8] = 4.0, 4.0
    start[7] = 3.0
    spans, null = select_spans(start, end, context, top_k=2, max_answer_len=15)
    assert [(s, e) for s, e, _ in spans] == [(6, 8), (7, 8)]
    assert spans[0][2] > spans[1][2] > null


def test_span_selection_respects_order_and_max_length():
    context = np.ones(6, dtype=bool)
    context[0] = False
    start = np.array([0, 0, 0, 0, 0, 8.0])
    end = np.array([0, 8.0, 0, 0, 0, 0])  # best end is before the best start: invalid
    spans, _ = select_spans(start, end, context, top_k=1, max_answer_len=15)
    s, e, _ = spans[0]
    assert s <= e
    start = np.array([0, 9.0, 0, 0, 0, 0])
    end = np.array([0, 0, 0, 0, 0, 9.0])  # span 1..5 is 5 tokens long
    assert select_spans(start, end, context, top_k=1, max_answer_len=5)[0][0][:2] == (1, 5)
    assert select_spans(start, end, context, top_k=1, max_answer_len=4)[0][0][:2] != (1, 5)
    with pytest.raises(PipelineError, match="max_answer_len"):
        select_spans(start, end, context, top_k=1, max_answer_len=0)


def test_null_score_is_cls_start_times_end():
    context = np.array([False, True, True])
    start = np.array([5.0, 0.0, 0.0])
    end = np.array([5.0, 0.0, 0.0])
    spans, null = select_spans(start, end, context, top_k=1, max_answer_len=3)
    p = np.exp(5) / (np.exp(5) + 2)
    assert null == pytest.approx(p * p)
    assert spans[0][2] < null


def test_pooling():
    hidden = np.array([[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]])
    mask = np.array([1, 1, 0])
    assert pool(hidden, mask, "mean").tolist() == [2.0, 3.0]
    assert pool(hidden, mask, "cls").tolist() == [1.0, 2.0]
    assert pool(hidden, mask, "max").tolist() == [3.0, 4.0]
    with pytest.raises(PipelineError, match="pooling"):
        pool(hidden, mask, "median")


def test_entity_grouping_is_bio_aware():
    assert split_tag("B-PER") == ("B", "PER") and split_tag("O") == ("I", "O")
    text = "Ada Lovelace met Charles in London"
    units = [
        {"entity": "B-PER", "score": 0.9, "start": 0, "end": 3},
        {"entity": "I-PER", "score": 0.7, "start": 4, "end": 12},
        {"entity": "O", "score": 0.99, "start": 13, "end": 16},
        {"entity": "B-PER", "score": 0.8, "start": 17, "end": 24},
        {"entity": "O", "score": 0.99, "start": 25, "end": 27},
        {"entity": "B-LOC", "score": 0.6, "start": 28, "end": 34},
    ]
    groups = TokenClassificationPipeline._group(text, units)
    named = [(g["entity_group"], g["word"], round(g["score"], 3)) for g in groups]
    assert named == [("PER", "Ada Lovelace", 0.8), ("O", "met", 0.99), ("PER", "Charles", 0.8), ("O", "in", 0.99),
                     ("LOC", "London", 0.6)]


def test_word_aggregation_strategies():
    tokens = [
        {"scores": np.array([0.1, 0.9]), "start": 0, "end": 2, "word_id": 0},
        {"scores": np.array([0.8, 0.2]), "start": 2, "end": 4, "word_id": 0},
        {"scores": np.array([0.3, 0.7]), "start": 4, "end": 6, "word_id": 0},
    ]
    (word,) = TokenClassificationPipeline._words(tokens)
    labels = {0: "A", 1: "B"}
    pipe = TokenClassificationPipeline.__new__(TokenClassificationPipeline)
    first = pipe._word("abcdef", word, "first", labels)
    average = pipe._word("abcdef", word, "average", labels)
    maximum = pipe._word("abcdef", word, "max", labels)
    assert (first["entity"], first["score"]) == ("B", 0.9)
    assert average["entity"] == "B" and average["score"] == pytest.approx(0.6)
    assert (maximum["entity"], maximum["score"]) == ("B", 0.9)
    assert (first["start"], first["end"]) == (0, 6)
