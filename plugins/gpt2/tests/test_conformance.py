"""GPT-2 under the SDK's conformance kit (every registered head, PyTorch / TensorFlow / Flax).

The kit (``plugformers_sdk.testing``, a pytest plugin) supplies the tests; this file only declares
the tiny config and the double-heads inputs. Run: ``pytest plugins/gpt2/tests/test_conformance.py``.
"""

from __future__ import annotations

import numpy as np

from plugformers_sdk.testing import ModelTester


class TestGPT2Conformance(ModelTester):
    model_type = "gpt2"
    # pad_token_id: sequence classification finds each row's last real token by it (as in Transformers).
    config_kwargs = dict(vocab_size=99, n_positions=32, n_embd=32, n_layer=2, n_head=4, num_labels=3,
                         pad_token_id=1, bos_token_id=0, eos_token_id=0)
    # GPT2DoubleHeadsModel takes [batch, choices, seq] inputs and one classification token per choice.
    multiple_choice_heads = ("double-heads",)
    transformers_classes = {
        "base": "GPT2Model",
        "causal-lm": "GPT2LMHeadModel",
        "double-heads": "GPT2DoubleHeadsModel",
        "sequence-classification": "GPT2ForSequenceClassification",
        "token-classification": "GPT2ForTokenClassification",
    }

    def head_inputs(self, head, config, batch, seq, rng):
        inputs = super().head_inputs(head, config, batch, seq, rng)
        if head == "double-heads":  # a real token of every row, also once the kit pads rows to 3 tokens
            inputs["mc_token_ids"] = np.full((batch, self.num_choices), 1, dtype=np.int64)
        return inputs

    def head_labels(self, head, config, inputs, rng):
        if head == "double-heads":
            ids = inputs["input_ids"]
            return {"labels": rng.integers(0, config.vocab_size, size=ids.shape),
                    "mc_labels": rng.integers(0, self.num_choices, size=ids.shape[:1])}
        return super().head_labels(head, config, inputs, rng)
