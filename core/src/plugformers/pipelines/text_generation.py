"""``text-generation``: continue a prompt, or answer chat messages, with the model's ``generate``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import PipelineError
from ..streamers import TextIteratorStreamer
from .base import Pipeline, to_numpy

GENERATE_KEYS = ("max_new_tokens", "min_new_tokens", "do_sample", "temperature", "top_k", "top_p", "min_p",
                 "repetition_penalty", "no_repeat_ngram_size", "num_beams", "num_return_sequences", "length_penalty",
                 "early_stopping", "eos_token_id", "bad_words_ids", "seed", "stop_strings", "max_time",
                 "generation_config", "streamer")


def is_chat(item: Any) -> bool:
    return isinstance(item, (list, tuple)) and bool(item) and all(isinstance(m, dict) and "role" in m for m in item)


class TextGenerationPipeline(Pipeline):
    task = "text-generation"

    def is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, str) or is_chat(inputs)

    def prompt_text(self, item: Any) -> str:
        if is_chat(item):
            return self.tokenizer.apply_chat_template(list(item), tokenize=False, add_generation_prompt=True)
        return self.check_text(item)

    def __call__(self, inputs: Any, **params: Any) -> Any:
        if isinstance(inputs, (list, tuple)) and not inputs:
            raise PipelineError("text-generation: inputs is an empty list")
        return super().__call__(inputs, **params)

    def _run(self, items: list[Any], params: dict, batch_size: int) -> list[Any]:
        return [self._generate(item, params) for item in items]

    def _encode(self, item: Any) -> tuple[str, dict]:
        prompt = self.prompt_text(item)
        add_special = not is_chat(item)  # a rendered chat template already holds its special tokens
        encoded = self.tokenizer(prompt, add_special_tokens=add_special, return_tensors="np")
        return prompt, {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}

    def _generate(self, item: Any, params: dict) -> list[dict]:
        prompt, batch = self._encode(item)
        kwargs = {k: params[k] for k in GENERATE_KEYS if k in params}
        if "stop_strings" in kwargs:
            kwargs["tokenizer"] = self.tokenizer  # generate matches stop strings on decoded text
        with self._lock:
            sequences = to_numpy(self.model.generate(**self.model_inputs(batch), **kwargs))
        sequences = np.asarray(sequences)
        if sequences.ndim == 1:
            sequences = sequences[None]
        prompt_length = batch["input_ids"].shape[1]
        return_full_text = params.get("return_full_text", True)
        results = []
        for row in sequences:
            completion = self.tokenizer.decode(row[prompt_length:].tolist(), skip_special_tokens=True)
            if is_chat(item):
                text: Any = [*item, {"role": "assistant", "content": completion}] if return_full_text else completion
            else:
                text = prompt + completion if return_full_text else completion
            results.append({"generated_text": text})
        return results

    def stream(self, item: Any, **params: Any) -> Iterator[str]:
        """Yield the completion's text piece by piece while generation runs in a thread."""
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                self._generate(item, {**self.defaults, **params, "streamer": streamer})
            except BaseException as err:  # reported to the consumer below
                errors.append(err)
                streamer.on_text("", stream_end=True)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        yield from streamer
        thread.join()
        if errors:
            raise errors[0]
