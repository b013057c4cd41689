"""Truncation with overflow windows, as the ``tokenizers`` library does it.

Slow tokenizers use these functions so that they cut sequences, and order the overflowing
windows of a pair, exactly like fast tokenizers do.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TokenizerError
from .strategies import TruncationStrategy


def windows(ids: Sequence[int], max_len: int, stride: int, side: str) -> list[list[int]]:
    """Cut ``ids`` into windows of ``max_len`` tokens overlapping by ``stride`` (first = kept part)."""
    n = len(ids)
    if max_len >= n:
        return [list(ids)]
    if max_len == 0:
        return [[], list(ids)]
    if stride >= max_len:
        raise TokenizerError(
            f"stride={stride} must be smaller than the {max_len} tokens left for the sequence "
            "after truncation (max_length minus special tokens)"
        )
    step = max_len - stride
    parts: list[list[int]] = []
    start = 0
    while True:
        stop = min(start + max_len, n)
        if side == "right":
            parts.append(list(ids[start:stop]))
        else:
            parts.append(list(ids[n - stop: n - start]))
        if stop == n:
            return parts
        start += step


def longest_first_lengths(n1: int, n2: int, budget: int) -> tuple[int, int]:
    """How many tokens each sequence of a pair keeps under ``longest_first``."""
    swap = n1 > n2
    if swap:
        n1, n2 = n2, n1
    n2 = n1 if n1 > budget else max(n1, budget - n1)
    if n1 + n2 > budget:
        n1 = budget // 2
        n2 = n1 + budget % 2
    return (n2, n1) if swap else (n1, n2)


def truncate_pair(
    first: list[int],
    second: list[int] | None,
    *,
    strategy: TruncationStrategy,
    budget: int,
    stride: int,
    side: str,
    overflow: bool,
) -> list[tuple[list[int], list[int] | None]]:
    """Truncate a sequence (or pair) to ``budget`` tokens; return the kept part then the overflow windows.

    The order of windows for a pair follows ``tokenizers``: the kept pair, then for each overflow
    window of the first sequence that window with the kept second and with each overflow window
    of the second, then the kept first with each overflow window of the second.
    """
    total = len(first) + (len(second) if second is not None else 0)
    if strategy is TruncationStrategy.DO_NOT_TRUNCATE or total <= budget:
        return [(first, second)]
    if second is None:
        if strategy is TruncationStrategy.ONLY_SECOND:
            raise TokenizerError("truncation='only_second' needs a pair of sequences (text_pair)")
        parts = windows(first, budget, stride, side)
        return [(p, None) for p in (parts if overflow else parts[:1])]
    if strategy is TruncationStrategy.LONGEST_FIRST:
        n1, n2 = longest_first_lengths(len(first), len(second), budget)
        parts_a, parts_b = windows(first, n1, stride, side), windows(second, n2, stride, side)
    elif strategy is TruncationStrategy.ONLY_FIRST:
        keep = budget - len(second)
        if keep <= 0:
            raise TokenizerError(
                f"truncation='only_first' cannot fit max_length: the second sequence alone has "
                f"{len(second)} tokens; use truncation='longest_first' or a larger max_length"
            )
        parts_a, parts_b = windows(first, keep, stride, side), [second]
    else:
        keep = budget - len(first)
        if keep <= 0:
            raise TokenizerError(
                f"truncation='only_second' cannot fit max_length: the first sequence alone has "
                f"{len(first)} tokens; use truncation='longest_first' or a larger max_length"
            )
        parts_a, parts_b = [first], windows(second, keep, stride, side)
    result = [(parts_a[0], parts_b[0])]
    if not overflow:
        return result
    for a in parts_a[1:]:
        result.append((a, parts_b[0]))
        result.extend((a, b) for b in parts_b[1:])
    result.extend((parts_a[0], b) for b in parts_b[1:])
    return result
