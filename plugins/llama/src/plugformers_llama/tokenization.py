"""``LlamaTokenizer``: LLaMA's slow tokenizer, SentencePiece (BPE with byte fallback) over
``tokenizer.model``.

The algorithm is the SDK's :class:`~plugformers_sdk.tokenizers.SentencePieceTokenizer`; LLaMA
adds ``<s>`` in front of every sequence (``add_bos_token=True``) and no ``</s>``. Its special
tokens (``<unk>``, ``<s>``, ``</s>``) are the model file's own.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plugformers_sdk.tokenizers import SentencePieceTokenizer


class LlamaTokenizer(SentencePieceTokenizer):
    """LLaMA SentencePiece tokenizer (slow)."""

    default_options: ClassVar[dict[str, Any]] = {"add_bos_token": True, "add_eos_token": False, "legacy": True}
