"""Registration only: declares GPT-2's config, models and tokenizers as ``"module:Class"`` strings.

Imports no framework and no modeling file (``plugformers list`` stays cheap).
"""

from __future__ import annotations

from plugformers import hookimpl

_PACKAGE = "plugformers_gpt2"

# head name -> class name without the framework prefix ("TF", "Flax").
HEADS: dict[str, str] = {
    "base": "GPT2Model",
    "causal-lm": "GPT2LMHeadModel",
    "double-heads": "GPT2DoubleHeadsModel",
    "sequence-classification": "GPT2ForSequenceClassification",
    "token-classification": "GPT2ForTokenClassification",
}

_MODULES = {"pt": ("modeling_torch", ""), "tf": ("modeling_tf", "TF"), "flax": ("modeling_flax", "Flax")}


def _models() -> dict[str, dict[str, str]]:
    return {
        framework: {head: f"{_PACKAGE}.{module}:{prefix}{name}" for head, name in HEADS.items()}
        for framework, (module, prefix) in _MODULES.items()
    }


@hookimpl
def register_architectures(register):
    register(
        "gpt2",
        config=f"{_PACKAGE}.configuration:GPT2Config",
        models=_models(),
        tokenizers={
            "slow": f"{_PACKAGE}.tokenization:GPT2Tokenizer",
            "fast": f"{_PACKAGE}.tokenization_fast:GPT2TokenizerFast",
        },
    )
