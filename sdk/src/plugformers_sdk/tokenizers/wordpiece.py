"""WordPieceTokenizer: BERT-style slow tokenizer (basic tokenization + greedy longest-match WordPiece)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plugformers.errors import TokenizerError
from plugformers.tokenization import PreTrainedTokenizer, clean_up_tokenization
from plugformers.tokenization.added_token import as_added_token
from plugformers.tokenization.files import write_text

from .basic_tokenizer import BasicTokenizer
from .vocab_files import load_vocab_txt


def wordpiece(word: str, vocab: dict[str, int], unk_token: str, prefix: str = "##",
              max_input_chars_per_word: int = 100) -> list[str]:
    """Greedy longest-match-first split of one word; the whole word is ``unk_token`` if any part is unknown."""
    if len(word) > max_input_chars_per_word:
        return [unk_token]
    if word in vocab:
        return [word]
    pieces: list[str] = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = word[start:end] if start == 0 else prefix + word[start:end]
            if piece in vocab:
                found = piece
                break
            end -= 1
        if found is None:
            return [unk_token]
        pieces.append(found)
        start = end
    return pieces


class WordPieceTokenizer(PreTrainedTokenizer):
    """Slow WordPiece tokenizer over a ``vocab.txt``.

    Options: ``do_lower_case``, ``do_basic_tokenize``, ``never_split``, ``tokenize_chinese_chars``,
    ``strip_accents`` (None follows ``do_lower_case``), ``wordpiece_prefix`` ("##"),
    ``max_input_chars_per_word`` (100), ``wordpiece_cleanup`` (the decoder removes the space before
    punctuation, True as in BERT's ``tokenizer.json``). An architecture sets ``default_special_tokens`` and the
    special-token templates (BERT: ``"{cls_token} $A {sep_token}"``).
    """

    vocab_files_names = {"vocab_file": "vocab.txt"}

    def __init__(self, vocab_file: str | None = None, *, vocab: dict[str, int] | None = None, **kwargs: Any) -> None:
        kwargs = self._with_class_defaults(kwargs)
        if vocab is None:
            if vocab_file is None:
                raise TokenizerError(f"{type(self).__name__} needs vocab_file=... (a vocab.txt) or vocab=...")
            vocab = load_vocab_txt(vocab_file)
        self.vocab = dict(vocab)
        self.ids_to_tokens = {index: token for token, index in self.vocab.items()}
        self.do_lower_case = kwargs.setdefault("do_lower_case", True)
        self.do_basic_tokenize = kwargs.setdefault("do_basic_tokenize", True)
        self.wordpiece_prefix = kwargs.setdefault("wordpiece_prefix", "##")
        self.max_input_chars_per_word = kwargs.setdefault("max_input_chars_per_word", 100)
        self.wordpiece_cleanup = kwargs.setdefault("wordpiece_cleanup", True)
        kwargs.setdefault("never_split", None)
        kwargs.setdefault("tokenize_chinese_chars", True)
        kwargs.setdefault("strip_accents", None)
        self.basic_tokenizer = BasicTokenizer(
            do_lower_case=self.do_lower_case, never_split=kwargs["never_split"],
            tokenize_chinese_chars=kwargs["tokenize_chinese_chars"], strip_accents=kwargs["strip_accents"],
        )
        if kwargs.get("unk_token") is None:
            raise TokenizerError(f"{type(self).__name__} needs an unk_token")
        self._unk = as_added_token(kwargs["unk_token"], special=True, where="unk_token").content
        super().__init__(**kwargs)

    @property
    def vocab_size(self) -> int:
        return len(self.ids_to_tokens)

    def get_vocab(self) -> dict[str, int]:
        return {**self.vocab, **self._added_tokens_encoder}

    def _vocab_id(self, token: str) -> int | None:
        return self.vocab.get(token)

    def _tokenize(self, text: str, **kwargs: Any) -> list[str]:
        words = self.basic_tokenizer.tokenize(text) if self.do_basic_tokenize else text.split()
        unk = self._unk
        out: list[str] = []
        for word in words:
            out.extend(wordpiece(word, self.vocab, unk, self.wordpiece_prefix, self.max_input_chars_per_word))
        return out

    def _convert_token_to_id(self, token: str) -> int:
        index = self.vocab.get(token)
        return index if index is not None else self.vocab[self._unk]

    def _convert_id_to_token(self, index: int) -> str:
        return self.ids_to_tokens.get(index, self._unk)

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """The WordPiece decoder: join with spaces, glue ``##`` continuations back on and, with
        ``wordpiece_cleanup``, drop the space before punctuation token by token (``" ."`` -> ``"."``),
        exactly as the ``tokenizers`` WordPiece decoder does."""
        prefix = self.wordpiece_prefix
        parts = []
        for index, token in enumerate(tokens):
            if token.startswith(prefix):
                token = token[len(prefix):]
            elif index:
                token = " " + token
            if self.wordpiece_cleanup:
                token = clean_up_tokenization(token)
            parts.append(token)
        return "".join(parts)

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        path = Path(save_directory) / f"{filename_prefix + '-' if filename_prefix else ''}vocab.txt"
        lines = [self.ids_to_tokens[i] for i in sorted(self.ids_to_tokens)]
        if sorted(self.ids_to_tokens) != list(range(len(lines))):
            raise TokenizerError(f"{type(self).__name__}: the vocabulary ids are not consecutive; cannot write {path}")
        write_text(path, "".join(line + "\n" for line in lines))
        return (str(path),)
