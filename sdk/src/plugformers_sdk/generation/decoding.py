"""One decoding step — model call, logits processing, token choice, bookkeeping — written once.

Every function here is pure: it takes a ``state`` dict of arrays and returns a new one, so PyTorch
runs it eagerly while TensorFlow (``tf.function(jit_compile=True)``) and JAX (``jax.jit``) compile
it once and call the compiled step for every token.

State keys shared by both strategies:

- ``sequences`` ``[rows, buffer]``: prompt then generated tokens (columns ``>= cur_len`` unused);
  for beam search, the running beams flattened to ``rows = batch * num_beams``.
- ``cur_len``, ``prompt_length``, ``max_length``: counters (Python ints eager, 0-d arrays compiled).
- ``prompt_start`` ``[rows]``: first non-padding prompt column (repetition penalty skips padding).
- ``cache``: per layer ``(key, value)`` ``[rows, heads, time, head_dim]`` or None;
  ``cache_mask`` ``[rows, time]``: 1 where that cache slot (or, without a cache, that column of
  ``sequences``) holds a real token.
- ``rng``: the framework's random state (sampling only).

Without compilation (PyTorch) the cache *grows* by one slot per token, as Transformers' dynamic
cache does. Compiled frameworks (``plan.fixed_shapes``) keep every shape fixed instead, so XLA
compiles the step once: the cache is a *rolling* buffer of ``buffer - 1`` right-aligned slots —
the model appends the new key/value (its usual ``concat``) and the step drops the oldest slot,
always an empty, masked one — which needs no change to the model's attention code. Without a
cache, compiled frameworks run the whole (fixed-size) sequence buffer with later columns masked,
and read the logits at ``cur_len - 1``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .array_ops import Array, ArrayOps
from .logits_process import DecodeContext, apply_processors

#: ``forward(input_ids, attention_mask, position_ids, past, last_only=True) -> (logits, present)``:
#: float32 logits of the last position [rows, vocab] (or of every position [rows, length, vocab]
#: when ``last_only`` is False) and the present key/values (None without a cache).
Forward = Callable[..., tuple[Array, Any]]

LARGE_NEGATIVE = -1.0e9  # Transformers' "impossible" beam score


@dataclass(frozen=True)
class DecodePlan:
    """Everything static about a generate call: hashable, so compiled steps are cached per plan."""

    processors: tuple
    do_sample: bool
    eos_token_ids: tuple[int, ...]
    pad_token_id: int
    use_cache: bool
    fixed_shapes: bool
    output_scores: bool = False
    num_beams: int = 1
    length_penalty: float = 1.0
    early_stopping: bool | str = False


def context(state: dict) -> DecodeContext:
    return DecodeContext(state["sequences"], state["cur_len"], state["prompt_length"], state["max_length"],
                         state["prompt_start"])


def position_ids_from_mask(ops: ArrayOps, mask: Array) -> Array:
    """Running count of attended tokens minus one; padding gets 1 (as Transformers' generate)."""
    positions = ops.cumsum(mask, axis=1) - 1
    return ops.where(mask == 0, 1 + 0 * positions, positions)


# -- the model call --------------------------------------------------------------------------------
def prefill(ops: ArrayOps, plan: DecodePlan, forward: Forward, state: dict, input_ids: Array,
            attention_mask: Array) -> tuple[Array, dict]:
    """Run the prompt ``input_ids`` [rows, prompt] (also the first columns of ``state["sequences"]``)."""
    rows, length = ops.shape(input_ids)
    buffer = ops.shape(state["sequences"])[1]
    logits, present = forward(input_ids, attention_mask, position_ids_from_mask(ops, attention_mask), None)
    mask = attention_mask
    if not plan.use_cache:
        present = None
        if plan.fixed_shapes:  # the mask of the whole buffer; columns >= cur_len are cut at each step
            mask = ops.concat([mask, ops.full((rows, buffer - length), 1, "int")], 1)
    elif plan.fixed_shapes:  # a rolling cache of buffer - 1 slots
        extra = buffer - 1 - length
        present = tuple(tuple(ops.pad_left(t, extra, 2) for t in layer) for layer in present)
        mask = ops.pad_left(mask, extra, 1)
    return logits, {**state, "cache": present, "cache_mask": mask}


def model_step(ops: ArrayOps, plan: DecodePlan, forward: Forward, state: dict) -> tuple[Array, dict]:
    """Logits for the next token, given the last one (with a cache) or the whole sequence."""
    rows, buffer = ops.shape(state["sequences"])
    cur_len = state["cur_len"]
    if plan.use_cache:
        mask = ops.concat([state["cache_mask"], ops.full((rows, 1), 1, "int")], 1)
        last = ops.tail(state["sequences"], cur_len, 1)
        positions = ops.reduce("sum", mask, 1, keepdims=True) - 1
        logits, present = forward(last, mask, positions, state["cache"])
        if plan.fixed_shapes:
            present = tuple(tuple(t[:, :, 1:] for t in layer) for layer in present)
            mask = mask[:, 1:]
        return logits, {**state, "cache": present, "cache_mask": mask}
    if plan.fixed_shapes:  # the whole buffer, columns >= cur_len masked; logits at cur_len - 1
        mask = ops.where(ops.arange(buffer)[None, :] < cur_len, state["cache_mask"], 0 * state["cache_mask"])
        tokens = ops.where(state["sequences"] < 0, 0 * state["sequences"], state["sequences"])  # beam fill -1
        logits, _ = forward(tokens, mask, position_ids_from_mask(ops, mask), None, last_only=False)
        column = ops.reshape(ops.arange(1) + (cur_len - 1), (1,))
        return ops.reshape(ops.take(logits, column, 1), (rows, ops.shape(logits)[2])), state
    mask = ops.concat([state["cache_mask"], ops.full((rows, 1), 1, "int")], 1)
    logits, _ = forward(state["sequences"][:, :cur_len], mask, position_ids_from_mask(ops, mask), None)
    return logits, {**state, "cache_mask": mask}


# -- greedy search and sampling -----------------------------------------------------------------------
def choose_tokens(ops: ArrayOps, plan: DecodePlan, state: dict, logits: Array) -> tuple[Array, Array]:
    """Processed scores and the chosen tokens (argmax, or a sample through the Gumbel-max trick)."""
    scores = apply_processors(plan.processors, ops, context(state), logits)
    pick = scores
    if plan.do_sample:
        pick = scores + ops.gumbel(state["rng"], ops.shape(scores), state["cur_len"])
    return ops.argmax(pick, -1), scores


def greedy_advance(ops: ArrayOps, plan: DecodePlan, state: dict, logits: Array) -> tuple[dict, Array | None]:
    """Choose, pad finished rows, append, and mark rows that produced an EOS token finished."""
    tokens, scores = choose_tokens(ops, plan, state, logits)
    unfinished = state["unfinished"]
    if plan.eos_token_ids:
        tokens = ops.where(unfinished, tokens, plan.pad_token_id + 0 * tokens)
        unfinished = unfinished & ~ops.isin(tokens, plan.eos_token_ids)
    sequences = ops.set_column(state["sequences"], state["cur_len"], tokens)
    new = {**state, "sequences": sequences, "unfinished": unfinished, "cur_len": state["cur_len"] + 1}
    return new, (scores if plan.output_scores else None)


def greedy_first(ops: ArrayOps, plan: DecodePlan, forward: Forward, state: dict, input_ids: Array,
                 attention_mask: Array) -> tuple[dict, Array | None]:
    logits, state = prefill(ops, plan, forward, state, input_ids, attention_mask)
    return greedy_advance(ops, plan, state, logits)


def greedy_step(ops: ArrayOps, plan: DecodePlan, forward: Forward, state: dict) -> tuple[dict, Array | None]:
    logits, state = model_step(ops, plan, forward, state)
    return greedy_advance(ops, plan, state, logits)


# -- beam search ----------------------------------------------------------------------------------------
def _power(ops: ArrayOps, n: Any, exponent: float) -> Any:
    return float(n) ** exponent if isinstance(n, int) else ops.cast(n, "float") ** exponent


def _gather_beams(ops: ArrayOps, x: Array, indices: Array) -> Array:
    """``x[b, indices[b, j], ...]`` for ``x`` ``[batch, beams, ...]``, ``indices`` ``[batch, k]``."""
    shape = ops.shape(x)
    if len(shape) == 3:
        indices = indices[:, :, None] + ops.full((shape[0], ops.shape(indices)[1], shape[2]), 0, "int")
    return ops.take_along_axis(x, indices, 1)


def beam_advance(ops: ArrayOps, plan: DecodePlan, state: dict, logits: Array,
                 host_hits: Callable[[Array], Array] | None = None) -> tuple[dict, Array | None]:
    """One beam-search update (Transformers' vectorised beam search, step for step).

    Keeps ``running_scores`` ``[batch, beams]`` for the live beams and, for the finished
    hypotheses, ``best_sequences`` / ``best_scores`` / ``best_lengths`` / ``finished``;
    ``improvable`` ``[batch, 1]`` is the early-stopping heuristic; ``done`` tells the host loop to stop.
    ``host_hits(candidates [batch, k, buffer]) -> bool [batch, k]`` adds host-side stopping
    criteria (stop strings; eager only).
    """
    num_beams = plan.num_beams
    rows, vocab = ops.shape(logits)
    batch = rows // num_beams
    buffer = ops.shape(state["sequences"])[1]
    cur_len, prompt_length = state["cur_len"], state["prompt_length"]

    log_probs = apply_processors(plan.processors, ops, context(state), ops.log_softmax(logits))
    accumulated = ops.reshape(log_probs, (batch, num_beams, vocab)) + state["running_scores"][:, :, None]
    accumulated = ops.reshape(accumulated, (batch, num_beams * vocab))

    keep = max(2, 1 + len(plan.eos_token_ids)) * num_beams
    if plan.do_sample:  # sampling without replacement: Gumbel-top-k
        noise = ops.gumbel(state["rng"], (batch, num_beams * vocab), cur_len)
        topk_indices = ops.topk(accumulated + noise, keep)[1]
        topk_log_probs = ops.take_along_axis(accumulated, topk_indices, 1)
    else:
        topk_log_probs, topk_indices = ops.topk(accumulated, keep)
    origin = topk_indices // vocab
    tokens = topk_indices % vocab
    running = ops.reshape(state["sequences"], (batch, num_beams, buffer))
    candidates = _gather_beams(ops, running, origin)
    candidates = ops.where(ops.arange(buffer)[None, None, :] == cur_len, tokens[:, :, None], candidates)

    hits = ops.isin(tokens, plan.eos_token_ids) | (cur_len + 1 >= state["max_length"]) | state["force_stop"]
    if host_hits is not None:
        hits = hits | host_hits(candidates)

    # the live beams of the next step: the best candidates that did not stop
    running_log_probs = topk_log_probs + ops.cast(hits, "float") * LARGE_NEGATIVE
    next_indices = ops.topk(running_log_probs, num_beams)[1]
    next_running = _gather_beams(ops, candidates, next_indices)
    running_scores = _gather_beams(ops, running_log_probs, next_indices)
    next_origin = _gather_beams(ops, origin, next_indices)

    # the finished hypotheses: merge in the top-`num_beams` candidates that just stopped
    just_finished = hits & (ops.arange(keep)[None, :] < num_beams)
    scores = topk_log_probs / _power(ops, cur_len + 1 - prompt_length, plan.length_penalty)
    if plan.early_stopping is True:  # a batch whose beams are all finished takes no more hypotheses
        scores = scores + ops.cast(ops.reduce("all", state["finished"], 1, keepdims=True), "float") * LARGE_NEGATIVE
    scores = scores + ops.cast(~state["improvable"], "float") * LARGE_NEGATIVE
    scores = scores + ops.cast(~just_finished, "float") * LARGE_NEGATIVE
    lengths = ops.full((batch, keep), 0, "int") + (cur_len + 1)
    merged_scores = ops.concat([state["best_scores"], scores], 1)
    best = ops.topk(merged_scores, num_beams)[1]
    best_sequences = _gather_beams(ops, ops.concat([state["best_sequences"], candidates], 1), best)
    best_scores = _gather_beams(ops, merged_scores, best)
    best_lengths = _gather_beams(ops, ops.concat([state["best_lengths"], lengths], 1), best)
    finished = _gather_beams(ops, ops.concat([state["finished"], just_finished], 1), best)

    # the cache follows the beams it continues
    flat_origin = ops.reshape(next_origin + ops.arange(batch)[:, None] * num_beams, (rows,))
    cache = state["cache"]
    if cache is not None:
        cache = tuple(tuple(ops.take(t, flat_origin, 0) for t in layer) for layer in cache)

    cur_len = cur_len + 1
    if plan.early_stopping == "never" and plan.length_penalty > 0.0:
        best_length = state["max_length"] - prompt_length
    else:
        best_length = cur_len - prompt_length
    best_possible = running_scores[:, :1] / _power(ops, best_length, plan.length_penalty)
    worst_finished = ops.where(finished, ops.reduce("min", best_scores, 1, keepdims=True), LARGE_NEGATIVE)
    improvable = state["improvable"] & ops.reduce("any", best_possible > worst_finished, 1, keepdims=True)
    unfinished = ops.reduce("any", ops.reshape(improvable, (batch,)), 0) & ~ops.reduce(
        "all", ops.reshape(hits, (batch * keep,)), 0)
    if plan.early_stopping is True:
        unfinished = unfinished & ~ops.reduce("all", ops.reshape(finished, (batch * num_beams,)), 0)

    new = {**state, "sequences": ops.reshape(next_running, (rows, buffer)), "running_scores": running_scores,
           "best_sequences": best_sequences, "best_scores": best_scores, "best_lengths": best_lengths,
           "finished": finished, "improvable": improvable, "done": ~unfinished, "cache": cache,
           "cur_len": cur_len}
    return new, (log_probs if plan.output_scores else None)


def beam_first(ops: ArrayOps, plan: DecodePlan, forward: Forward, state: dict, input_ids: Array,
               attention_mask: Array, host_hits: Callable[[Array], Array] | None = None) -> tuple[dict, Array | None]:
    logits, state = prefill(ops, plan, forward, state, input_ids, attention_mask)
    return beam_advance(ops, plan, state, logits, host_hits)


def beam_step(ops: ArrayOps, plan: DecodePlan, forward: Forward, state: dict,
              host_hits: Callable[[Array], Array] | None = None) -> tuple[dict, Array | None]:
    logits, state = model_step(ops, plan, forward, state)
    return beam_advance(ops, plan, state, logits, host_hits)
