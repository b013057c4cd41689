"""Malformed tokenizer files: tokenizer.json, vocab.txt, vocab.json/merges.txt, SentencePiece models, configs."""

from __future__ import annotations

import json
from pathlib import Path

from case import Case

from plugformers.errors import TokenizerError
from plugformers.tokenization import PreTrainedTokenizerFast


def files(**contents):
    def build(tmp: Path) -> Path:
        for name, content in contents.items():
            name = name.replace("__", ".")
            raw = content if isinstance(content, bytes) else (content if isinstance(content, str) else json.dumps(content))
            (tmp / name).write_bytes(raw if isinstance(raw, bytes) else raw.encode())
        return tmp
    return build


def load_fast(directory: Path):
    return PreTrainedTokenizerFast.from_pretrained(directory)


def load_with(class_name: str):
    def act(directory: Path):
        from plugformers_sdk import tokenizers

        return getattr(tokenizers, class_name).from_pretrained(directory)
    return act


VOCAB_JSON = json.dumps({"a": 0, "b": 1, "ab": 2, "<|endoftext|>": 3})

CASES = [
    Case("tokenizer-json-not-json", files(tokenizer__json="{nope"), load_fast, TokenizerError, "tokenizer.json",
         needs="tokenizers"),
    Case("tokenizer-json-wrong-schema", files(tokenizer__json={"model": {"type": "Nonsense"}}), load_fast,
         TokenizerError, "tokenizer.json", needs="tokenizers"),
    Case("tokenizer-json-binary", files(tokenizer__json=b"\x00\xff\x10\x80" * 8), load_fast, TokenizerError,
         "tokenizer.json", needs="tokenizers"),
    Case("tokenizer-config-not-json", files(tokenizer_config__json="{bad", tokenizer__json="{}"), load_fast,
         TokenizerError, "tokenizer_config.json", needs="tokenizers"),
    Case("tokenizer-config-is-a-list", files(tokenizer_config__json=[1]), load_with("WordPieceTokenizer"),
         TokenizerError, "tokenizer_config.json"),
    Case("wordpiece-vocab-missing", files(), load_with("WordPieceTokenizer"), TokenizerError, "vocab.txt"),
    Case("wordpiece-vocab-binary", files(vocab__txt=b"\xff\xfe\x00[UNK]\n\x80\x81"), load_with("WordPieceTokenizer"),
         TokenizerError, "vocab.txt"),
    Case("wordpiece-vocab-empty", files(vocab__txt=""), load_with("WordPieceTokenizer"), TokenizerError, "vocab.txt"),
    Case("bpe-vocab-not-json", files(vocab__json="{a: 0", merges__txt="#version: 0.2\na b\n"),
         load_with("ByteLevelBPETokenizer"), TokenizerError, "vocab.json"),
    Case("bpe-vocab-ids-not-ints", files(vocab__json=json.dumps({"a": "zero"}), merges__txt="#version: 0.2\n"),
         load_with("ByteLevelBPETokenizer"), TokenizerError, "vocab.json"),
    Case("bpe-merges-malformed", files(vocab__json=VOCAB_JSON, merges__txt="#version: 0.2\na b c d\n"),
         load_with("ByteLevelBPETokenizer"), TokenizerError, "merges.txt"),
    Case("bpe-merges-missing", files(vocab__json=VOCAB_JSON), load_with("ByteLevelBPETokenizer"), TokenizerError,
         "merges.txt"),
    Case("sentencepiece-model-garbage", files(tokenizer__model=b"this is not a protobuf" * 4),
         load_with("SentencePieceTokenizer"), TokenizerError, "tokenizer.model", needs="sentencepiece"),
    Case("sentencepiece-model-empty", files(tokenizer__model=b""), load_with("SentencePieceTokenizer"),
         TokenizerError, "tokenizer.model", needs="sentencepiece"),
]
