"""ByteLevelBPETokenizer: GPT-2-style slow tokenizer (byte-level pre-tokenization + BPE merges by rank)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plugformers.errors import TokenizerError
from plugformers.tokenization import PreTrainedTokenizer
from plugformers.tokenization.added_token import as_added_token
from plugformers.tokenization.files import write_text

from .byte_level import bytes_to_unicode, gpt2_pattern, unicode_to_bytes
from .vocab_files import load_merges_txt, load_vocab_json

_CACHE_LIMIT = 100_000


def bpe_merge(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """Apply the merges to one pre-token: repeatedly merge the adjacent pair with the lowest rank."""
    symbols = list(word)
    if len(symbols) < 2:
        return symbols
    while True:
        best = None
        best_rank = None
        for pair in zip(symbols, symbols[1:]):
            rank = ranks.get(pair)
            if rank is not None and (best_rank is None or rank < best_rank):
                best, best_rank = pair, rank
        if best is None:
            return symbols
        first, second = best
        merged: list[str] = []
        i = 0
        n = len(symbols)
        while i < n:
            if i < n - 1 and symbols[i] == first and symbols[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
        if len(symbols) == 1:
            return symbols


class ByteLevelBPETokenizer(PreTrainedTokenizer):
    """Slow byte-level BPE over ``vocab.json`` + ``merges.txt`` (GPT-2, RoBERTa, ...).

    Options: ``add_prefix_space`` (a space is put before text that does not start with one, so the
    first word is tokenized like the others), ``errors`` (how invalid UTF-8 is decoded, "replace"),
    ``trim_offsets`` (fast tokenizers' offsets).
    """

    vocab_files_names = {"vocab_file": "vocab.json", "merges_file": "merges.txt"}
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab_file: str | None = None, merges_file: str | None = None, *,
                 vocab: dict[str, int] | None = None, merges: list[tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        kwargs = self._with_class_defaults(kwargs)
        if vocab is None:
            if vocab_file is None:
                raise TokenizerError(f"{type(self).__name__} needs vocab_file=... (a vocab.json) or vocab=...")
            vocab = load_vocab_json(vocab_file)
        if merges is None:
            if merges_file is None:
                raise TokenizerError(f"{type(self).__name__} needs merges_file=... (a merges.txt) or merges=...")
            merges = load_merges_txt(merges_file)
        self.encoder = dict(vocab)
        self.decoder = {index: token for token, index in self.encoder.items()}
        self.merges = [tuple(m) for m in merges]
        self.bpe_ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.add_prefix_space = bool(kwargs.setdefault("add_prefix_space", False))
        self.errors = kwargs.setdefault("errors", "replace")
        kwargs.setdefault("trim_offsets", True)
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = unicode_to_bytes()
        self.pattern = gpt2_pattern()
        self.cache: dict[str, list[str]] = {}
        unk = kwargs.get("unk_token")
        self._unk_id = None if unk is None else self.encoder.get(as_added_token(unk, special=True).content)
        super().__init__(**kwargs)

    @property
    def vocab_size(self) -> int:
        return len(self.encoder)

    def get_vocab(self) -> dict[str, int]:
        return {**self.encoder, **self._added_tokens_encoder}

    def _vocab_id(self, token: str) -> int | None:
        return self.encoder.get(token)

    def prepare_for_tokenization(self, text: str, is_split_into_words: bool = False, **kwargs: Any) -> str:
        if self.add_prefix_space and text and not text.startswith(" "):
            return " " + text
        return text

    def bpe(self, token: str) -> list[str]:
        cached = self.cache.get(token)
        if cached is None:
            cached = bpe_merge(token, self.bpe_ranks)
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            self.cache[token] = cached
        return cached

    def _tokenize(self, text: str, **kwargs: Any) -> list[str]:
        encoder = self.byte_encoder
        out: list[str] = []
        for piece in self.pattern.findall(text):
            mapped = "".join(encoder[b] for b in piece.encode("utf-8"))
            out.extend(self.bpe(mapped))
        return out

    def _convert_token_to_id(self, token: str) -> int:
        index = self.encoder.get(token)
        if index is None:
            if self._unk_id is None:
                raise TokenizerError(f"token {token!r} is not in the vocabulary and there is no unk_token")
            return self._unk_id
        return index

    def _convert_id_to_token(self, index: int) -> str:
        token = self.decoder.get(index)
        if token is None:
            raise TokenizerError(f"token id {index} is not in the vocabulary")
        return token

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """Map each token's characters back to bytes (tokens with other characters, such as added
        ones, are taken as their UTF-8) and decode the whole, as the ByteLevel decoder does."""
        byte_decoder = self.byte_decoder
        data = bytearray()
        for token in tokens:
            try:
                data += bytes(byte_decoder[c] for c in token)
            except KeyError:
                data += token.encode("utf-8")
        return data.decode("utf-8", errors=self.errors)

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        prefix = f"{filename_prefix}-" if filename_prefix else ""
        vocab_path = Path(save_directory) / f"{prefix}vocab.json"
        merges_path = Path(save_directory) / f"{prefix}merges.txt"
        write_text(vocab_path, json.dumps(self.encoder, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        write_text(merges_path, "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))
        return str(vocab_path), str(merges_path)

