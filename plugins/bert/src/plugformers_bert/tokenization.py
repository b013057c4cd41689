"""``BertTokenizer``: BERT's slow tokenizer (basic tokenization + WordPiece over ``vocab.txt``).

The algorithm is the SDK's ``WordPieceTokenizer``; BERT adds its special tokens and the
``[CLS] A [SEP]`` / ``[CLS] A [SEP] B [SEP]`` templates (token type 1 for the second segment).
Options: ``do_lower_case`` (default True), ``tokenize_chinese_chars`` (True), ``strip_accents``
(None: follows ``do_lower_case``), ``do_basic_tokenize``, ``never_split``.
"""

from __future__ import annotations

from plugformers_sdk.tokenizers import WordPieceTokenizer

BERT_SPECIAL_TOKENS = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}


class BertTokenizer(WordPieceTokenizer):
    """BERT's WordPiece tokenizer."""

    default_special_tokens = BERT_SPECIAL_TOKENS
    single_template = "{cls_token} $A {sep_token}"
    pair_template = "{cls_token} $A {sep_token} $B:1 {sep_token}:1"
