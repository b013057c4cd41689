"""Logits processors, written once for PyTorch, TensorFlow and JAX (see :mod:`.array_ops`).

Each processor is a frozen dataclass (hashable, so a compiled decode step can be cached per set of
processors) called as ``processor(ops, ctx, scores) -> scores`` with ``scores`` float32
``[rows, vocab]`` and ``ctx`` a :class:`DecodeContext`. Semantics follow Transformers' processors of
the same names (``transformers.generation.logits_process``); ``sdk/tests/generation`` checks every
one against them, in every framework, on random scores.

:func:`build_logits_processors` turns a :class:`GenerationConfig` into the list, in Transformers'
order: penalties and constraints first, then (when sampling) the warpers temperature, top-k, top-p,
min-p.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from plugformers.errors import GenerationError

from .array_ops import NEG_INF, Array, ArrayOps
from .config import GenerationConfig


@dataclass
class DecodeContext:
    """What processors may look at besides the scores.

    ``sequences`` ``[rows, buffer]`` holds the tokens so far in columns ``< cur_len`` (later
    columns are unused); ``prompt_length`` is the (padded) prompt length; ``max_length`` the
    prompt length plus the new-token budget; ``prompt_start`` ``[rows]`` the index of each row's
    first non-padding prompt token. Counters are Python ints or 0-d arrays.
    """

    sequences: Array
    cur_len: Any
    prompt_length: Any
    max_length: Any
    prompt_start: Array


def _eos_mask(ops: ArrayOps, tokens: tuple[int, ...], vocab: int) -> Array:
    return ops.vocab_mask(tokens, vocab)[None, :]


@dataclass(frozen=True)
class RepetitionPenalty:
    """Divide positive (multiply negative) scores of tokens already in the sequence by ``penalty``;
    left padding of the prompt does not count."""

    penalty: float

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        rows, vocab = ops.shape(scores)
        positions = ops.arange(ops.shape(ctx.sequences)[1])[None, :]
        valid = (positions < ctx.cur_len) & (positions >= ctx.prompt_start[:, None])
        seen = ops.presence(ctx.sequences, valid, vocab)
        penalised = ops.where(scores < 0, scores * self.penalty, scores / self.penalty)
        return ops.where(seen, penalised, scores)


@dataclass(frozen=True)
class NoRepeatNGram:
    """Ban every token that would complete an n-gram already present in the sequence."""

    size: int

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        rows, vocab = ops.shape(scores)
        buffer = ops.shape(ctx.sequences)[1]
        n = self.size
        if buffer < n:
            return scores
        windows = buffer - n + 1  # window i covers columns i .. i + n - 1
        match = ops.arange(windows)[None, :] <= ctx.cur_len - n
        match = match & ops.full((rows, windows), True, "bool")
        if n > 1:
            prefix = ops.tail(ctx.sequences, ctx.cur_len, n - 1)
            for j in range(n - 1):
                match = match & (ctx.sequences[:, j:j + windows] == prefix[:, j:j + 1])
        banned = ops.presence(ctx.sequences[:, n - 1:n - 1 + windows], match, vocab)
        return ops.where(banned, NEG_INF, scores)


@dataclass(frozen=True)
class NoBadWords:
    """Ban single tokens always, and the last token of a longer sequence when the sequence so far
    ends with the rest of it. Sequences that are exactly an EOS token are dropped (as in
    Transformers)."""

    bad_words_ids: tuple[tuple[int, ...], ...]

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        rows, vocab = ops.shape(scores)
        too_big = sorted({t for seq in self.bad_words_ids for t in seq if t >= vocab})
        if too_big:
            raise GenerationError(f"bad_words_ids holds token ids {too_big} outside the vocabulary of {vocab}")
        singles = [seq[0] for seq in self.bad_words_ids if len(seq) == 1]
        banned = ops.vocab_mask(singles, vocab)[None, :] & ops.full((rows, 1), True, "bool")
        for seq in self.bad_words_ids:
            if len(seq) == 1:
                continue
            prefix = seq[:-1]
            tail = ops.tail(ctx.sequences, ctx.cur_len, len(prefix))
            hit = ops.reduce("all", tail == ops.constant(np.array(prefix))[None, :], axis=1)
            hit = hit & (ctx.cur_len >= len(prefix))
            banned = banned | (hit[:, None] & ops.vocab_mask([seq[-1]], vocab)[None, :])
        return ops.where(banned, NEG_INF, scores)


@dataclass(frozen=True)
class MinLength:
    """No EOS while the whole sequence is shorter than ``min_length``."""

    min_length: int
    eos_token_ids: tuple[int, ...]

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        eos = _eos_mask(ops, self.eos_token_ids, ops.shape(scores)[1])
        return ops.where(eos & (ctx.cur_len < self.min_length), NEG_INF, scores)


@dataclass(frozen=True)
class MinNewTokens:
    """No EOS before ``min_new_tokens`` tokens were generated after the prompt."""

    min_new_tokens: int
    eos_token_ids: tuple[int, ...]

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        eos = _eos_mask(ops, self.eos_token_ids, ops.shape(scores)[1])
        return ops.where(eos & (ctx.cur_len - ctx.prompt_length < self.min_new_tokens), NEG_INF, scores)


def _forced(ops: ArrayOps, tokens: tuple[int, ...], scores: Array) -> Array:
    shape = ops.shape(scores)
    mask = _eos_mask(ops, tokens, shape[1])
    return ops.where(mask, ops.full(shape, 0.0, "float"), ops.full(shape, NEG_INF, "float"))


@dataclass(frozen=True)
class ForcedBOS:
    """The first token (when the sequence has length 1) is ``bos_token_id``."""

    bos_token_id: int

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        return ops.select(ctx.cur_len == 1, _forced(ops, (self.bos_token_id,), scores), scores)


@dataclass(frozen=True)
class ForcedEOS:
    """The last token allowed by ``max_length`` is an EOS token."""

    eos_token_ids: tuple[int, ...]

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        return ops.select(ctx.cur_len == ctx.max_length - 1, _forced(ops, self.eos_token_ids, scores), scores)


@dataclass(frozen=True)
class SuppressTokens:
    tokens: tuple[int, ...]

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        return ops.where(_eos_mask(ops, self.tokens, ops.shape(scores)[1]), NEG_INF, scores)


@dataclass(frozen=True)
class SuppressTokensAtBegin:
    """Suppress ``tokens`` for the first generated token (``offset``: 1 when a forced BOS comes first)."""

    tokens: tuple[int, ...]
    offset: int = 0

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        mask = _eos_mask(ops, self.tokens, ops.shape(scores)[1])
        return ops.where(mask & (ctx.cur_len == ctx.prompt_length + self.offset), NEG_INF, scores)


@dataclass(frozen=True)
class Temperature:
    temperature: float

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        return scores / self.temperature


@dataclass(frozen=True)
class TopK:
    """Keep the ``top_k`` highest scores (ties with the k-th kept too)."""

    top_k: int
    min_tokens_to_keep: int = 1

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        k = min(max(self.top_k, self.min_tokens_to_keep), ops.shape(scores)[1])
        threshold = ops.topk(scores, k)[0][:, k - 1:k]
        return ops.where(scores < threshold, NEG_INF, scores)


@dataclass(frozen=True)
class TopP:
    """Keep the smallest set of most likely tokens whose probability mass exceeds ``top_p``."""

    top_p: float
    min_tokens_to_keep: int = 1

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        vocab = ops.shape(scores)[1]
        sorted_scores, order = ops.sort(scores)
        cumulative = ops.cumsum(ops.softmax(sorted_scores), axis=1)
        remove_sorted = (cumulative <= 1 - self.top_p) & (ops.arange(vocab)[None, :] < vocab - self.min_tokens_to_keep)
        remove = ops.take_along_axis(remove_sorted, ops.argsort(order), 1)
        return ops.where(remove, NEG_INF, scores)


@dataclass(frozen=True)
class MinP:
    """Drop tokens whose probability is below ``min_p`` times the most likely token's."""

    min_p: float
    min_tokens_to_keep: int = 1

    def __call__(self, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
        probs = ops.softmax(scores)
        top = ops.reduce("max", probs, axis=1, keepdims=True)
        remove = probs < self.min_p * top
        k = min(self.min_tokens_to_keep, ops.shape(scores)[1])
        if k > 1:
            remove = remove & (probs < ops.topk(probs, k)[0][:, k - 1:k])
        return ops.where(remove, NEG_INF, scores)


def apply_processors(processors: tuple, ops: ArrayOps, ctx: DecodeContext, scores: Array) -> Array:
    for processor in processors:
        scores = processor(ops, ctx, scores)
    return scores


def build_logits_processors(config: GenerationConfig, *, prompt_length: int) -> tuple:
    """The processors ``config`` asks for, in Transformers' order (warpers only when sampling)."""
    eos = tuple(config.eos_token_ids)
    processors: list = []
    if config.repetition_penalty != 1.0:
        processors.append(RepetitionPenalty(float(config.repetition_penalty)))
    if config.no_repeat_ngram_size and config.no_repeat_ngram_size > 0:
        processors.append(NoRepeatNGram(config.no_repeat_ngram_size))
    if config.bad_words_ids is not None:
        kept = tuple(tuple(seq) for seq in config.bad_words_ids if not (len(seq) == 1 and seq[0] in eos))
        if kept:
            processors.append(NoBadWords(kept))
    if eos and config.min_length > 0:
        processors.append(MinLength(config.min_length, eos))
    if eos and config.min_new_tokens:
        processors.append(MinNewTokens(config.min_new_tokens, eos))
    if config.forced_bos_token_id is not None:
        processors.append(ForcedBOS(config.forced_bos_token_id))
    if config.forced_eos_token_id is not None:
        forced = config.forced_eos_token_id
        processors.append(ForcedEOS((forced,) if isinstance(forced, int) else tuple(forced)))
    if config.suppress_tokens is not None:
        processors.append(SuppressTokens(tuple(config.suppress_tokens)))
    if config.begin_suppress_tokens is not None:
        offset = 0 if (prompt_length > 1 or config.forced_bos_token_id is None) else 1
        processors.append(SuppressTokensAtBegin(tuple(config.begin_suppress_tokens), offset))
    if config.do_sample:
        keep = (len(eos) + 1 if eos else 2) if config.num_beams > 1 else 1
        if config.temperature != 1.0:
            processors.append(Temperature(float(config.temperature)))
        if config.top_k is not None and config.top_k != 0:
            processors.append(TopK(config.top_k, keep))
        if config.top_p is not None and config.top_p < 1.0:
            processors.append(TopP(float(config.top_p), keep))
        if config.min_p is not None:
            processors.append(MinP(float(config.min_p), keep))
    return tuple(processors)
