"""Tokenizer algorithms for architecture plugins.

Slow (pure Python): ``WordPieceTokenizer`` (BERT's basic tokenization + WordPiece),
``ByteLevelBPETokenizer`` (GPT-2's byte-level BPE), ``SentencePieceTokenizer`` (through the
``sentencepiece`` library). Fast (``tokenizers``): ``WordPieceTokenizerFast``,
``ByteLevelBPETokenizerFast``, ``SentencePieceTokenizerFast``, built from ``tokenizer.json`` or
converted from the slow files (``converters.convert_slow_tokenizer``).

An architecture's tokenizer subclasses one and declares its special tokens, e.g.::

    class BertTokenizer(WordPieceTokenizer):
        default_special_tokens = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                                  "cls_token": "[CLS]", "mask_token": "[MASK]"}
        single_template = "{cls_token} $A {sep_token}"
        pair_template = "{cls_token} $A {sep_token} $B:1 {sep_token}:1"

    class BertTokenizerFast(WordPieceTokenizerFast):
        slow_tokenizer_class = BertTokenizer

Neither ``tokenizers`` nor ``sentencepiece`` is imported until a tokenizer needing it is built.
"""

from plugformers.tokenization import (
    AddedToken,
    BatchEncoding,
    PreTrainedTokenizer,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
)

from .basic_tokenizer import BasicTokenizer
from .bpe import ByteLevelBPETokenizer
from .converters import convert_slow_tokenizer
from .fast import ByteLevelBPETokenizerFast, ConvertingTokenizerFast, SentencePieceTokenizerFast, WordPieceTokenizerFast
from .sentencepiece_tokenizer import SentencePieceTokenizer
from .wordpiece import WordPieceTokenizer

__all__ = [
    "AddedToken",
    "BasicTokenizer",
    "BatchEncoding",
    "ByteLevelBPETokenizer",
    "ByteLevelBPETokenizerFast",
    "ConvertingTokenizerFast",
    "PreTrainedTokenizer",
    "PreTrainedTokenizerBase",
    "PreTrainedTokenizerFast",
    "SentencePieceTokenizer",
    "SentencePieceTokenizerFast",
    "WordPieceTokenizer",
    "WordPieceTokenizerFast",
    "convert_slow_tokenizer",
]
