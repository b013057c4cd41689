"""BERT under the SDK's conformance kit (every registered head, PyTorch / TensorFlow / Flax).

The kit (``plugformers_sdk.testing``, a pytest plugin) supplies the tests; this file only declares
the tiny config and the inputs. Run: ``pytest plugins/bert/tests/test_conformance.py``.
"""

from __future__ import annotations

from plugformers_sdk.testing import ModelTester


class TestBertConformance(ModelTester):
    model_type = "bert"
    config_kwargs = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=37, max_position_embeddings=64, num_labels=3)
    # BertLMHeadModel is a causal decoder only with is_decoder (as in Transformers).
    # Question answering has two outputs per token (start, end), so num_labels=2 as Transformers requires.
    head_config_kwargs = {"causal-lm": {"is_decoder": True}, "question-answering": {"num_labels": 2}}
    transformers_classes = {
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

    def inputs(self, config, batch, seq, rng):
        inputs = super().inputs(config, batch, seq, rng)
        inputs["token_type_ids"] = rng.integers(0, config.type_vocab_size, size=(batch, seq))
        return inputs
