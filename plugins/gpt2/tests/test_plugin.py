"""Registration: GPT-2 is discovered through its entry point with every head in every framework and
both tokenizers; the Auto classes and ``plugformers list`` find it. That every registered class exists
and discovery imports no framework is the conformance kit's ``test_registration``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plugformers.registry import get_registry

HEADS = ("base", "causal-lm", "double-heads", "sequence-classification", "token-classification")


def test_registered_with_every_head_and_framework():
    record = get_registry().architecture("gpt2")
    assert record.distribution == "plugformers-gpt2"
    for framework, prefix in (("pt", ""), ("tf", "TF"), ("flax", "Flax")):
        assert set(record.models[framework]) == set(HEADS), framework
        assert record.models[framework]["causal-lm"].endswith(f":{prefix}GPT2LMHeadModel")
    assert record.config == "plugformers_gpt2.configuration:GPT2Config"
    assert record.tokenizers == {"slow": "plugformers_gpt2.tokenization:GPT2Tokenizer",
                                 "fast": "plugformers_gpt2.tokenization_fast:GPT2TokenizerFast"}


def test_auto_classes_resolve_a_saved_checkpoint(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install 'plugformers-gpt2[torch]'")
    import plugformers
    from plugformers_gpt2.configuration import GPT2Config
    from plugformers_gpt2.modeling_torch import GPT2LMHeadModel

    config = GPT2Config(vocab_size=50, n_positions=16, n_embd=16, n_layer=1, n_head=2)
    GPT2LMHeadModel.from_config(config).save_pretrained(tmp_path)
    assert isinstance(plugformers.AutoConfig.from_pretrained(tmp_path), GPT2Config)
    model = plugformers.AutoModelForCausalLM.from_pretrained(tmp_path)
    assert isinstance(model, GPT2LMHeadModel)
    assert plugformers.GPT2LMHeadModel is GPT2LMHeadModel
    assert model(torch.tensor([[1, 2, 3]])).logits.shape == (1, 3, 50)


def test_plugformers_list_shows_gpt2():
    exe = Path(sys.executable).with_name("plugformers")
    result = subprocess.run([str(exe), "list"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "gpt2" in result.stdout
