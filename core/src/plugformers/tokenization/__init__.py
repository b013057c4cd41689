"""Tokenizers, framework-neutral: the interface (``PreTrainedTokenizerBase``), the slow base class
(``PreTrainedTokenizer``, pure Python), the fast one (``PreTrainedTokenizerFast``, over the
``tokenizers`` library, imported only when a fast tokenizer is built), ``BatchEncoding`` and the
chat-template sandbox. The algorithms (WordPiece, byte-level BPE, SentencePiece) and the
slow-to-fast converters live in ``plugformers_sdk.tokenizers``.
"""

from .added_token import AddedToken
from .base import PreTrainedTokenizerBase
from .batch_encoding import BatchEncoding
from .chat_template import render_chat_template
from .fast import PreTrainedTokenizerFast
from .slow import PreTrainedTokenizer
from .special_tokens import SPECIAL_TOKENS_ATTRIBUTES
from .special_tokens_template import TemplateItem, parse_template
from .strategies import VERY_LARGE_INTEGER, PaddingStrategy, TruncationStrategy
from .text_cleanup import clean_up_tokenization

__all__ = [
    "AddedToken",
    "BatchEncoding",
    "PaddingStrategy",
    "PreTrainedTokenizer",
    "PreTrainedTokenizerBase",
    "PreTrainedTokenizerFast",
    "SPECIAL_TOKENS_ATTRIBUTES",
    "TemplateItem",
    "TruncationStrategy",
    "VERY_LARGE_INTEGER",
    "clean_up_tokenization",
    "parse_template",
    "render_chat_template",
]
