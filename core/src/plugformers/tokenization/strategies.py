"""Padding and truncation strategies, and how the user's arguments resolve to them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from ..errors import TokenizerError

logger = logging.getLogger("plugformers.tokenization")

# What Transformers writes as model_max_length when a model has no limit.
VERY_LARGE_INTEGER = int(1e30)
LARGE_INTEGER = int(1e20)


class PaddingStrategy(str, Enum):
    LONGEST = "longest"
    MAX_LENGTH = "max_length"
    DO_NOT_PAD = "do_not_pad"


class TruncationStrategy(str, Enum):
    LONGEST_FIRST = "longest_first"
    ONLY_FIRST = "only_first"
    ONLY_SECOND = "only_second"
    DO_NOT_TRUNCATE = "do_not_truncate"


@dataclass(frozen=True)
class EncodePlan:
    """The resolved padding/truncation settings of one call."""

    padding: PaddingStrategy
    truncation: TruncationStrategy
    max_length: int | None
    stride: int
    pad_to_multiple_of: int | None
    padding_side: str
    truncation_side: str


def _padding_strategy(padding: bool | str | PaddingStrategy) -> PaddingStrategy:
    if padding is True:
        return PaddingStrategy.LONGEST
    if padding is False or padding is None:
        return PaddingStrategy.DO_NOT_PAD
    try:
        return PaddingStrategy(padding)
    except ValueError:
        raise TokenizerError(
            f"padding={padding!r} is not one of True, False, 'longest', 'max_length', 'do_not_pad'"
        ) from None


def _truncation_strategy(truncation: bool | str | TruncationStrategy | None) -> TruncationStrategy:
    if truncation is True:
        return TruncationStrategy.LONGEST_FIRST
    if truncation is False or truncation is None:
        return TruncationStrategy.DO_NOT_TRUNCATE
    try:
        return TruncationStrategy(truncation)
    except ValueError:
        raise TokenizerError(
            f"truncation={truncation!r} is not one of True, False, 'longest_first', 'only_first', "
            "'only_second', 'do_not_truncate'"
        ) from None


def resolve_plan(
    *,
    padding: bool | str | PaddingStrategy,
    truncation: bool | str | TruncationStrategy | None,
    max_length: int | None,
    stride: int,
    pad_to_multiple_of: int | None,
    padding_side: str,
    truncation_side: str,
    model_max_length: int,
    has_pad_token: bool,
) -> EncodePlan:
    """Resolve the call arguments as Transformers does.

    ``truncation=None`` with an explicit ``max_length`` means ``"longest_first"``; a missing
    ``max_length`` falls back to ``model_max_length`` when truncating or padding to max length.
    """
    if truncation is None and max_length is not None:
        truncation = True
    pad = _padding_strategy(padding)
    trunc = _truncation_strategy(truncation)
    if max_length is None:
        needs_length = pad is PaddingStrategy.MAX_LENGTH or trunc is not TruncationStrategy.DO_NOT_TRUNCATE
        if needs_length:
            if model_max_length >= LARGE_INTEGER:
                if pad is PaddingStrategy.MAX_LENGTH:
                    raise TokenizerError(
                        "padding='max_length' needs max_length=..., and this tokenizer has no "
                        "model_max_length to default to"
                    )
                logger.warning(
                    "truncation was requested without max_length and this tokenizer has no "
                    "model_max_length; not truncating"
                )
                trunc = TruncationStrategy.DO_NOT_TRUNCATE
            else:
                max_length = model_max_length
    elif not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 0:
        raise TokenizerError(f"max_length={max_length!r} must be a non-negative integer")
    if not isinstance(stride, int) or stride < 0:
        raise TokenizerError(f"stride={stride!r} must be a non-negative integer")
    if pad_to_multiple_of is not None and (not isinstance(pad_to_multiple_of, int) or pad_to_multiple_of <= 0):
        raise TokenizerError(f"pad_to_multiple_of={pad_to_multiple_of!r} must be a positive integer")
    if pad is PaddingStrategy.MAX_LENGTH and pad_to_multiple_of and max_length % pad_to_multiple_of:
        raise TokenizerError(
            f"padding='max_length' with max_length={max_length} is not a multiple of "
            f"pad_to_multiple_of={pad_to_multiple_of}"
        )
    if padding_side not in ("left", "right"):
        raise TokenizerError(f"padding_side={padding_side!r} must be 'left' or 'right'")
    if truncation_side not in ("left", "right"):
        raise TokenizerError(f"truncation_side={truncation_side!r} must be 'left' or 'right'")
    if pad is not PaddingStrategy.DO_NOT_PAD and not has_pad_token:
        raise TokenizerError(
            "padding was requested but this tokenizer has no pad_token: set tokenizer.pad_token "
            "(for example tokenizer.pad_token = tokenizer.eos_token)"
        )
    return EncodePlan(pad, trunc, max_length, stride, pad_to_multiple_of, padding_side, truncation_side)
