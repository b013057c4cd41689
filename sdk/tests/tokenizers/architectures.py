"""Test-only tokenizers configured like real architectures (what a plugin's tokenization.py holds).

They show that an architecture tokenizer is a handful of declarations over the SDK's generic
algorithm classes, and give the tests BERT/GPT-2/RoBERTa/Llama/T5 behaviour before any plugin exists.
"""

from __future__ import annotations

from plugformers.tokenization import AddedToken
from plugformers_sdk.tokenizers import (
    ByteLevelBPETokenizer,
    ByteLevelBPETokenizerFast,
    SentencePieceTokenizer,
    SentencePieceTokenizerFast,
    WordPieceTokenizer,
    WordPieceTokenizerFast,
)


class BertLikeTokenizer(WordPieceTokenizer):
    default_special_tokens = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                              "cls_token": "[CLS]", "mask_token": "[MASK]"}
    single_template = "{cls_token} $A {sep_token}"
    pair_template = "{cls_token} $A {sep_token} $B:1 {sep_token}:1"


class BertLikeTokenizerFast(WordPieceTokenizerFast):
    slow_tokenizer_class = BertLikeTokenizer


class GPT2LikeTokenizer(ByteLevelBPETokenizer):
    default_special_tokens = {"unk_token": "<|endoftext|>", "bos_token": "<|endoftext|>",
                              "eos_token": "<|endoftext|>"}


class GPT2LikeTokenizerFast(ByteLevelBPETokenizerFast):
    slow_tokenizer_class = GPT2LikeTokenizer


class RobertaLikeTokenizer(ByteLevelBPETokenizer):
    default_special_tokens = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
                              "unk_token": "<unk>", "pad_token": "<pad>",
                              "mask_token": AddedToken("<mask>", lstrip=True, normalized=False, special=True)}
    single_template = "{cls_token} $A {sep_token}"
    pair_template = "{cls_token} $A {sep_token} {sep_token} $B {sep_token}"


class RobertaLikeTokenizerFast(ByteLevelBPETokenizerFast):
    slow_tokenizer_class = RobertaLikeTokenizer


class LlamaLikeTokenizer(SentencePieceTokenizer):
    default_options = {"add_bos_token": True, "add_eos_token": False, "legacy": False}


class LlamaLikeTokenizerFast(SentencePieceTokenizerFast):
    slow_tokenizer_class = LlamaLikeTokenizer


class T5LikeTokenizer(SentencePieceTokenizer):
    vocab_files_names = {"vocab_file": ("spiece.model", "tokenizer.model")}
    default_options = {"add_bos_token": False, "add_eos_token": True, "legacy": True}


class T5LikeTokenizerFast(SentencePieceTokenizerFast):
    slow_tokenizer_class = T5LikeTokenizer
