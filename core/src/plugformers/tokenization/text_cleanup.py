"""``clean_up_tokenization_spaces``: remove the spaces decoding leaves before punctuation and contractions."""

from __future__ import annotations

# The same replacements Transformers and the tokenizers WordPiece decoder make, in order.
_REPLACEMENTS = (
    (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
    (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
)


def clean_up_tokenization(text: str) -> str:
    """``"hello , world ."`` -> ``"hello, world."``"""
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    return text
