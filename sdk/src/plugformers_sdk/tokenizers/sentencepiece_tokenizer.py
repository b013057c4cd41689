"""SentencePieceTokenizer: slow tokenizer over a SentencePiece ``.model`` (unigram or BPE), run by
the ``sentencepiece`` library (imported when a tokenizer is built).

``legacy=True`` (the default) tokenizes every piece of text between added/special tokens as an
independent SentencePiece input, so each gets the dummy-prefix "▁". ``legacy=False`` (Llama's
newer behaviour) gives the dummy prefix only to text at the very start, so ``"<s>Hi"`` does not
become ``"<s>", "▁Hi"``. ``add_bos_token`` / ``add_eos_token`` choose the special-token template.
The model's control pieces (``<s>``, ``</s>`` ...) and unknown piece are special tokens, and the
model's own bos/eos/unk/pad pieces are the default special tokens.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from plugformers.errors import MissingDependencyError, TokenizerError
from plugformers.tokenization import AddedToken, PreTrainedTokenizer

from .sentencepiece_model import (
    CONTROL,
    UNKNOWN,
    SentencePieceModel,
    parse_sentencepiece_model,
    read_sentencepiece_file,
    without_dummy_prefix,
)

_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")
SPIECE_UNDERLINE = "\u2581"


def import_sentencepiece() -> Any:
    try:
        import sentencepiece
    except ImportError:
        raise MissingDependencyError(
            "SentencePiece tokenizers need the 'sentencepiece' library: pip install 'plugformers[tokenizers]'"
        ) from None
    return sentencepiece


def sentencepiece_templates(add_bos: bool, add_eos: bool) -> tuple[str, str]:
    """(single, pair) special-token templates for the bos/eos flags."""
    first = ("{bos_token} " if add_bos else "") + "$A" + (" {eos_token}" if add_eos else "")
    second = ("{bos_token}:1 " if add_bos else "") + "$B:1" + (" {eos_token}:1" if add_eos else "")
    return first, f"{first} {second}"


def decode_pieces(tokens: list[str], byte_fallback: bool, strip_dummy_prefix: bool) -> str:
    """What the fast decoder does: "▁" -> space, runs of ``<0xXX>`` pieces -> UTF-8 (one U+FFFD per
    byte when invalid), and the dummy-prefix space removed from the start."""
    parts: list[str] = []
    pending = bytearray()
    for token in tokens:
        match = _BYTE_PIECE.fullmatch(token) if byte_fallback else None
        if match is not None:
            pending.append(int(match.group(1), 16))
            continue
        if pending:
            parts.append(_bytes_text(pending))
            pending = bytearray()
        parts.append(token.replace(SPIECE_UNDERLINE, " "))
    if pending:
        parts.append(_bytes_text(pending))
    text = "".join(parts)
    if strip_dummy_prefix and text.startswith(" "):
        text = text[1:]
    return text


def _bytes_text(data: bytearray) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "\ufffd" * len(data)


class SentencePieceTokenizer(PreTrainedTokenizer):
    """Slow tokenizer over ``tokenizer.model`` (or ``spiece.model``); see the module docstring."""

    vocab_files_names = {"vocab_file": ("tokenizer.model", "spiece.model")}
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab_file: str | None = None, *, model_proto: bytes | None = None, **kwargs: Any) -> None:
        kwargs = self._with_class_defaults(kwargs)
        spm = import_sentencepiece()
        if model_proto is None:
            if vocab_file is None:
                raise TokenizerError(f"{type(self).__name__} needs vocab_file=... (a SentencePiece .model)")
            model_proto, self.model_info = read_sentencepiece_file(vocab_file)
            source = str(vocab_file)
        else:
            self.model_info = parse_sentencepiece_model(model_proto)
            source = "model_proto"
        self.model_proto = model_proto
        try:
            self.sp_model = spm.SentencePieceProcessor(model_proto=model_proto)
            self._sp_no_prefix = spm.SentencePieceProcessor(model_proto=without_dummy_prefix(model_proto))
        except (RuntimeError, OSError, TypeError) as error:
            raise TokenizerError(f"{source} cannot be loaded by sentencepiece: {error}") from None
        info: SentencePieceModel = self.model_info
        self.pieces = [p.piece for p in info.pieces]
        self.piece_to_id = {piece: index for index, piece in reversed(list(enumerate(self.pieces)))}
        self.legacy = bool(kwargs.setdefault("legacy", True))
        self.add_bos_token = bool(kwargs.setdefault("add_bos_token", False))
        self.add_eos_token = bool(kwargs.setdefault("add_eos_token", False))
        for name, index in (("unk_token", info.unk_id), ("bos_token", info.bos_id),
                            ("eos_token", info.eos_id), ("pad_token", info.pad_id)):
            if name not in kwargs and 0 <= index < len(self.pieces):
                kwargs[name] = self.pieces[index]
        if type(self).single_template is None:
            self.single_template, self.pair_template = sentencepiece_templates(self.add_bos_token, self.add_eos_token)
        self._unk_id = info.unk_id
        super().__init__(**kwargs)
        control = [AddedToken(p.piece, normalized=False, special=True)
                   for p in info.pieces if p.type in (CONTROL, UNKNOWN) and p.piece]
        self._add_tokens(control, special=True)

    @property
    def vocab_size(self) -> int:
        return len(self.pieces)

    def get_vocab(self) -> dict[str, int]:
        return {**self.piece_to_id, **self._added_tokens_encoder}

    def _vocab_id(self, token: str) -> int | None:
        return self.piece_to_id.get(token)

    def _tokenize(self, text: str, at_text_start: bool = True, **kwargs: Any) -> list[str]:
        processor = self.sp_model if (self.legacy or self._wants_prefix(text, at_text_start)) else self._sp_no_prefix
        # Unknown text comes back as its surface form (its id is the unk id), as in ``tokenizers``.
        return processor.encode(text, out_type=str)

    def _wants_prefix(self, text: str, at_text_start: bool) -> bool:
        """The non-legacy dummy prefix, decided as the fast Metaspace "first" scheme does: only for
        text at the start whose normalized form still begins at character 0 (leading whitespace
        the model strips means no prefix) and does not already begin with a space."""
        if not at_text_start:
            return False
        if not self.model_info.add_dummy_prefix:
            return True
        normalized, offsets = self.sp_model.normalize(text, with_offsets=True)
        if len(normalized) < 2:
            return True
        return offsets[1] == 0 and normalized[1] != SPIECE_UNDERLINE

    def _convert_token_to_id(self, token: str) -> int:
        index = self.piece_to_id.get(token)
        return self._unk_id if index is None else index

    def _convert_id_to_token(self, index: int) -> str:
        return self.pieces[index]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        return decode_pieces(tokens, self.model_info.byte_fallback, self.model_info.add_dummy_prefix)

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        names = self.vocab_files_names["vocab_file"]
        name = names if isinstance(names, str) else names[0]
        path = Path(save_directory) / f"{filename_prefix + '-' if filename_prefix else ''}{name}"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(self.model_proto)
        tmp.replace(path)
        return (str(path),)
