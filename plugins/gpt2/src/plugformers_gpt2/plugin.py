"""Registration only: declares GPT-2's config, models and tokenizers as ``"module:Class"`` strings.

Imports no framework and no modeling file (``plugformers list`` stays cheap).
"""

from __future__ import annotations

from plugformers import hookimpl
from plugformers_sdk.registration import model_paths

_PACKAGE = "plugformers_gpt2"

# head name -> class name without the framework prefix ("TF", "Flax").
HEADS: dict[str, str] = {
    "base": "GPT2Model",
    "causal-lm": "GPT2LMHeadModel",
    "double-heads": "GPT2DoubleHeadsModel",
    "sequence-classification": "GPT2ForSequenceClassification",
    "token-classification": "GPT2ForTokenClassification",
}

@hookimpl
def register_architectures(register):
    register(
        "gpt2",
        config=f"{_PACKAGE}.configuration:GPT2Config",
        models=model_paths(_PACKAGE, HEADS),
        tokenizers={
            "slow": f"{_PACKAGE}.tokenization:GPT2Tokenizer",
            "fast": f"{_PACKAGE}.tokenization_fast:GPT2TokenizerFast",
        },
    )
