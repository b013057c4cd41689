"""Read a SentencePiece ``.model`` file (a ``ModelProto`` protobuf) without the protobuf package.

Only the fields the tokenizers need are decoded: the pieces (text, score, type), the trainer
spec (model type, byte fallback, special-piece ids and texts) and the normalizer spec
(precompiled charsmap, dummy prefix, whitespace handling). Field numbers are those of
``sentencepiece_model.proto``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from plugformers.errors import TokenizerError

# SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
# TrainerSpec.ModelType
UNIGRAM, BPE, WORD, CHAR = 1, 2, 3, 4


@dataclass
class Piece:
    piece: str
    score: float = 0.0
    type: int = NORMAL


@dataclass
class SentencePieceModel:
    """The decoded parts of a SentencePiece model."""

    pieces: list[Piece] = field(default_factory=list)
    model_type: int = UNIGRAM
    byte_fallback: bool = False
    treat_whitespace_as_suffix: bool = False
    split_digits: bool = False
    unk_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    pad_id: int = -1
    unk_piece: str = "<unk>"
    bos_piece: str = "<s>"
    eos_piece: str = "</s>"
    pad_piece: str = "<pad>"
    normalizer_name: str = ""
    precompiled_charsmap: bytes = b""
    add_dummy_prefix: bool = True
    remove_extra_whitespaces: bool = True
    escape_whitespaces: bool = True


class _Corrupt(Exception):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise _Corrupt("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise _Corrupt("varint too long")


def _fields(data: bytes):
    """Yield (field number, wire type, value) of a serialized message."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise _Corrupt(f"unsupported wire type {wire}")
        if pos > len(data):
            raise _Corrupt("truncated field")
        yield number, wire, value


def _int32(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_sentencepiece_model(data: bytes, source: str = "<bytes>") -> SentencePieceModel:
    """Decode a ``ModelProto``; TokenizerError naming ``source`` when it is not one."""
    model = SentencePieceModel()
    try:
        for number, wire, value in _fields(data):
            if number == 1 and wire == 2:
                piece = Piece("")
                for n, w, v in _fields(value):
                    if n == 1 and w == 2:
                        piece.piece = v.decode("utf-8")
                    elif n == 2 and w == 5:
                        piece.score = struct.unpack("<f", v)[0]
                    elif n == 3 and w == 0:
                        piece.type = v
                model.pieces.append(piece)
            elif number == 2 and wire == 2:
                _trainer_spec(model, value)
            elif number == 3 and wire == 2:
                _normalizer_spec(model, value)
    except (_Corrupt, UnicodeDecodeError, struct.error) as error:
        raise TokenizerError(f"{source} is not a SentencePiece model: {error}") from None
    if not model.pieces:
        raise TokenizerError(f"{source} is not a SentencePiece model: it has no pieces")
    return model


def _trainer_spec(model: SentencePieceModel, data: bytes) -> None:
    ints = {3: "model_type", 40: "unk_id", 41: "bos_id", 42: "eos_id", 43: "pad_id"}
    bools = {35: "byte_fallback", 24: "treat_whitespace_as_suffix", 25: "split_digits"}
    strings = {45: "unk_piece", 46: "bos_piece", 47: "eos_piece", 48: "pad_piece"}
    for number, wire, value in _fields(data):
        if wire == 0 and number in ints:
            setattr(model, ints[number], _int32(value))
        elif wire == 0 and number in bools:
            setattr(model, bools[number], bool(value))
        elif wire == 2 and number in strings:
            setattr(model, strings[number], value.decode("utf-8"))


def _normalizer_spec(model: SentencePieceModel, data: bytes) -> None:
    bools = {3: "add_dummy_prefix", 4: "remove_extra_whitespaces", 5: "escape_whitespaces"}
    for number, wire, value in _fields(data):
        if number == 1 and wire == 2:
            model.normalizer_name = value.decode("utf-8")
        elif number == 2 and wire == 2:
            model.precompiled_charsmap = bytes(value)
        elif wire == 0 and number in bools:
            setattr(model, bools[number], bool(value))


def without_dummy_prefix(data: bytes) -> bytes:
    """The same model with ``normalizer_spec.add_dummy_prefix = false``.

    Protobuf merges a repeated embedded message into the first and the last scalar value wins,
    so appending ``normalizer_spec { add_dummy_prefix: false }`` is enough.
    """
    return data + bytes([0x1A, 0x02, 0x18, 0x00])


def read_sentencepiece_file(path: str | Path) -> tuple[bytes, SentencePieceModel]:
    """The bytes and decoded model of a ``.model`` file; TokenizerError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TokenizerError(f"SentencePiece model {path} does not exist") from None
    except OSError as error:
        raise TokenizerError(f"cannot read SentencePiece model {path}: {error}") from None
    return data, parse_sentencepiece_model(data, str(path))
