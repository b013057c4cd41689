"""Registration only: declares BERT's config, models and tokenizers as ``"module:Class"`` strings.

Imports no framework and no modeling file (``plugformers list`` stays cheap).
"""

from __future__ import annotations

from plugformers import hookimpl

_PACKAGE = "plugformers_bert"

# head name -> class name without the framework prefix ("TF", "Flax").
HEADS: dict[str, str] = {
    "base": "BertModel",
    "pretraining": "BertForPreTraining",
    "masked-lm": "BertForMaskedLM",
    "causal-lm": "BertLMHeadModel",
    "next-sentence-prediction": "BertForNextSentencePrediction",
    "sequence-classification": "BertForSequenceClassification",
    "multiple-choice": "BertForMultipleChoice",
    "token-classification": "BertForTokenClassification",
    "question-answering": "BertForQuestionAnswering",
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
        "bert",
        config=f"{_PACKAGE}.configuration:BertConfig",
        models=_models(),
        tokenizers={
            "slow": f"{_PACKAGE}.tokenization:BertTokenizer",
            "fast": f"{_PACKAGE}.tokenization_fast:BertTokenizerFast",
        },
    )
