"""``BertTokenizerFast``: BERT's tokenizer backed by ``tokenizers``.

Built from ``tokenizer.json`` when the checkpoint has one, otherwise converted from ``vocab.txt``
through the slow :class:`~plugformers_bert.tokenization.BertTokenizer` (whose special tokens,
options and templates it inherits).
"""

from __future__ import annotations

from plugformers_sdk.tokenizers import WordPieceTokenizerFast

from .tokenization import BertTokenizer


class BertTokenizerFast(WordPieceTokenizerFast):
    """BERT's fast WordPiece tokenizer."""

    slow_tokenizer_class = BertTokenizer
