"""LLaMA under the SDK's conformance kit (every registered head, PyTorch / TensorFlow / Flax).

The kit (``plugformers_sdk.testing``, a pytest plugin) supplies the tests; this file only declares
the tiny config. Run: ``pytest plugins/llama/tests/test_conformance.py``.
"""

from __future__ import annotations

from plugformers_sdk.testing import ModelTester


class TestLlamaConformance(ModelTester):
    model_type = "llama"
    # Grouped-query attention (4 heads, 2 key/value heads); pad_token_id lets sequence
    # classification find each row's last real token (as in Transformers).
    config_kwargs = dict(vocab_size=99, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         num_labels=3, pad_token_id=0)
    # Question answering has two outputs per token (start, end), so num_labels=2 as Transformers requires.
    head_config_kwargs = {"question-answering": {"num_labels": 2}}
    transformers_classes = {
        "base": "LlamaModel",
        "causal-lm": "LlamaForCausalLM",
        "sequence-classification": "LlamaForSequenceClassification",
        "token-classification": "LlamaForTokenClassification",
        "question-answering": "LlamaForQuestionAnswering",
    }
