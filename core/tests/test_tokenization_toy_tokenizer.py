"""A toy slow tokenizer (whitespace words over a fixed vocabulary) and its fast twin over a
``tokenizers`` WordLevel model, used by the core tokenization tests; and the tests of the toy.

Core never imports the SDK, so the interface is tested on this minimal algorithm.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plugformers.tokenization import PreTrainedTokenizer, PreTrainedTokenizerFast
from plugformers.tokenization.files import write_text

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(40)] + ["hello", "world", "."]
VOCAB = {w: i for i, w in enumerate(WORDS)}
SPECIALS = {"unk_token": "[UNK]", "pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"}


class ToyTokenizer(PreTrainedTokenizer):
    vocab_files_names = {"vocab_file": "toy_vocab.json"}
    default_special_tokens = SPECIALS
    single_template = "{cls_token} $A {sep_token}"
    pair_template = "{cls_token} $A {sep_token} $B:1 {sep_token}:1"

    def __init__(self, vocab_file: str | None = None, **kwargs: Any) -> None:
        self.vocab = json.loads(Path(vocab_file).read_text()) if vocab_file else dict(VOCAB)
        self.inverse = {i: w for w, i in self.vocab.items()}
        super().__init__(**kwargs)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def get_vocab(self) -> dict[str, int]:
        return {**self.vocab, **self._added_tokens_encoder}

    def _vocab_id(self, token: str) -> int | None:
        return self.vocab.get(token)

    def _tokenize(self, text: str, **kwargs: Any) -> list[str]:
        return text.split()

    def _convert_token_to_id(self, token: str) -> int:
        return self.vocab.get(token, self.vocab["[UNK]"])

    def _convert_id_to_token(self, index: int) -> str:
        return self.inverse[index]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        return " ".join(tokens)

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        path = Path(save_directory) / "toy_vocab.json"
        write_text(path, json.dumps(self.vocab))
        return (str(path),)


def toy_backend() -> Any:
    tokenizers = pytest.importorskip("tokenizers", reason="the fast toy tokenizer needs 'tokenizers'")
    backend = tokenizers.Tokenizer(tokenizers.models.WordLevel(VOCAB, unk_token="[UNK]"))
    backend.pre_tokenizer = tokenizers.pre_tokenizers.WhitespaceSplit()
    backend.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", VOCAB["[CLS]"]), ("[SEP]", VOCAB["[SEP]"])])
    backend.decoder = tokenizers.decoders.WordPiece(prefix="##", cleanup=False)  # joins with spaces
    return backend


def toy_fast(**kwargs: Any) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(tokenizer_object=toy_backend(), **{**SPECIALS, **kwargs})


def words(n: int, start: int = 0) -> str:
    return " ".join(f"w{(start + i) % 40}" for i in range(n))


def test_toy_pair_agree():
    slow, fast = ToyTokenizer(), toy_fast()
    for text in ("hello world .", "unknown w1 w2", ""):
        assert slow(text)["input_ids"] == fast(text)["input_ids"]
    assert slow("hello")["input_ids"] == [VOCAB["[CLS]"], VOCAB["hello"], VOCAB["[SEP]"]]
