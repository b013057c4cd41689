"""Registration: BERT is discovered through its entry point with every head in every framework and
both tokenizers; ``plugformers list`` shows it. That every registered class
exists and discovery imports no framework is the conformance kit's ``test_registration``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from plugformers.auto import HEADS as AUTO_HEADS
from plugformers.registry import get_registry

HEADS = ("base", "pretraining", "masked-lm", "causal-lm", "next-sentence-prediction", "sequence-classification",
         "multiple-choice", "token-classification", "question-answering")


def test_registered_with_every_head_and_framework():
    record = get_registry().architecture("bert")
    assert record.distribution == "plugformers-bert"
    for framework in ("pt", "tf", "flax"):
        assert set(record.models[framework]) == set(HEADS), framework
    assert set(HEADS) <= set(AUTO_HEADS.values())
    assert record.config == "plugformers_bert.configuration:BertConfig"
    assert record.tokenizers == {"slow": "plugformers_bert.tokenization:BertTokenizer",
                                 "fast": "plugformers_bert.tokenization_fast:BertTokenizerFast"}


def test_plugformers_list_shows_bert():
    exe = Path(sys.executable).with_name("plugformers")
    result = subprocess.run([str(exe), "list"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "bert" in result.stdout
