"""Registration only: declares LLaMA's config, models, tokenizers and GGUF map as
``"module:Class"`` strings. Imports no framework and no modeling file."""

from __future__ import annotations

from plugformers import hookimpl
from plugformers_sdk.registration import model_paths

_PACKAGE = "plugformers_llama"

# head name -> class name without the framework prefix ("TF", "Flax").
HEADS: dict[str, str] = {
    "base": "LlamaModel",
    "causal-lm": "LlamaForCausalLM",
    "sequence-classification": "LlamaForSequenceClassification",
    "token-classification": "LlamaForTokenClassification",
    "question-answering": "LlamaForQuestionAnswering",
}

@hookimpl
def register_architectures(register):
    register(
        "llama",
        config=f"{_PACKAGE}.configuration:LlamaConfig",
        models=model_paths(_PACKAGE, HEADS),
        tokenizers={
            "slow": f"{_PACKAGE}.tokenization:LlamaTokenizer",
            "fast": f"{_PACKAGE}.tokenization_fast:LlamaTokenizerFast",
        },
        gguf=f"{_PACKAGE}.gguf_map:GGUF_MAP",
    )
