"""Padded batches and single rows, for the padding and batching invariance test.

Inputs are NumPy arrays with the batch first; an input is *per token* when its last axis is the
sequence (``input_ids``, ``attention_mask``, ``token_type_ids`` ...). Padding is on the right:
every position a row has in the padded batch keeps the absolute position it has alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def padding_lengths(batch: int, seq: int) -> list[int]:
    """Row lengths of the padded batch: the first row full, the others shorter (at least 2)."""
    return [seq] + [max(2, seq - 2 * row) for row in range(1, batch)]


def is_per_token(value: np.ndarray, batch: int, seq: int) -> bool:
    return value.ndim >= 2 and value.shape[0] == batch and value.shape[-1] == seq


def pad_batch(inputs: Mapping[str, np.ndarray], lengths: list[int], pad_token_id: int) -> dict[str, np.ndarray]:
    """Right-pad row ``r`` after ``lengths[r]`` tokens: ``input_ids`` -> the pad token,
    ``attention_mask`` and any other per-token input -> 0."""
    batch, seq = inputs["input_ids"].shape[0], inputs["input_ids"].shape[-1]
    padded = {}
    for name, value in inputs.items():
        value = np.array(value, copy=True)
        if is_per_token(value, batch, seq):
            fill = pad_token_id if name == "input_ids" else 0
            for row, length in enumerate(lengths):
                value[row, ..., length:] = fill
        padded[name] = value
    return padded


def single_row(inputs: Mapping[str, np.ndarray], row: int, length: int) -> dict[str, np.ndarray]:
    """Row ``row`` alone (a batch of one), cut to its ``length`` real tokens."""
    batch, seq = inputs["input_ids"].shape[0], inputs["input_ids"].shape[-1]
    alone = {}
    for name, value in inputs.items():
        value = np.asarray(value)
        if is_per_token(value, batch, seq):
            alone[name] = np.ascontiguousarray(value[row:row + 1, ..., :length])
        elif value.ndim >= 1 and value.shape[0] == batch:
            alone[name] = np.ascontiguousarray(value[row:row + 1])
        else:
            alone[name] = value
    return alone


def row_of_padded(padded: np.ndarray, alone: np.ndarray, row: int, batch: int, seq: int, length: int) -> np.ndarray:
    """Row ``row`` of a padded-batch output, cut to the real positions.

    The output's leading axis holds ``batch * k`` rows when the single-row output has ``k`` (e.g.
    a multiple-choice model's per-choice key/value cache); row ``row`` is rows ``row*k ... row*k+k-1``.
    Then every axis whose size is the padded length where the single-row output has ``length``
    is sliced to ``length``.
    """
    k = alone.shape[0] if alone.ndim else 1
    value = padded[row * k:(row + 1) * k] if padded.ndim and padded.shape[0] == batch * k else padded[row:row + 1]
    if value.shape == alone.shape or value.ndim != alone.ndim:
        return value
    index = tuple(slice(0, length) if (p == seq and a == length) else slice(None)
                  for p, a in zip(value.shape, alone.shape))
    return value[index]
