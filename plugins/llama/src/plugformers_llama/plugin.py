"""Registration only: declares LLaMA's config, models, tokenizers and GGUF map as
``"module:Class"`` strings. Imports no framework and no modeling file."""

from __future__ import annotations

from plugformers import hookimpl

_PACKAGE = "plugformers_llama"

# head name -> class name without the framework prefix ("TF", "Flax").
HEADS: dict[str, str] = {
    "base": "LlamaModel",
    "causal-lm": "LlamaForCausalLM",
    "sequence-classification": "LlamaForSequenceClassification",
    "token-classification": "LlamaForTokenClassification",
    "question-answering": "LlamaForQuestionAnswering",
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
        "llama",
        config=f"{_PACKAGE}.configuration:LlamaConfig",
        models=_models(),
        tokenizers={
            "slow": f"{_PACKAGE}.tokenization:LlamaTokenizer",
            "fast": f"{_PACKAGE}.tokenization_fast:LlamaTokenizerFast",
        },
        gguf=f"{_PACKAGE}.gguf_map:GGUF_MAP",
    )
