"""Registration: BERT is discovered through its entry point with every head in every framework and
both tokenizers, without importing a framework; ``plugformers list`` shows it."""

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


def test_registered_paths_exist_without_importing_them():
    import importlib.util

    record = get_registry().architecture("bert")
    paths = [record.config, *record.tokenizers.values()]
    paths += [p for heads in record.models.values() for p in heads.values()]
    for path in paths:
        module, _, name = path.partition(":")
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin, path
        assert f"class {name}(" in Path(spec.origin).read_text(), path


def test_plugin_module_imports_no_framework():
    code = ("import sys, plugformers_bert.plugin, plugformers_bert.configuration;"
            "print(sorted(m for m in ('torch', 'tensorflow', 'jax', 'flax', 'tokenizers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_plugformers_list_shows_bert():
    exe = Path(sys.executable).with_name("plugformers")
    result = subprocess.run([str(exe), "list"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "bert" in result.stdout
