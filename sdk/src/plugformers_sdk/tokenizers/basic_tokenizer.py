"""BERT's basic tokenization: clean the text, isolate CJK characters, strip accents, lower-case,
split on whitespace and punctuation.

The character classes and the order of steps follow the ``tokenizers`` library's
``BertNormalizer`` + ``BertPreTokenizer`` (clean, CJK, strip accents, lower-case), so the slow
and fast BERT tokenizers agree character for character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# The White_Space property (what Rust's char::is_whitespace tests).
_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# The CJK blocks BERT isolates, as the tokenizers library spells them (its third-to-last range
# starts at U+2B920, not BERT's U+2B820; we follow the library so slow and fast agree).
_CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def is_whitespace(char: str) -> bool:
    return char in _WHITESPACE


@lru_cache(maxsize=65536)
def is_control(char: str) -> bool:
    """Unicode "other" categories (Cc, Cf, Cn, Co, Cs), except tab, newline and carriage return."""
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


@lru_cache(maxsize=65536)
def is_punctuation(char: str) -> bool:
    """ASCII punctuation and symbols (``$``, ``+``, ``^`` ... too) and every Unicode P* character."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_chinese_char(char: str) -> bool:
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def clean_text(text: str) -> str:
    """Drop NUL, U+FFFD and control characters; turn every whitespace character into a space."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for char in text:
        if char == "\x00" or char == "\ufffd" or is_control(char):
            continue
        out.append(" " if char in _WHITESPACE else char)
    return "".join(out)


def pad_chinese_chars(text: str) -> str:
    if text.isascii():
        return text
    return "".join(f" {c} " if is_chinese_char(c) else c for c in text)


def strip_accents(text: str) -> str:
    """NFD, then drop the non-spacing marks (Mn)."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def lowercase(text: str) -> str:
    """Per-character lower-casing (no context-dependent final sigma, as in Rust's char::to_lowercase)."""
    if "\u03a3" not in text:
        return text.lower()
    return "".join(c.lower() for c in text)


def split_on_punctuation(word: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    for char in word:
        if is_punctuation(char):
            if current:
                pieces.append("".join(current))
                current = []
            pieces.append(char)
        else:
            current.append(char)
    if current:
        pieces.append("".join(current))
    return pieces


class BasicTokenizer:
    """Text -> words and punctuation, before WordPiece."""

    def __init__(self, do_lower_case: bool = True, never_split: Iterable[str] | None = None,
                 tokenize_chinese_chars: bool = True, strip_accents: bool | None = None,
                 do_split_on_punc: bool = True) -> None:
        self.do_lower_case = do_lower_case
        self.never_split = set(never_split or ())
        self.tokenize_chinese_chars = tokenize_chinese_chars
        # None means "follow do_lower_case", as in BERT.
        self.strip_accents = do_lower_case if strip_accents is None else strip_accents
        self.do_split_on_punc = do_split_on_punc

    def tokenize(self, text: str, never_split: Iterable[str] | None = None) -> list[str]:
        never = self.never_split.union(never_split) if never_split else self.never_split
        text = clean_text(text)
        if self.tokenize_chinese_chars:
            text = pad_chinese_chars(text)
        words: list[str] = []
        for word in text.split(" "):
            if not word:
                continue
            if word in never:
                words.append(word)
                continue
            if self.strip_accents:
                word = strip_accents(word)
            if self.do_lower_case:
                word = lowercase(word)
            if self.do_split_on_punc:
                words.extend(split_on_punctuation(word))
            elif word:
                words.append(word)
        return words
