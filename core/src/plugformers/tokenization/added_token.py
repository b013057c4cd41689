"""AddedToken: a token added on top of a vocabulary, with its matching options.

The JSON form (``{"content", "lstrip", "normalized", "rstrip", "single_word", "special"}``) is the
one Transformers writes in ``tokenizer_config.json`` (``added_tokens_decoder``) and
``special_tokens_map.json``; ``tokenizers.AddedToken`` objects are accepted wherever an
``AddedToken`` is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import TokenizerError


@dataclass(frozen=True)
class AddedToken:
    """A token matched as a whole in raw text before the model's own tokenization.

    ``lstrip``/``rstrip`` swallow the whitespace on that side of a match, ``single_word`` only
    matches when the token is not inside a word, ``normalized`` says whether the token is matched
    against normalized text (fast tokenizers), ``special`` marks it skippable on decode.
    """

    content: str
    single_word: bool = False
    lstrip: bool = False
    rstrip: bool = False
    normalized: bool = field(default=True)
    special: bool = False

    def __str__(self) -> str:
        return self.content

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_special(self, special: bool) -> AddedToken:
        """This token with ``special`` set (special tokens are never normalized by default)."""
        if special == self.special:
            return self
        return AddedToken(self.content, self.single_word, self.lstrip, self.rstrip,
                          False if special else self.normalized, special)


def as_added_token(value: Any, *, special: bool, where: str = "token") -> AddedToken:
    """Turn a str, a dict from JSON, an AddedToken or a ``tokenizers.AddedToken`` into an AddedToken."""
    if isinstance(value, AddedToken):
        return value if not special or value.special else value.with_special(True)
    if isinstance(value, str):
        return AddedToken(value, normalized=not special, special=special)
    if isinstance(value, dict):
        if not isinstance(value.get("content"), str):
            raise TokenizerError(f"{where}: an added token needs a string 'content', got {value!r}")
        return AddedToken(
            value["content"],
            single_word=bool(value.get("single_word", False)),
            lstrip=bool(value.get("lstrip", False)),
            rstrip=bool(value.get("rstrip", False)),
            normalized=bool(value.get("normalized", not special)),
            special=bool(value.get("special", special)),
        )
    content = getattr(value, "content", None)
    if isinstance(content, str):  # tokenizers.AddedToken
        return AddedToken(
            content,
            single_word=bool(getattr(value, "single_word", False)),
            lstrip=bool(getattr(value, "lstrip", False)),
            rstrip=bool(getattr(value, "rstrip", False)),
            normalized=bool(getattr(value, "normalized", not special)),
            special=bool(getattr(value, "special", False)) or special,
        )
    raise TokenizerError(f"{where}: expected a string or an AddedToken, got {type(value).__name__}")
