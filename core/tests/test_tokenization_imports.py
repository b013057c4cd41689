"""Importing plugformers (or its tokenization package) imports no tokenizer library or framework."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("tokenizers", "sentencepiece", "jinja2", "torch", "tensorflow", "jax")


def test_tokenization_import_is_light():
    code = (
        "import sys, plugformers, plugformers.tokenization\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
