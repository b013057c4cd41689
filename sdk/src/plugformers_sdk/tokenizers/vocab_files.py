"""Readers for the vocabulary file formats: vocab.txt, vocab.json, merges.txt.

Every problem is a TokenizerError naming the file (and the line, for merges.txt).
"""

from __future__ import annotations

from pathlib import Path

from plugformers.errors import TokenizerError
from plugformers.tokenization.files import read_json, read_text


def load_vocab_txt(path: str | Path) -> dict[str, int]:
    """One token per line; the id is the line number (a repeated token keeps its last line)."""
    text = read_text(path, "vocab.txt")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise TokenizerError(f"vocab.txt {path} is empty")
    return {line.rstrip("\r"): index for index, line in enumerate(lines)}


def load_vocab_json(path: str | Path) -> dict[str, int]:
    """A JSON object token -> id."""
    vocab = read_json(path, "vocab.json")
    if not vocab:
        raise TokenizerError(f"vocab.json {path} is empty")
    for token, index in vocab.items():
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise TokenizerError(f"vocab.json {path}: the id of {token!r} must be a non-negative integer, got {index!r}")
    return vocab


def load_merges_txt(path: str | Path) -> list[tuple[str, str]]:
    """BPE merges, one ``left right`` pair a line, highest priority first (a ``#version`` line is skipped)."""
    text = read_text(path, "merges.txt")
    merges: list[tuple[str, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if number == 1 and line.startswith("#version"):
            continue
        if not line.strip():
            continue
        parts = line.split(" ")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise TokenizerError(f"merges.txt {path}, line {number}: expected two tokens separated by a space, got {line!r}")
        merges.append((parts[0], parts[1]))
    return merges
