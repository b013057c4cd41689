"""Byte-level pieces of GPT-2's tokenizer: the byte <-> printable-character map and the
pre-tokenization pattern.

The pattern is GPT-2's ``'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+``.
Python's ``re`` has no ``\\p{..}``, so the letter and number classes are built once from
``unicodedata`` (category L* and N*), and ``\\s`` is the White_Space property, as in the
Oniguruma engine the ``tokenizers`` library uses.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from .basic_tokenizer import _WHITESPACE


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """Each byte -> a printable character: printable Latin-1 bytes map to themselves, the rest to 256+."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    mapping = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return dict(sorted(mapping.items()))


@lru_cache(maxsize=1)
def unicode_to_bytes() -> dict[str, int]:
    return {c: b for b, c in bytes_to_unicode().items()}


@lru_cache(maxsize=1)
def _letter_and_number_classes() -> tuple[str, str]:
    """Regex character-class bodies for \\p{L} and \\p{N}, from one pass over every code point."""
    spans: dict[str, list[list[int]]] = {"L": [], "N": []}
    previous = ""
    for cp in range(sys.maxunicode + 1):
        major = unicodedata.category(chr(cp))[0]
        if major in spans:
            if major == previous:
                spans[major][-1][1] = cp
            else:
                spans[major].append([cp, cp])
        previous = major

    def body(ranges: list[list[int]]) -> str:
        return "".join(
            re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges
        )

    return body(spans["L"]), body(spans["N"])


@lru_cache(maxsize=1)
def gpt2_pattern() -> re.Pattern[str]:
    """GPT-2's pre-tokenization regex, compiled for Python's ``re``."""
    letters, numbers = _letter_and_number_classes()
    space = "".join(re.escape(c) for c in sorted(_WHITESPACE))
    return re.compile(
        rf"""'s|'t|'re|'ve|'m|'ll|'d| ?[{letters}]+| ?[{numbers}]+| ?[^{space}{letters}{numbers}]+|[{space}]+(?![^{space}])|[{space}]+"""
    )
