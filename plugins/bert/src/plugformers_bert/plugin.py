"""Registration only: declares BERT's config, models and tokenizers as ``"module:Class"`` strings.

Imports no framework and no modeling file (``plugformers list`` stays cheap).
"""

from __future__ import annotations

from plugformers import hookimpl
from plugformers_sdk.registration import model_paths

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

@hookimpl
def register_architectures(register):
    register(
        "bert",
        config=f"{_PACKAGE}.configuration:BertConfig",
        models=model_paths(_PACKAGE, HEADS),
        tokenizers={
            "slow": f"{_PACKAGE}.tokenization:BertTokenizer",
            "fast": f"{_PACKAGE}.tokenization_fast:BertTokenizerFast",
        },
    )
