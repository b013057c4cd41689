"""``model.generate(...)``: the host side of generation, shared by PyTorch, TensorFlow and Flax.

:class:`GenerationMixin` is a base of every framework's ``PreTrainedModel``. It resolves the
settings (``generation_config``, then keyword arguments, which must be ``GenerationConfig`` keys),
prepares the prompt on the host (NumPy), runs the prompt through the model, then calls one
decoding step per new token (:mod:`.decoding`), eagerly in PyTorch and compiled once in TensorFlow
and JAX, and talks to the streamer and the host-side stopping criteria between steps.

Each framework supplies a :class:`GenerationBackend`: its :class:`~.array_ops.ArrayOps`, the model
call, conversion of arrays, random state, and (TF/JAX) the step compiler.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from plugformers.errors import GenerationError

from . import decoding
from .array_ops import ArrayOps
from .config import GenerationConfig
from .logits_process import build_logits_processors
from .outputs import GenerateBeamDecoderOnlyOutput, GenerateDecoderOnlyOutput
from .stopping import MaxTime, StopStrings

_CONFIGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class GenerationBackend:
    """What a framework provides to :meth:`GenerationMixin.generate`."""

    framework = "?"
    fixed_shapes = False  # True where steps are compiled: fixed shapes, counters as 0-d arrays
    ops: ArrayOps
    model: Any
    use_cache = True

    def forward(self, input_ids, attention_mask, position_ids, past, last_only: bool = True):
        """``(float32 logits [rows, vocab] of the last position — of every position [rows, length,
        vocab] when not last_only —, present key/values or None)``."""
        raise NotImplementedError

    def compile_first(self, plan: decoding.DecodePlan, first):
        """A callable ``(state, input_ids, attention_mask) -> (state, scores)`` running
        ``first(ops, plan, forward, state, input_ids, attention_mask)`` (prompt + first token).
        Eager here; a framework may compile it (once per prompt shape)."""
        return lambda state, input_ids, mask: first(self.ops, plan, self.forward, state, input_ids, mask)

    def compile_step(self, plan: decoding.DecodePlan, step):
        """A callable ``state -> (state, scores)`` running ``step(ops, plan, forward, state)``,
        compiled once for fixed shapes where ``fixed_shapes``; eager here."""
        return lambda state: step(self.ops, plan, self.forward, state)

    def cache_length(self, needed: int) -> int:
        """Number of cache slots for ``needed`` tokens (compiled frameworks round up, so prompts of
        nearby lengths share one compiled step)."""
        return needed

    def counter(self, value: int) -> Any:
        """A step counter inside the state: a Python int (eager) or a 0-d array (compiled)."""
        return value

    def from_numpy(self, array: np.ndarray) -> Any:
        return self.ops.constant(array)

    def output(self, array: np.ndarray) -> Any:
        """Token ids for the caller, in the model's framework."""
        raise NotImplementedError

    def output_float(self, array: np.ndarray | None) -> Any:
        return None if array is None else self.from_numpy(np.asarray(array, dtype=np.float32))

    def make_rng(self, seed: int | None, kwargs: dict[str, Any]) -> Any:
        """The random state for sampling; pops the framework's own RNG argument from ``kwargs``."""
        raise NotImplementedError

    def run(self, function):
        return function()

    def error(self, message: str) -> GenerationError:
        return GenerationError(f"{type(self.model).__name__}.generate: {message}")

    def check_logits(self, outputs: Any) -> Any:
        return language_model_logits(outputs, self.model)


def language_model_logits(outputs: Any, model: Any) -> Any:
    """``outputs.logits`` [batch, length, vocab], or a ``GenerationError`` saying that ``model``
    has no language-modelling head."""
    logits = outputs.get("logits") if hasattr(outputs, "get") else None
    vocab = getattr(model.config, "vocab_size", None)
    if logits is None or len(logits.shape) != 3 or (vocab is not None and logits.shape[-1] < vocab):
        raise GenerationError(f"{type(model).__name__}.generate: this model has no language-modelling head (its "
                              "outputs have no [batch, length, vocab] logits); use the causal-LM class, e.g. "
                              "GPT2LMHeadModel")
    return logits


def _host_array(value: Any, name: str) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    try:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") and not isinstance(value, np.ndarray) else value)
    except Exception as err:  # noqa: BLE001 - any array-like that NumPy cannot read is a bad argument
        raise GenerationError(f"generate: {name} is not an array of token ids ({err})") from None
    if array.ndim != 2 or array.shape[1] == 0:
        raise GenerationError(f"generate: {name} must be [batch, length] with length >= 1, got shape {array.shape}")
    if array.dtype == bool:
        array = array.astype(np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        raise GenerationError(f"generate: {name} must hold integers, got {array.dtype}")
    return array.astype(np.int64)


def cached_length(past_key_values: Any) -> Any:
    """How many positions a tuple KV cache (per layer ``(key, value)``, keys [b, heads, t, d])
    already holds; 0 without one. TensorFlow gets its dynamic length (what a traced graph needs),
    the other frameworks the static one."""
    if not past_key_values:
        return 0
    key = past_key_values[0][0]
    if type(key).__module__.startswith("tensorflow"):
        import tensorflow as tf

        return tf.shape(key)[2]
    return key.shape[2]


class CausalLMGeneration:
    """Mixed into a causal language-model head: Transformers' ``prepare_inputs_for_generation``,
    whose presence is what ``can_generate()`` looks for."""

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, attention_mask=None, **kwargs) -> dict:
        """The call arguments of one decoding step: only the tokens not yet in the cache (the
        positions follow from ``attention_mask``, which covers past and current tokens)."""
        inputs = {"input_ids": input_ids[:, cached_length(past_key_values):], "past_key_values": past_key_values,
                  "attention_mask": attention_mask, "use_cache": True}
        inputs.update(kwargs)
        return inputs


class GenerationMixin:
    """Adds ``generate`` to a model whose forward returns next-token ``logits`` and accepts
    ``past_key_values`` / ``attention_mask`` / ``position_ids`` / ``use_cache`` like Transformers'."""

    def _generation_backend(self) -> GenerationBackend:
        raise NotImplementedError(f"{type(self).__name__} has no generation backend")

    @classmethod
    def can_generate(cls) -> bool:
        """Whether the class declares how to decode (``prepare_inputs_for_generation``); whether it
        really has a language-modelling head is checked on the first forward pass."""
        return hasattr(cls, "prepare_inputs_for_generation")

    @property
    def generation_config(self) -> GenerationConfig:
        """Default settings of ``generate``: set one, or get the model config's special tokens."""
        config = _CONFIGS.get(self)
        if config is None:
            config = GenerationConfig.from_model_config(self.config)
            _CONFIGS[self] = config
        return config

    @generation_config.setter
    def generation_config(self, value: GenerationConfig) -> None:
        if not isinstance(value, GenerationConfig):
            raise GenerationError(f"generation_config must be a GenerationConfig, got {type(value).__name__}")
        _CONFIGS[self] = value

    def generate(self, input_ids: Any = None, attention_mask: Any = None,
                 generation_config: GenerationConfig | None = None, streamer: Any = None, **kwargs: Any):
        """Continue ``input_ids`` [batch, length] (left-padded when ``attention_mask`` marks padding).

        Keyword arguments are :class:`GenerationConfig` keys (``max_new_tokens=``, ``do_sample=``,
        ``num_beams=``...) overriding ``generation_config`` (default: ``model.generation_config``);
        an unknown one is a ``GenerationError`` naming it. Also accepted: ``tokenizer=`` (needed by
        ``stop_strings``) and the framework's random state (``generator=`` a ``torch.Generator``;
        ``prng_key=`` a JAX key); ``seed=`` works everywhere.

        Returns token ids [batch * num_return_sequences, prompt + new] in the model's framework,
        or with ``return_dict_in_generate`` a ``GenerateDecoderOnlyOutput`` /
        ``GenerateBeamDecoderOnlyOutput`` (``sequences``, ``scores``...). ``streamer.put(ids)`` gets
        the prompt, then each new token; ``streamer.end()`` ends the stream.
        """
        backend = self._generation_backend()
        if generation_config is not None and not isinstance(generation_config, GenerationConfig):
            raise GenerationError(f"generate: generation_config must be a GenerationConfig, got "
                                  f"{type(generation_config).__name__}")
        config = (generation_config or self.generation_config).copy()
        tokenizer = kwargs.pop("tokenizer", None)
        unknown = config.update(**kwargs)
        rng = backend.make_rng(config.seed, unknown)  # takes its own argument (generator=, prng_key=) out
        if unknown:
            raise GenerationError(f"generate: unknown argument(s) {', '.join(sorted(unknown))} (not GenerationConfig "
                                  "keys; see GenerationConfig for the accepted ones)")
        return backend.run(lambda: _Generation(self, backend, config, tokenizer, streamer, rng).run(
            input_ids, attention_mask))


class _Generation:
    """One call of ``generate``: prompt preparation, the decode loop, the result."""

    def __init__(self, model: Any, backend: GenerationBackend, config: GenerationConfig, tokenizer: Any,
                 streamer: Any, rng: Any):
        self.model, self.backend, self.config, self.streamer, self.rng = model, backend, config, streamer, rng
        self.ops = backend.ops
        self.stop_strings = StopStrings(config.stop_strings, tokenizer) if config.stop_strings else None
        self.max_time = MaxTime(config.max_time) if config.max_time is not None else None
        self.beams = config.num_beams > 1

    # -- inputs -----------------------------------------------------------------------------------------
    def _prompt(self, input_ids: Any, attention_mask: Any) -> tuple[np.ndarray, np.ndarray]:
        config = self.config
        if input_ids is None:
            if config.bos_token_id is None:
                raise GenerationError("generate: pass input_ids (the model has no bos_token_id to start from)")
            input_ids = np.array([[config.bos_token_id]])
        ids = _host_array(input_ids, "input_ids")
        if attention_mask is None:
            pad, eos = config.pad_token_id, config.eos_token_ids
            if pad is not None and (ids == pad).any() and pad not in eos:
                mask = (ids != pad).astype(np.int64)
            else:
                mask = np.ones_like(ids)
        else:
            mask = _host_array(attention_mask, "attention_mask")
            if mask.shape != ids.shape:
                raise GenerationError(f"generate: attention_mask has shape {mask.shape}, input_ids {ids.shape}")
            if not np.isin(mask, (0, 1)).all():
                raise GenerationError("generate: attention_mask must hold only 0 and 1")
        vocab = getattr(self.model.config, "vocab_size", None)
        if vocab is not None and ((ids < 0) | (ids >= vocab)).any():
            raise GenerationError(f"generate: input_ids holds ids outside the vocabulary [0, {vocab})")
        return ids, mask

    def _check_streamer(self, batch: int) -> None:
        if self.streamer is None:
            return
        if not (hasattr(self.streamer, "put") and hasattr(self.streamer, "end")):
            raise GenerationError("generate: streamer must have put(ids) and end() (e.g. plugformers.TextStreamer)")
        if batch != 1 or self.beams or self.config.num_return_sequences != 1:
            raise GenerationError("generate: a streamer needs one sequence (batch 1, no beam search, "
                                  "num_return_sequences=1)")

    # -- the loop -----------------------------------------------------------------------------------------
    def run(self, input_ids: Any, attention_mask: Any):
        config, backend, ops = self.config, self.backend, self.ops
        ids, mask = self._prompt(input_ids, attention_mask)
        batch, prompt_length = ids.shape
        self._check_streamer(batch)
        eos = tuple(config.eos_token_ids)
        pad = config.pad_token_id if config.pad_token_id is not None else (eos[0] if eos else 0)
        max_new = config.max_new(prompt_length)
        if self.streamer is not None:
            self.streamer.put(backend.output(ids))
        if max_new == 0:
            return self._finish_empty(ids)

        expand = config.num_beams if self.beams else config.num_return_sequences
        ids, mask = np.repeat(ids, expand, axis=0), np.repeat(mask, expand, axis=0)
        rows = ids.shape[0]
        fixed = backend.fixed_shapes
        backend.use_cache = config.use_cache
        needed = prompt_length + max_new - 1  # cache slots: the last new token is never fed back
        buffer = (backend.cache_length(needed) if fixed else needed) + 1
        plan = decoding.DecodePlan(
            processors=build_logits_processors(config, prompt_length=prompt_length), do_sample=config.do_sample,
            eos_token_ids=eos, pad_token_id=pad, use_cache=config.use_cache, fixed_shapes=fixed,
            output_scores=config.output_scores and config.return_dict_in_generate, num_beams=config.num_beams,
            length_penalty=float(config.length_penalty), early_stopping=config.early_stopping,
        )
        fill = ((config.pad_token_id or eos[0]) if eos else -1) if self.beams else pad
        sequences = np.full((rows, buffer), fill, dtype=np.int64)
        sequences[:, :prompt_length] = ids
        counter = backend.counter if fixed else int
        state = {
            "sequences": backend.from_numpy(sequences), "cur_len": counter(prompt_length),
            "prompt_length": counter(prompt_length), "max_length": counter(prompt_length + max_new),
            "prompt_start": backend.from_numpy(mask.argmax(axis=1)), "rng": self.rng,
            "force_stop": backend.from_numpy(np.array(False)) if fixed else False,
        }
        if self.beams:
            state.update(self._beam_state(batch, sequences, backend))
        else:
            state["unfinished"] = backend.from_numpy(np.ones(rows, dtype=bool))

        if self.beams and self.stop_strings is not None:  # stop strings are checked between the halves of a step
            host_hits = self._host_hits(prompt_length)

            def first(state, input_ids, attention_mask):
                return decoding.beam_first(ops, plan, backend.forward, state, input_ids, attention_mask, host_hits)

            def step(state):
                return decoding.beam_step(ops, plan, backend.forward, state, host_hits)
        else:
            first = backend.compile_first(plan, decoding.beam_first if self.beams else decoding.greedy_first)
            step = backend.compile_step(plan, decoding.beam_step if self.beams else decoding.greedy_step)

        state, scores = first(state, backend.from_numpy(ids), backend.from_numpy(mask))
        all_scores = [scores] if scores is not None else []
        length = prompt_length + 1
        state = self._after_step(state, length)
        while length < prompt_length + max_new and not self._done(state):
            if self.max_time is not None and self.max_time.expired():
                if not self.beams:
                    break
                state["force_stop"] = backend.from_numpy(np.array(True)) if fixed else True
            state, scores = step(state)
            if scores is not None:
                all_scores.append(scores)
            length += 1
            state = self._after_step(state, length)
        if self.streamer is not None:
            self.streamer.end()
        return self._result(state, length, all_scores)

    def _beam_state(self, batch: int, sequences: np.ndarray, backend: GenerationBackend) -> dict:
        beams, buffer = self.config.num_beams, sequences.shape[1]
        running_scores = np.zeros((batch, beams), dtype=np.float32)
        running_scores[:, 1:] = decoding.LARGE_NEGATIVE
        return {
            "running_scores": backend.from_numpy(running_scores),
            "best_sequences": backend.from_numpy(sequences.reshape(batch, beams, buffer)),
            "best_scores": backend.from_numpy(np.full((batch, beams), decoding.LARGE_NEGATIVE, dtype=np.float32)),
            "best_lengths": backend.from_numpy(np.zeros((batch, beams), dtype=np.int64)),
            "finished": backend.from_numpy(np.zeros((batch, beams), dtype=bool)),
            "improvable": backend.from_numpy(np.ones((batch, 1), dtype=bool)),
            "done": backend.from_numpy(np.array(False)),
        }

    def _host_hits(self, prompt_length: int):
        """Stop strings for beam candidates (eager steps only)."""
        def hits(candidates):
            cur = self._length_for_hits
            array = self.ops.to_numpy(candidates)
            flat = array.reshape(-1, array.shape[-1])[:, :cur + 1]
            return self.ops.constant(self.stop_strings(flat).reshape(array.shape[:2]))
        self._length_for_hits = prompt_length
        return hits

    def _after_step(self, state: dict, length: int) -> dict:
        """Stream the new token, apply host-side stopping criteria."""
        self._length_for_hits = length
        if self.beams:
            return state
        if self.streamer is not None:
            self.streamer.put(self.backend.output(self.ops.to_numpy(state["sequences"])[:, length - 1]))
        if self.stop_strings is not None:
            stops = self.stop_strings(self.ops.to_numpy(state["sequences"])[:, :length])
            if stops.any():
                state = {**state, "unfinished": state["unfinished"] & self.backend.from_numpy(~stops)}
        return state

    def _done(self, state: dict) -> bool:
        if self.beams:
            return bool(self.ops.to_numpy(state["done"]))
        return not bool(self.ops.to_numpy(state["unfinished"]).any())

    # -- results ------------------------------------------------------------------------------------------
    def _finish_empty(self, ids: np.ndarray):
        if self.streamer is not None:
            self.streamer.end()
        ids = np.repeat(ids, self.config.num_return_sequences, axis=0)
        return self._wrap(ids, [], None)

    def _result(self, state: dict, length: int, all_scores: list):
        config, ops = self.config, self.ops
        if not self.beams:
            return self._wrap(ops.to_numpy(state["sequences"])[:, :length], all_scores, None)
        keep = config.num_return_sequences
        sequences = ops.to_numpy(state["best_sequences"])[:, :keep]
        lengths = ops.to_numpy(state["best_lengths"])[:, :keep]
        scores = ops.to_numpy(state["best_scores"])[:, :keep].reshape(-1)
        sequences = sequences.reshape(-1, sequences.shape[-1])[:, :max(int(lengths.max()), 0) or length]
        return self._wrap(sequences, all_scores, scores)

    def _wrap(self, sequences: np.ndarray, all_scores: list, sequences_scores: np.ndarray | None):
        output = self.backend.output(sequences)
        if not self.config.return_dict_in_generate:
            return output
        scores = tuple(all_scores) if self.config.output_scores else None
        if self.beams:
            seq_scores = self.backend.output_float(sequences_scores) if self.config.output_scores else None
            return GenerateBeamDecoderOnlyOutput(sequences=output, sequences_scores=seq_scores, scores=scores)
        return GenerateDecoderOnlyOutput(sequences=output, scores=scores)
