"""Split raw text on added tokens, the way the ``tokenizers`` library's added vocabulary does.

At each position the longest added token wins; ``lstrip``/``rstrip`` swallow the whitespace beside
a match and ``single_word`` tokens only match outside words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .added_token import AddedToken


class AddedTokensSplitter:
    """``split(text)`` -> list of (piece, is_added_token) with the added tokens as their content."""

    def __init__(self, tokens: Iterable[AddedToken]) -> None:
        self._tokens = {t.content: t for t in tokens if t.content}
        contents = sorted(self._tokens, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, contents))) if contents else None

    def split(self, text: str) -> list[tuple[str, bool]]:
        if self._pattern is None or not text:
            return [(text, False)] if text else []
        pieces: list[tuple[str, bool]] = []
        previous_end = 0  # end of the last accepted match (in text)
        for match in self._pattern.finditer(text):
            token = self._tokens[match.group()]
            start, end = match.span()
            if start < previous_end:
                continue  # overlaps a whitespace-extended previous match
            if token.single_word and (_is_word_char(text, start - 1) or _is_word_char(text, end)):
                continue
            if token.lstrip:
                while start > previous_end and text[start - 1].isspace():
                    start -= 1
            if token.rstrip:
                while end < len(text) and text[end].isspace():
                    end += 1
            if start > previous_end:
                pieces.append((text[previous_end:start], False))
            pieces.append((token.content, True))
            previous_end = end
        if previous_end < len(text):
            pieces.append((text[previous_end:], False))
        return pieces


def _is_word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")
