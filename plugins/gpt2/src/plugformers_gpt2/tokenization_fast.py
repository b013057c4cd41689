"""``GPT2TokenizerFast``: GPT-2's tokenizer on the ``tokenizers`` library.

Built from a ``tokenizer.json`` when the checkpoint has one, otherwise converted from
``vocab.json`` + ``merges.txt`` by the SDK (byte-level pre-tokenizer and decoder, BPE model).
Special tokens and options are those of the slow :class:`~plugformers_gpt2.tokenization.GPT2Tokenizer`.
"""

from __future__ import annotations

from plugformers_sdk.tokenizers import ByteLevelBPETokenizerFast

from .tokenization import GPT2Tokenizer


class GPT2TokenizerFast(ByteLevelBPETokenizerFast):
    """GPT-2 byte-level BPE tokenizer (fast, ``tokenizers``-backed)."""

    slow_tokenizer_class = GPT2Tokenizer
