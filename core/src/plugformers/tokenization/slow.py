"""PreTrainedTokenizer: slow tokenizers in pure Python.

A subclass implements the algorithm: ``_tokenize`` (text -> tokens, called on the pieces of
text between added tokens), ``_convert_token_to_id``, ``_convert_id_to_token``,
``convert_tokens_to_string``, ``vocab_size``, ``get_vocab`` (the base vocabulary) and
``save_vocabulary``. Special tokens, added tokens, truncation windows, padding and the rest
come from here and from ``PreTrainedTokenizerBase``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import TokenizerError
from .added_token import AddedToken
from .added_tokens_splitter import AddedTokensSplitter
from .base import PreTrainedTokenizerBase
from .batch_encoding import BatchEncoding
from .padding import pad_rows
from .strategies import EncodePlan, TruncationStrategy
from .truncation import truncate_pair


class PreTrainedTokenizer(PreTrainedTokenizerBase):
    """Base class of the pure-Python tokenizers (see the module docstring)."""

    is_fast = False

    def __init__(self, **kwargs: Any) -> None:
        self._added_tokens_decoder: dict[int, AddedToken] = {}
        self._added_tokens_encoder: dict[str, int] = {}
        self._splitter: AddedTokensSplitter | None = None
        self._special_ids: frozenset[int] | None = None
        super().__init__(**kwargs)

    # ---- what the algorithm implements -----------------------------------------------------
    def _tokenize(self, text: str, **kwargs: Any) -> list[str]:
        """Tokens of a piece of text that holds no added token (``at_text_start`` says whether it
        begins the text)."""
        raise NotImplementedError

    def _convert_token_to_id(self, token: str) -> int:
        raise NotImplementedError

    def _convert_id_to_token(self, index: int) -> str:
        raise NotImplementedError

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        raise NotImplementedError

    def prepare_for_tokenization(self, text: str, is_split_into_words: bool = False, **kwargs: Any) -> str:
        """Hook run on each piece of text before ``_tokenize`` (e.g. adding a prefix space)."""
        return text

    def _vocab_id(self, token: str) -> int | None:
        """The id of ``token`` in the base vocabulary, or None."""
        return self.get_vocab().get(token)

    # ---- vocabulary ---------------------------------------------------------------------------
    def __len__(self) -> int:
        top = max(self._added_tokens_decoder, default=-1) + 1
        return max(self.vocab_size, top)

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        return dict(sorted(self._added_tokens_decoder.items()))

    def _add_tokens(self, tokens: list[AddedToken], special: bool) -> int:
        added = 0
        for token in tokens:
            if not token.content:
                raise TokenizerError("cannot add an empty token")
            if special and not token.special:
                token = token.with_special(True)
            if token.content in self._added_tokens_encoder:
                index = self._added_tokens_encoder[token.content]
                if token.special and not self._added_tokens_decoder[index].special:
                    self._added_tokens_decoder[index] = token
                continue
            index = self._vocab_id(token.content)
            if index is None:
                index = len(self)
                added += 1
            self._added_tokens_decoder[index] = token
            self._added_tokens_encoder[token.content] = index
        self._splitter = None
        self._special_ids = None
        return added

    def _register_special(self, token: AddedToken) -> None:
        self._add_tokens([token], special=True)

    def get_vocab(self) -> dict[str, int]:
        """Token -> id for the whole vocabulary, added tokens included (``self._added_tokens_encoder``)."""
        raise NotImplementedError

    # ---- tokens and ids --------------------------------------------------------------------------
    def tokenize(self, text: str, pair: str | None = None, add_special_tokens: bool = False,
                 is_split_into_words: bool = False, **kwargs: Any) -> list[str]:
        """Split ``text`` into tokens: added tokens are kept whole, the pieces between go to ``_tokenize``."""
        if not isinstance(text, str):
            raise TokenizerError(f"tokenize() takes a string, got {type(text).__name__}")
        if self._splitter is None:
            self._splitter = AddedTokensSplitter(self._added_tokens_decoder.values())
        tokens: list[str] = []
        for index, (piece, is_added) in enumerate(self._splitter.split(text)):
            if is_added:
                tokens.append(piece)
            else:
                piece = self.prepare_for_tokenization(piece, is_split_into_words=is_split_into_words, **kwargs)
                tokens.extend(self._tokenize(piece, at_text_start=index == 0))
        if add_special_tokens or pair is not None:
            second = self.tokenize(pair, is_split_into_words=is_split_into_words) if pair is not None else None
            if add_special_tokens:
                return self.convert_ids_to_tokens(self.build_inputs_with_special_tokens(
                    self.convert_tokens_to_ids(tokens), None if second is None else self.convert_tokens_to_ids(second)))
            return tokens + (second or [])
        return tokens

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> int | list[int]:
        if tokens is None:
            return None  # type: ignore[return-value]
        if isinstance(tokens, str):
            return self._token_to_id(tokens)
        return [self._token_to_id(t) for t in tokens]

    def _token_to_id(self, token: str) -> int:
        index = self._added_tokens_encoder.get(token)
        return index if index is not None else self._convert_token_to_id(token)

    def convert_ids_to_tokens(self, ids: int | Sequence[int], skip_special_tokens: bool = False) -> str | list[str]:
        if isinstance(ids, int):
            return self._id_to_token(ids)
        special = self._special_id_set() if skip_special_tokens else frozenset()
        return [self._id_to_token(int(i)) for i in ids if int(i) not in special]

    def _id_to_token(self, index: int) -> str:
        added = self._added_tokens_decoder.get(index)
        if added is not None:
            return added.content
        if not 0 <= index < self.vocab_size:
            raise TokenizerError(f"token id {index} is out of range: the vocabulary has {len(self)} ids")
        return self._convert_id_to_token(index)

    def _special_id_set(self) -> frozenset[int]:
        if self._special_ids is None:
            self._special_ids = frozenset(i for i, t in self._added_tokens_decoder.items() if t.special) | frozenset(
                i for i in self.all_special_ids if i is not None)
        return self._special_ids

    def _set_special_token(self, name: str, value: Any) -> None:
        super()._set_special_token(name, value)
        self._special_ids = None

    # ---- encoding ---------------------------------------------------------------------------------
    def _text_to_ids(self, text: Any, is_split_into_words: bool) -> list[int]:
        if is_split_into_words:
            tokens = [t for word in text for t in self.tokenize(word, is_split_into_words=True)]
        else:
            tokens = self.tokenize(text)
        return self.convert_tokens_to_ids(tokens)  # type: ignore[return-value]

    def _encode_batch(self, pairs: list[tuple[Any, Any]], *, is_split_into_words: bool,
                      add_special_tokens: bool, plan: EncodePlan, return_overflowing_tokens: bool,
                      return_offsets_mapping: bool, return_special_tokens_mask: bool,
                      return_attention_mask: bool) -> BatchEncoding:
        if return_offsets_mapping:
            raise TokenizerError(
                "return_offsets_mapping needs a fast tokenizer (PreTrainedTokenizerFast); "
                f"{type(self).__name__} is a slow, pure-Python one"
            )
        columns: dict[str, list[list[int]]] = {"input_ids": [], "token_type_ids": []}
        special_masks: list[list[int]] = []
        mapping: list[int] = []
        truncating = plan.truncation is not TruncationStrategy.DO_NOT_TRUNCATE and plan.max_length is not None
        for sample, (first, second) in enumerate(pairs):
            ids_a = self._text_to_ids(first, is_split_into_words)
            ids_b = None if second is None else self._text_to_ids(second, is_split_into_words)
            if truncating:
                budget = plan.max_length - (self.num_special_tokens_to_add(ids_b is not None) if add_special_tokens else 0)
                windows = truncate_pair(ids_a, ids_b, strategy=plan.truncation, budget=budget, stride=plan.stride,
                                        side=plan.truncation_side, overflow=return_overflowing_tokens)
            else:
                windows = [(ids_a, ids_b)]
            for a, b in windows:
                if add_special_tokens:
                    ids, types, special = self._apply_template(a, b)
                else:
                    ids = a + (b or [])
                    types = [0] * len(a) + [1] * len(b or [])
                    special = [0] * len(ids)
                columns["input_ids"].append(ids)
                columns["token_type_ids"].append(types)
                special_masks.append(special)
                mapping.append(sample)
        if return_special_tokens_mask:
            columns["special_tokens_mask"] = special_masks
        padded = pad_rows(columns, strategy=plan.padding, max_length=plan.max_length,
                          pad_to_multiple_of=plan.pad_to_multiple_of, padding_side=plan.padding_side,
                          pad_token_id=self.pad_token_id, pad_token_type_id=self.pad_token_type_id,
                          return_attention_mask=return_attention_mask)
        padded["overflow_to_sample_mapping"] = mapping
        return BatchEncoding(padded, n_sequences=2 if any(b is not None for _, b in pairs) else 1)

    # ---- decoding ----------------------------------------------------------------------------------
    def _decode(self, token_ids: list[int], skip_special_tokens: bool) -> str:
        tokens = self.convert_ids_to_tokens(token_ids, skip_special_tokens=skip_special_tokens)
        return self.convert_tokens_to_string(tokens)  # type: ignore[arg-type]

    # ---- saving -------------------------------------------------------------------------------------
    def _save_vocabulary_files(self, directory: Path, filename_prefix: str | None) -> tuple[str, ...]:
        return tuple(self.save_vocabulary(str(directory), filename_prefix=filename_prefix))
