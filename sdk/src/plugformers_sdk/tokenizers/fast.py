"""Fast counterparts of the slow algorithm classes: ``tokenizers``-backed, built from
``tokenizer.json`` or converted from the slow vocabulary files.

A fast class names its slow class and inherits what the slow class declares (vocabulary file
names, special-token defaults, options, templates, model input names), so an architecture's fast
tokenizer is two lines::

    class BertTokenizerFast(WordPieceTokenizerFast):
        slow_tokenizer_class = BertTokenizer
"""

from __future__ import annotations

from typing import Any, ClassVar

from plugformers.tokenization import PreTrainedTokenizerFast
from plugformers.tokenization.special_tokens import SPECIAL_TOKENS_ATTRIBUTES

from .bpe import ByteLevelBPETokenizer
from .converters import convert_slow_tokenizer
from .sentencepiece_tokenizer import SentencePieceTokenizer
from .wordpiece import WordPieceTokenizer

# What a fast class takes over from its slow class unless it sets it itself.
_INHERITED = ("vocab_files_names", "model_input_names", "default_special_tokens", "default_options",
              "single_template", "pair_template", "padding_side", "truncation_side")


class ConvertingTokenizerFast(PreTrainedTokenizerFast):
    """A fast tokenizer that can be built from its ``slow_tokenizer_class``'s vocabulary files."""

    slow_tokenizer_class: ClassVar[type | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        slow = cls.__dict__.get("slow_tokenizer_class")
        if slow is not None:
            for name in _INHERITED:
                if name not in cls.__dict__ and hasattr(slow, name):
                    setattr(cls, name, getattr(slow, name))

    def _build_backend(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        slow = self.slow_tokenizer_class(*args, **kwargs)
        for name in SPECIAL_TOKENS_ATTRIBUTES:  # e.g. SentencePiece's come from the .model
            if kwargs.get(name) is None and getattr(slow, name) is not None:
                kwargs[name] = slow.special_tokens_map_extended[name]
        self._converted_from = slow
        return convert_slow_tokenizer(slow)

    @classmethod
    def from_slow(cls, slow: Any, **kwargs: Any) -> PreTrainedTokenizerFast:
        """The fast tokenizer equivalent to an existing slow one."""
        init = {**slow.init_kwargs, **slow.special_tokens_map_extended, **kwargs}
        init.setdefault("model_max_length", slow.model_max_length)
        init.setdefault("padding_side", slow.padding_side)
        init.setdefault("truncation_side", slow.truncation_side)
        init.setdefault("clean_up_tokenization_spaces", slow.clean_up_tokenization_spaces)
        init.setdefault("chat_template", slow.chat_template)
        return cls(tokenizer_object=convert_slow_tokenizer(slow), **init)


class WordPieceTokenizerFast(ConvertingTokenizerFast):
    """Fast WordPiece (BERT-style)."""

    slow_tokenizer_class = WordPieceTokenizer


class ByteLevelBPETokenizerFast(ConvertingTokenizerFast):
    """Fast byte-level BPE (GPT-2-style)."""

    slow_tokenizer_class = ByteLevelBPETokenizer


class SentencePieceTokenizerFast(ConvertingTokenizerFast):
    """Fast SentencePiece (unigram or BPE)."""

    slow_tokenizer_class = SentencePieceTokenizer
