"""``GPT2Tokenizer``: GPT-2's slow tokenizer, byte-level BPE over ``vocab.json`` + ``merges.txt``.

The algorithm is the SDK's :class:`~plugformers_sdk.tokenizers.bpe.ByteLevelBPETokenizer`; GPT-2
adds its special token ``<|endoftext|>`` (unknown, beginning and end of text alike) and adds no
special tokens around a sequence. Spaces belong to the following word, so ``"Hello world"`` and
``" Hello world"`` start differently unless ``add_prefix_space=True``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plugformers_sdk.tokenizers import ByteLevelBPETokenizer

ENDOFTEXT = "<|endoftext|>"


class GPT2Tokenizer(ByteLevelBPETokenizer):
    """GPT-2 byte-level BPE tokenizer (slow, pure Python)."""

    default_special_tokens: ClassVar[dict[str, Any]] = {
        "unk_token": ENDOFTEXT, "bos_token": ENDOFTEXT, "eos_token": ENDOFTEXT,
    }
    default_options: ClassVar[dict[str, Any]] = {"add_prefix_space": False, "errors": "replace"}
