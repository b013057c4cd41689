"""Padding of encoded rows: the one implementation behind ``tokenizer.pad`` and slow encoding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .strategies import PaddingStrategy

# Value each known key is padded with; input_ids and token_type_ids get the tokenizer's values.
_PAD_VALUES: dict[str, Any] = {
    "attention_mask": 0,
    "special_tokens_mask": 1,
    "offset_mapping": (0, 0),
    "word_ids": None,
}


def padded_length(lengths: Sequence[int], strategy: PaddingStrategy, max_length: int | None,
                  pad_to_multiple_of: int | None) -> int | None:
    """The length every row is padded to, or None for no padding."""
    if strategy is PaddingStrategy.DO_NOT_PAD or not lengths:
        return None
    target = max(lengths) if strategy is PaddingStrategy.LONGEST else max_length
    if target is None:
        return None
    if pad_to_multiple_of:
        target = -(-target // pad_to_multiple_of) * pad_to_multiple_of
    return target


def pad_rows(
    rows: dict[str, list[list[Any]]],
    *,
    strategy: PaddingStrategy,
    max_length: int | None,
    pad_to_multiple_of: int | None,
    padding_side: str,
    pad_token_id: int | None,
    pad_token_type_id: int = 0,
    return_attention_mask: bool = True,
) -> dict[str, list[list[Any]]]:
    """Pad every column of ``rows`` (key -> one list per row) and add ``attention_mask``.

    Rows already longer than the target are left alone (padding never truncates).
    """
    ids = rows["input_ids"]
    lengths = [len(r) for r in ids]
    target = padded_length(lengths, strategy, max_length, pad_to_multiple_of)
    out = dict(rows)
    if return_attention_mask and "attention_mask" not in out:
        out["attention_mask"] = [[1] * n for n in lengths]
    if target is None:
        return out
    for key, column in out.items():
        if key == "input_ids":
            value = pad_token_id
        elif key == "token_type_ids":
            value = pad_token_type_id
        elif key in _PAD_VALUES:
            value = _PAD_VALUES[key]
        else:
            continue  # e.g. overflow_to_sample_mapping, length: not per-token
        new_column = []
        for row in column:
            missing = target - len(row)
            if missing <= 0:
                new_column.append(row)
            elif padding_side == "right":
                new_column.append(list(row) + [value] * missing)
            else:
                new_column.append([value] * missing + list(row))
        out[key] = new_column
    return out
