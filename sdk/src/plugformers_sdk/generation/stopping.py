"""Stopping criteria checked on the host between decoding steps: stop strings and ``max_time``.

(Length and EOS stops are part of the decoding step itself, see :mod:`.decoding`.)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from plugformers.errors import GenerationError


class StopStrings:
    """True for a row whose last token completes one of ``stop_strings`` (the string may start
    anywhere earlier, in the prompt included, and the last token may run past its end)."""

    def __init__(self, stop_strings: str | list[str], tokenizer: Any):
        strings = [stop_strings] if isinstance(stop_strings, str) else list(stop_strings)
        if not strings or not all(isinstance(s, str) and s for s in strings):
            raise GenerationError(f"stop_strings must be a non-empty string or a list of them, got {stop_strings!r}")
        if tokenizer is None:
            raise GenerationError("stop_strings needs the tokenizer: call generate(..., stop_strings=..., tokenizer=tok)")
        self.strings = strings
        self.tokenizer = tokenizer
        self.window = max(len(s) for s in strings) + 4  # tokens: every token decodes to >= 0 characters

    def _decode(self, ids: np.ndarray) -> str:
        return self.tokenizer.decode([int(t) for t in ids])

    def row_stops(self, ids: np.ndarray) -> bool:
        tail = ids[-self.window:]
        text, before = self._decode(tail), self._decode(tail[:-1])
        for string in self.strings:
            if string not in text:
                continue
            if not text.startswith(before):
                if string not in before:
                    return True
            elif text.find(string, max(0, len(before) - len(string) + 1)) >= 0:
                return True
        return False

    def __call__(self, sequences: np.ndarray) -> np.ndarray:
        """``sequences`` ``[rows, length]`` (NumPy) -> bool ``[rows]``."""
        return np.array([self.row_stops(row) for row in sequences], dtype=bool)


class MaxTime:
    """True once ``max_time`` seconds have passed since the call started."""

    def __init__(self, max_time: float, start: float | None = None):
        self.max_time = max_time
        self.start = time.perf_counter() if start is None else start

    def expired(self) -> bool:
        return time.perf_counter() - self.start > self.max_time
