"""Streaming generated text: ``generate(..., streamer=...)`` calls ``put(token_ids)`` then ``end()``.

Framework-neutral: ``put`` receives token ids as any array-like (a framework tensor, NumPy or a
list) of shape ``[n]`` or ``[1, n]``; the first call carries the prompt. Text is emitted only at
word boundaries (or when a character completes), so multi-token characters are never split.
"""

from __future__ import annotations

import queue
from typing import Any

import numpy as np


def _ids(value: Any) -> list[int]:
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.ndim == 2:
        if array.shape[0] != 1:
            raise ValueError("streamers support a batch of one sequence")
        array = array[0]
    return [int(v) for v in array.reshape(-1)]


class TextStreamer:
    """Prints text to stdout as it is generated (subclasses override ``on_text``)."""

    def __init__(self, tokenizer: Any, *, skip_prompt: bool = False, **decode_kwargs: Any):
        self.tokenizer = tokenizer
        self.skip_prompt = skip_prompt
        self.decode_kwargs = decode_kwargs
        self._tokens: list[int] = []
        self._printed = 0
        self._prompt_seen = False

    def put(self, value: Any) -> None:
        ids = _ids(value)
        if self.skip_prompt and not self._prompt_seen:
            self._prompt_seen = True
            return
        self._prompt_seen = True
        self._tokens.extend(ids)
        text = self.tokenizer.decode(self._tokens, **self.decode_kwargs)
        if text.endswith("\n"):
            piece, self._tokens, self._printed = text[self._printed:], [], 0
        elif text.endswith("\ufffd"):
            return  # an incomplete multi-byte character: wait for the rest
        else:
            cut = text.rfind(" ") + 1
            piece = text[self._printed:cut] if cut > self._printed else ""
            self._printed += len(piece)
        if piece:
            self.on_text(piece, stream_end=False)

    def end(self) -> None:
        text = self.tokenizer.decode(self._tokens, **self.decode_kwargs) if self._tokens else ""
        piece = text[self._printed:]
        self._tokens, self._printed = [], 0
        self.on_text(piece, stream_end=True)

    def on_text(self, text: str, stream_end: bool = False) -> None:
        print(text, flush=True, end="" if not stream_end else "\n")


class TextIteratorStreamer(TextStreamer):
    """Iterate over the text as it arrives (run ``generate`` in another thread)."""

    _END = object()

    def __init__(self, tokenizer: Any, *, skip_prompt: bool = False, timeout: float | None = None, **decode_kwargs: Any):
        super().__init__(tokenizer, skip_prompt=skip_prompt, **decode_kwargs)
        self.queue: queue.Queue = queue.Queue()
        self.timeout = timeout

    def on_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.queue.put(text, timeout=self.timeout)
        if stream_end:
            self.queue.put(self._END, timeout=self.timeout)

    def __iter__(self):
        return self

    def __next__(self) -> str:
        value = self.queue.get(timeout=self.timeout)
        if value is self._END:
            raise StopIteration
        return value
