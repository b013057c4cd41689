"""``LlamaTokenizerFast``: LLaMA's fast tokenizer (``tokenizers``), from ``tokenizer.json``,
converted from ``tokenizer.model``, or built from a GGUF file's metadata
(``LlamaTokenizerFast.from_pretrained(directory, gguf_file="model.gguf")``).
"""

from __future__ import annotations

import os
from typing import Any

from plugformers_sdk.tokenizers import SentencePieceTokenizerFast

from .tokenization import LlamaTokenizer


class LlamaTokenizerFast(SentencePieceTokenizerFast):
    """LLaMA tokenizer (fast); see the module docstring."""

    slow_tokenizer_class = LlamaTokenizer

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *init_inputs: Any,
                        gguf_file: str | os.PathLike | None = None, **kwargs: Any) -> Any:
        """As the base class; with ``gguf_file=`` the vocabulary, special tokens and chat template
        come from that GGUF file's metadata."""
        if gguf_file is None:
            return super().from_pretrained(pretrained_model_name_or_path, *init_inputs, **kwargs)
        from plugformers.gguf import load_gguf_tokenizer, resolve_gguf_file
        from plugformers.hub import split_hub_kwargs

        hub_kwargs, rest = split_hub_kwargs(kwargs)
        path = resolve_gguf_file(pretrained_model_name_or_path, gguf_file, **hub_kwargs)
        return load_gguf_tokenizer(path, cls, **rest)
