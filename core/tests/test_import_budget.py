"""`import plugformers` (and building the registry) imports no framework and no tokenizer library."""

import json
import subprocess
import sys

HEAVY = ("torch", "tensorflow", "jax", "flax", "keras", "tokenizers", "sentencepiece", "transformers")


def _modules_after(code: str) -> list[str]:
    probe = code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_plugformers_is_light():
    loaded = _modules_after("import plugformers")
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]


def test_registry_and_support_table_are_light():
    code = ("import plugformers; from plugformers.support_table import render_text; "
            "render_text(plugformers.get_registry()); dir(plugformers)")
    loaded = _modules_after(code)
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
