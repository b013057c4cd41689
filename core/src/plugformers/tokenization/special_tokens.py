"""The special-token attributes every tokenizer has (bos/eos/unk/sep/pad/cls/mask + additional)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import TokenizerError
from .added_token import AddedToken, as_added_token

SPECIAL_TOKENS_ATTRIBUTES = (
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
)
ADDITIONAL = "additional_special_tokens"


class SpecialTokensMixin:
    """Holds the special tokens; ``tokenizer.pad_token`` is a str, ``tokenizer.pad_token_id`` its id.

    Subclasses provide ``_add_tokens(tokens, special)``, ``convert_tokens_to_ids`` and
    ``_register_special(token)`` (make a token known as special without growing the vocabulary
    when it is already in it).
    """

    def _init_special_tokens(self, kwargs: dict[str, Any]) -> None:
        self._special: dict[str, AddedToken | None] = {}
        for name in SPECIAL_TOKENS_ATTRIBUTES:
            value = kwargs.pop(name, None)
            self._special[name] = None if value is None else as_added_token(value, special=True, where=name)
        extra = kwargs.pop(ADDITIONAL, None)
        extra_v5 = kwargs.pop("extra_special_tokens", None)
        if extra is None and isinstance(extra_v5, (list, tuple)):
            extra = extra_v5
        if extra is not None and not isinstance(extra, (list, tuple)):
            raise TokenizerError(f"{ADDITIONAL} must be a list of tokens, got {type(extra).__name__}")
        self._additional: list[AddedToken] = [
            as_added_token(t, special=True, where=ADDITIONAL) for t in (extra or [])
        ]

    # ---- views ---------------------------------------------------------------------------
    @property
    def special_tokens_map(self) -> dict[str, Any]:
        """``{"cls_token": "[CLS]", ...}`` for the set ones, plus ``additional_special_tokens``."""
        result: dict[str, Any] = {n: str(t) for n, t in self._special.items() if t is not None}
        if self._additional:
            result[ADDITIONAL] = [str(t) for t in self._additional]
        return result

    @property
    def special_tokens_map_extended(self) -> dict[str, Any]:
        result: dict[str, Any] = {n: t for n, t in self._special.items() if t is not None}
        if self._additional:
            result[ADDITIONAL] = list(self._additional)
        return result

    @property
    def all_special_tokens_extended(self) -> list[AddedToken]:
        seen: dict[str, AddedToken] = {}
        for token in [t for t in self._special.values() if t is not None] + self._additional:
            seen.setdefault(token.content, token)
        return list(seen.values())

    @property
    def all_special_tokens(self) -> list[str]:
        return [t.content for t in self.all_special_tokens_extended]

    @property
    def all_special_ids(self) -> list[int]:
        return self.convert_tokens_to_ids(self.all_special_tokens)  # type: ignore[attr-defined]

    @property
    def additional_special_tokens(self) -> list[str]:
        return [t.content for t in self._additional]

    @additional_special_tokens.setter
    def additional_special_tokens(self, tokens: Iterable[Any]) -> None:
        self._additional = [as_added_token(t, special=True, where=ADDITIONAL) for t in tokens]
        for token in self._additional:
            self._register_special(token)  # type: ignore[attr-defined]

    @property
    def additional_special_tokens_ids(self) -> list[int]:
        return self.convert_tokens_to_ids(self.additional_special_tokens)  # type: ignore[attr-defined]

    # ---- changing them ---------------------------------------------------------------------
    def _set_special_token(self, name: str, value: Any) -> None:
        token = None if value is None else as_added_token(value, special=True, where=name)
        self._special[name] = token
        if token is not None:
            self._register_special(token)  # type: ignore[attr-defined]

    def add_special_tokens(self, special_tokens_dict: dict[str, Any],
                           replace_additional_special_tokens: bool = True) -> int:
        """Set special tokens (adding those not in the vocabulary); returns how many ids were added."""
        if not isinstance(special_tokens_dict, dict):
            raise TokenizerError("add_special_tokens expects a dict like {'pad_token': '[PAD]'}")
        to_add: list[AddedToken] = []
        for name, value in special_tokens_dict.items():
            if name == ADDITIONAL or name == "extra_special_tokens":
                if not isinstance(value, (list, tuple)):
                    raise TokenizerError(f"add_special_tokens: {name} must be a list")
                tokens = [as_added_token(t, special=True, where=name) for t in value]
                if replace_additional_special_tokens:
                    self._additional = tokens
                else:
                    known = {t.content for t in self._additional}
                    self._additional += [t for t in tokens if t.content not in known]
                to_add += tokens
            elif name in SPECIAL_TOKENS_ATTRIBUTES:
                token = as_added_token(value, special=True, where=name)
                self._special[name] = token
                to_add.append(token)
            else:
                raise TokenizerError(
                    f"add_special_tokens: unknown key {name!r}; expected one of "
                    f"{SPECIAL_TOKENS_ATTRIBUTES + (ADDITIONAL,)}"
                )
        return self._add_tokens(to_add, special=True)  # type: ignore[attr-defined]

    def add_tokens(self, new_tokens: Any, special_tokens: bool = False) -> int:
        """Add tokens to the vocabulary (those already in it are only made splittable); returns the count added."""
        if new_tokens is None:
            return 0
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        tokens = [as_added_token(t, special=special_tokens, where="add_tokens") for t in new_tokens]
        return self._add_tokens(tokens, special=special_tokens)  # type: ignore[attr-defined]


def _make_property(name: str) -> tuple[property, property]:
    def get_token(self: SpecialTokensMixin) -> str | None:
        token = self._special.get(name)
        return None if token is None else token.content

    def set_token(self: SpecialTokensMixin, value: Any) -> None:
        self._set_special_token(name, value)

    def get_id(self: SpecialTokensMixin) -> int | None:
        token = self._special.get(name)
        return None if token is None else self.convert_tokens_to_ids(token.content)  # type: ignore[attr-defined]

    def set_id(self: SpecialTokensMixin, value: int | None) -> None:
        self._set_special_token(name, None if value is None else self.convert_ids_to_tokens(value))  # type: ignore[attr-defined]

    return property(get_token, set_token, doc=f"The {name} (a str) or None."), property(
        get_id, set_id, doc=f"The id of the {name}, or None."
    )


for _name in SPECIAL_TOKENS_ATTRIBUTES:
    _token_prop, _id_prop = _make_property(_name)
    setattr(SpecialTokensMixin, _name, _token_prop)
    setattr(SpecialTokensMixin, _name + "_id", _id_prop)
