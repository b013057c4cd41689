"""PreTrainedTokenizerBase: the interface shared by slow (pure Python) and fast (``tokenizers``) tokenizers.

Everything that does not depend on how text becomes tokens lives here once: argument checking,
padding/truncation resolution, special-token templates, ``pad``, tensors, decoding entry points,
``save_pretrained``/``from_pretrained`` in Transformers' file formats, and chat templates.
Subclasses implement ``_encode_batch`` (ids for a batch of texts or pairs), ``_decode``, the
token/id conversions and ``_add_tokens``.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..errors import TokenizerError
from .added_token import AddedToken, as_added_token
from .batch_encoding import BatchEncoding
from .chat_template import cut_after_final_message, render_chat_template, select_chat_template
from .files import (
    ADDED_TOKENS_FILE,
    CHAT_TEMPLATE_FILE,
    SPECIAL_TOKENS_MAP_FILE,
    TOKENIZER_CONFIG_FILE,
    read_json,
    read_text,
    resolve_tokenizer_file,
    write_json,
    write_text,
)
from .padding import pad_rows
from .special_tokens import ADDITIONAL, SPECIAL_TOKENS_ATTRIBUTES, SpecialTokensMixin
from .special_tokens_template import TemplateItem, parse_template
from .strategies import VERY_LARGE_INTEGER, EncodePlan, PaddingStrategy, TruncationStrategy, resolve_plan
from .text_cleanup import clean_up_tokenization

logger = logging.getLogger("plugformers.tokenization")

HUB_KWARGS = ("revision", "token", "local_files_only", "cache_dir", "subfolder")

# tokenizer_config.json keys that are not constructor arguments.
_NOT_INIT_KEYS = frozenset({
    "tokenizer_class", "auto_map", "added_tokens_decoder", "name_or_path", "backend", "is_local",
    "local_files_only", "processor_class", "tokenizer_file", "special_tokens_map_file",
    "max_length", "stride", "truncation_strategy", "pad_to_multiple_of", "chat_template",
    "_commit_hash", "fast_tokenizer_files",
})
# Constructor keys the base class consumes itself.
_BASE_KEYS = ("model_max_length", "padding_side", "truncation_side", "clean_up_tokenization_spaces",
              "model_input_names", "pad_token_type_id", "chat_template", "name_or_path")


def _split_hub_kwargs(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        from ..hub import split_hub_kwargs  # type: ignore[attr-defined]
    except ImportError:
        hub = {k: kwargs[k] for k in HUB_KWARGS if k in kwargs}
        return hub, {k: v for k, v in kwargs.items() if k not in hub}
    return split_hub_kwargs(kwargs)


class PreTrainedTokenizerBase(SpecialTokensMixin):
    """What every tokenizer offers; see the module docstring for what subclasses add.

    Class attributes a subclass (an algorithm, or an architecture's tokenizer) sets:
    ``vocab_files_names`` (constructor argument -> file name, or a tuple of accepted names, the
    first being the one saved), ``model_input_names``, ``padding_side``, ``truncation_side``,
    ``single_template``/``pair_template`` (see ``special_tokens_template``),
    ``default_special_tokens`` and ``default_options``.
    """

    vocab_files_names: ClassVar[dict[str, str | tuple[str, ...]]] = {}
    model_input_names: ClassVar[list[str]] = ["input_ids", "token_type_ids", "attention_mask"]
    padding_side: str = "right"
    truncation_side: str = "right"
    single_template: ClassVar[str | None] = None
    pair_template: ClassVar[str | None] = None
    # Constructor defaults an architecture's tokenizer declares instead of re-writing __init__:
    # default_special_tokens = {"unk_token": "[UNK]", ...}; default_options = {"add_prefix_space": False}.
    default_special_tokens: ClassVar[dict[str, Any]] = {}
    default_options: ClassVar[dict[str, Any]] = {}
    is_fast: ClassVar[bool] = False

    def _with_class_defaults(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``kwargs`` completed with ``default_special_tokens`` and ``default_options``."""
        return {**self.default_special_tokens, **self.default_options, **kwargs}

    def __init__(self, **kwargs: Any) -> None:
        kwargs = self._with_class_defaults(kwargs)
        added_tokens = {int(i): as_added_token(t, special=False, where="added_tokens_decoder")
                        for i, t in (kwargs.pop("added_tokens_decoder", None) or {}).items()}
        added_source = kwargs.pop("_added_tokens_source", "added_tokens_decoder")
        self._init_special_tokens(kwargs)
        self.name_or_path = str(kwargs.pop("name_or_path", ""))
        model_max_length = kwargs.pop("model_max_length", None)
        self.model_max_length = int(model_max_length) if model_max_length is not None else VERY_LARGE_INTEGER
        self.padding_side = kwargs.pop("padding_side", type(self).padding_side)
        self.truncation_side = kwargs.pop("truncation_side", type(self).truncation_side)
        for name, side in (("padding_side", self.padding_side), ("truncation_side", self.truncation_side)):
            if side not in ("left", "right"):
                raise TokenizerError(f"{name}={side!r} must be 'left' or 'right'")
        self.clean_up_tokenization_spaces = bool(kwargs.pop("clean_up_tokenization_spaces", False))
        self.pad_token_type_id = int(kwargs.pop("pad_token_type_id", 0))
        input_names = kwargs.pop("model_input_names", None)
        if input_names is not None:
            self.model_input_names = list(input_names)
        self.chat_template: str | dict[str, str] | None = kwargs.pop("chat_template", None)
        # Everything else is a subclass option (do_lower_case, add_prefix_space, ...): kept for saving.
        self.init_kwargs: dict[str, Any] = {
            k: v for k, v in kwargs.items()
            if k not in self.vocab_files_names and k not in ("tokenizer_file", "tokenizer_object")
        }
        self._warned_too_long = False
        # Saved added tokens first, so that each gets back its id, then the special tokens.
        self._restore_added_tokens(added_tokens or {}, added_source)
        for token in self.all_special_tokens_extended:
            self._register_special(token)

    # ---- to implement ------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def get_vocab(self) -> dict[str, int]:
        raise NotImplementedError

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        raise NotImplementedError

    def get_added_vocab(self) -> dict[str, int]:
        return {token.content: index for index, token in sorted(self.added_tokens_decoder.items())}

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        return self.get_added_vocab()

    def tokenize(self, text: str, **kwargs: Any) -> list[str]:
        raise NotImplementedError

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> int | list[int]:
        raise NotImplementedError

    def convert_ids_to_tokens(self, ids: int | Sequence[int], skip_special_tokens: bool = False) -> str | list[str]:
        raise NotImplementedError

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        raise NotImplementedError

    def _add_tokens(self, tokens: list[AddedToken], special: bool) -> int:
        raise NotImplementedError

    def _register_special(self, token: AddedToken) -> None:
        """Make ``token`` known as special (split from text, skippable) without adding an id if it has one."""
        raise NotImplementedError

    def _encode_batch(self, pairs: list[tuple[Any, Any]], *, is_split_into_words: bool,
                      add_special_tokens: bool, plan: EncodePlan, return_overflowing_tokens: bool,
                      return_offsets_mapping: bool, return_special_tokens_mask: bool,
                      return_attention_mask: bool) -> BatchEncoding:
        raise NotImplementedError

    def _decode(self, token_ids: list[int], skip_special_tokens: bool) -> str:
        raise NotImplementedError

    def _save_vocabulary_files(self, directory: Path, filename_prefix: str | None) -> tuple[str, ...]:
        raise NotImplementedError

    # ---- special-token templates ---------------------------------------------------------------
    def special_tokens_template(self, pair: bool) -> list[TemplateItem]:
        """The parsed template for one sequence (``pair=False``) or two."""
        template = self.pair_template if pair else self.single_template
        if template is None:
            template = "$A $B:1" if pair else "$A"
        return parse_template(template, lambda name: getattr(self, name, None))

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        return sum(1 for item in self.special_tokens_template(pair) if item.kind == "token")

    def _apply_template(self, ids_0: list[int], ids_1: list[int] | None) -> tuple[list[int], list[int], list[int]]:
        """(input_ids, token_type_ids, special_tokens_mask) of a sequence or pair with its special tokens."""
        ids, types, special = [], [], []
        for item in self.special_tokens_template(ids_1 is not None):
            if item.kind == "seq":
                seq = ids_0 if item.value == 0 else (ids_1 or [])
                ids += seq
                types += [item.type_id] * len(seq)
                special += [0] * len(seq)
            else:
                ids.append(self.convert_tokens_to_ids(item.value))
                types.append(item.type_id)
                special.append(1)
        return ids, types, special

    def build_inputs_with_special_tokens(self, token_ids_0: list[int], token_ids_1: list[int] | None = None) -> list[int]:
        return self._apply_template(list(token_ids_0), None if token_ids_1 is None else list(token_ids_1))[0]

    def create_token_type_ids_from_sequences(self, token_ids_0: list[int], token_ids_1: list[int] | None = None) -> list[int]:
        return self._apply_template(list(token_ids_0), None if token_ids_1 is None else list(token_ids_1))[1]

    def get_special_tokens_mask(self, token_ids_0: list[int], token_ids_1: list[int] | None = None,
                                already_has_special_tokens: bool = False) -> list[int]:
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise TokenizerError("get_special_tokens_mask: pass one sequence when already_has_special_tokens=True")
            special = set(self.all_special_ids)
            return [1 if i in special else 0 for i in token_ids_0]
        return self._apply_template(list(token_ids_0), None if token_ids_1 is None else list(token_ids_1))[2]

    # ---- encoding -------------------------------------------------------------------------------
    def __call__(
        self,
        text: Any = None,
        text_pair: Any = None,
        add_special_tokens: bool = True,
        padding: bool | str | PaddingStrategy = False,
        truncation: bool | str | TruncationStrategy | None = None,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
        **kwargs: Any,
    ) -> BatchEncoding:
        """Tokenize a text, a pair, a batch of either, or pre-split words; see Transformers' docs for the arguments."""
        if kwargs:
            raise TokenizerError(f"unexpected argument(s) to the tokenizer call: {sorted(kwargs)}")
        if text is None:
            raise TokenizerError("the tokenizer needs text=... (a string, a list of strings, or pre-split words)")
        batched = _is_batched(text, is_split_into_words, "text")
        if text_pair is not None and _is_batched(text_pair, is_split_into_words, "text_pair") != batched:
            raise TokenizerError("text and text_pair must both be single inputs or both be batches")
        texts = list(text) if batched else [text]
        if text_pair is None:
            pairs = [(t, None) for t in texts]
        else:
            others = list(text_pair) if batched else [text_pair]
            if len(others) != len(texts):
                raise TokenizerError(f"text has {len(texts)} entries but text_pair has {len(others)}")
            pairs = list(zip(texts, others))
        return self._encode(
            pairs, batched=batched, add_special_tokens=add_special_tokens, padding=padding,
            truncation=truncation, max_length=max_length, stride=stride,
            is_split_into_words=is_split_into_words, pad_to_multiple_of=pad_to_multiple_of,
            padding_side=padding_side, return_tensors=return_tensors,
            return_token_type_ids=return_token_type_ids, return_attention_mask=return_attention_mask,
            return_overflowing_tokens=return_overflowing_tokens,
            return_special_tokens_mask=return_special_tokens_mask,
            return_offsets_mapping=return_offsets_mapping, return_length=return_length, verbose=verbose,
        )

    def _encode(self, pairs: list[tuple[Any, Any]], *, batched: bool, add_special_tokens: bool,
                padding: Any, truncation: Any, max_length: int | None, stride: int,
                is_split_into_words: bool, pad_to_multiple_of: int | None, padding_side: str | None,
                return_tensors: str | None, return_token_type_ids: bool | None,
                return_attention_mask: bool | None, return_overflowing_tokens: bool,
                return_special_tokens_mask: bool, return_offsets_mapping: bool, return_length: bool,
                verbose: bool) -> BatchEncoding:
        for a, b in pairs:
            _check_text(a, is_split_into_words, "text")
            if b is not None:
                _check_text(b, is_split_into_words, "text_pair")
        plan = resolve_plan(
            padding=padding, truncation=truncation, max_length=max_length, stride=stride,
            pad_to_multiple_of=pad_to_multiple_of, padding_side=padding_side or self.padding_side,
            truncation_side=self.truncation_side, model_max_length=self.model_max_length,
            has_pad_token=self.pad_token is not None,
        )
        if plan.truncation is not TruncationStrategy.DO_NOT_TRUNCATE and add_special_tokens and pairs:
            has_pair = any(b is not None for _, b in pairs)
            needed = self.num_special_tokens_to_add(pair=has_pair)
            if plan.max_length is not None and plan.max_length <= needed:
                raise TokenizerError(
                    f"max_length={plan.max_length} leaves no room for text: this tokenizer adds {needed} "
                    "special tokens"
                )
            single = self.num_special_tokens_to_add(pair=False)
            if plan.max_length is not None and plan.stride >= plan.max_length - single:
                raise TokenizerError(
                    f"stride={plan.stride} must be smaller than max_length={plan.max_length} minus the "
                    f"{single} special tokens"
                )
        want_mask = return_attention_mask if return_attention_mask is not None else "attention_mask" in self.model_input_names
        encoded = self._encode_batch(
            pairs, is_split_into_words=is_split_into_words, add_special_tokens=add_special_tokens,
            plan=plan, return_overflowing_tokens=return_overflowing_tokens,
            return_offsets_mapping=return_offsets_mapping,
            return_special_tokens_mask=return_special_tokens_mask, return_attention_mask=want_mask,
        )
        want_types = return_token_type_ids if return_token_type_ids is not None else "token_type_ids" in self.model_input_names
        if not want_types:
            encoded.pop("token_type_ids", None)
        if not want_mask:
            encoded.pop("attention_mask", None)
        if not return_overflowing_tokens:
            encoded.pop("overflow_to_sample_mapping", None)
        if return_length:
            encoded["length"] = [len(row) for row in encoded["input_ids"]]
        if verbose and plan.truncation is TruncationStrategy.DO_NOT_TRUNCATE:
            self._warn_if_too_long(encoded)
        if not batched and not return_overflowing_tokens and return_tensors is None:
            for key in list(encoded.keys()):
                encoded[key] = encoded[key][0]
        return encoded.convert_to_tensors(return_tensors)

    def _warn_if_too_long(self, encoded: BatchEncoding) -> None:
        if self._warned_too_long:
            return
        masks = encoded.get("attention_mask")
        rows = encoded["input_ids"]
        longest = max((sum(m) if masks is not None else len(r) for r, m in zip(rows, masks or rows)), default=0)
        if longest > self.model_max_length:
            self._warned_too_long = True
            logger.warning(
                "Token indices sequence length is longer than the specified maximum sequence length "
                "for this model (%d > %d). Running this sequence through the model will result in "
                "indexing errors; pass truncation=True to cut it.", longest, self.model_max_length,
            )

    def encode(self, text: Any, text_pair: Any = None, add_special_tokens: bool = True, **kwargs: Any) -> Any:
        """The ``input_ids`` of one text (or pair): a list of ints, or a tensor with ``return_tensors``."""
        return self(text, text_pair, add_special_tokens=add_special_tokens, **kwargs)["input_ids"]

    def encode_plus(self, text: Any, text_pair: Any = None, **kwargs: Any) -> BatchEncoding:
        return self(text, text_pair, **kwargs)

    def batch_encode_plus(self, batch_text_or_text_pairs: Sequence[Any], **kwargs: Any) -> BatchEncoding:
        """Transformers' older batch API: a list of texts or of (text, text_pair) tuples."""
        items = list(batch_text_or_text_pairs)
        if items and all(isinstance(x, tuple) and len(x) == 2 for x in items):
            return self([a for a, _ in items], [b for _, b in items], **kwargs)
        return self(items, **kwargs)

    def pad(self, encoded_inputs: Any, padding: bool | str | PaddingStrategy = True,
            max_length: int | None = None, pad_to_multiple_of: int | None = None,
            padding_side: str | None = None, return_attention_mask: bool | None = None,
            return_tensors: str | None = None, verbose: bool = True) -> BatchEncoding:
        """Pad already-encoded inputs: a dict of lists (one row or a batch) or a list of such dicts."""
        if isinstance(encoded_inputs, (list, tuple)) and encoded_inputs and isinstance(encoded_inputs[0], dict):
            keys = encoded_inputs[0].keys()
            encoded_inputs = {k: [_to_list(row[k]) for row in encoded_inputs] for k in keys}
        if not isinstance(encoded_inputs, dict) or "input_ids" not in encoded_inputs:
            raise TokenizerError("pad() expects a dict with 'input_ids' or a list of such dicts")
        data = {k: _to_list(v) for k, v in encoded_inputs.items()}
        single = bool(data["input_ids"]) and not isinstance(data["input_ids"][0], list)
        if single:
            data = {k: [v] for k, v in data.items()}
        plan = resolve_plan(
            padding=padding, truncation=False, max_length=max_length, stride=0,
            pad_to_multiple_of=pad_to_multiple_of, padding_side=padding_side or self.padding_side,
            truncation_side=self.truncation_side, model_max_length=self.model_max_length,
            has_pad_token=self.pad_token is not None,
        )
        want_mask = return_attention_mask if return_attention_mask is not None else "attention_mask" in self.model_input_names
        rows = pad_rows(data, strategy=plan.padding, max_length=plan.max_length,
                        pad_to_multiple_of=plan.pad_to_multiple_of, padding_side=plan.padding_side,
                        pad_token_id=self.pad_token_id, pad_token_type_id=self.pad_token_type_id,
                        return_attention_mask=want_mask)
        if single and return_tensors is None:
            rows = {k: v[0] for k, v in rows.items()}
        return BatchEncoding(rows, tensor_type=return_tensors)

    # ---- decoding -----------------------------------------------------------------------------
    def decode(self, token_ids: Any, skip_special_tokens: bool = False,
               clean_up_tokenization_spaces: bool | None = None, **kwargs: Any) -> str:
        """Turn ids (a list, an int, or a NumPy/torch/TF/JAX array) back into text."""
        ids = _to_list(token_ids)
        if isinstance(ids, int):
            ids = [ids]
        if ids and isinstance(ids[0], list):
            raise TokenizerError("decode() takes one sequence; use batch_decode() for a batch")
        text = self._decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)
        clean = self.clean_up_tokenization_spaces if clean_up_tokenization_spaces is None else clean_up_tokenization_spaces
        return clean_up_tokenization(text) if clean else text

    def batch_decode(self, sequences: Any, skip_special_tokens: bool = False,
                     clean_up_tokenization_spaces: bool | None = None, **kwargs: Any) -> list[str]:
        return [
            self.decode(seq, skip_special_tokens=skip_special_tokens,
                        clean_up_tokenization_spaces=clean_up_tokenization_spaces, **kwargs)
            for seq in _to_list(sequences)
        ]

    # ---- chat templates -----------------------------------------------------------------------
    def apply_chat_template(
        self,
        conversation: Any,
        chat_template: str | None = None,
        add_generation_prompt: bool = False,
        tokenize: bool = True,
        return_dict: bool = False,
        tools: list[Any] | None = None,
        documents: list[Any] | None = None,
        continue_final_message: bool = False,
        padding: bool | str = False,
        truncation: bool = False,
        max_length: int | None = None,
        return_tensors: str | None = None,
        **template_kwargs: Any,
    ) -> Any:
        """Render a conversation (list of {"role", "content"} dicts, or a batch of them) with the chat template.

        Returns the text (``tokenize=False``), the ids, or a BatchEncoding (``return_dict=True``).
        """
        if continue_final_message and add_generation_prompt:
            raise TokenizerError("continue_final_message and add_generation_prompt cannot both be True")
        template = select_chat_template(self.chat_template, chat_template, tools)
        batched = isinstance(conversation, (list, tuple)) and bool(conversation) and isinstance(conversation[0], (list, tuple))
        conversations = list(conversation) if batched else [conversation]
        special = {name: value for name, value in self.special_tokens_map.items() if name in SPECIAL_TOKENS_ATTRIBUTES}
        texts = []
        for chat in conversations:
            if hasattr(chat, "messages"):
                chat = chat.messages
            if not isinstance(chat, (list, tuple)) or not all(isinstance(m, dict) for m in chat):
                raise TokenizerError("apply_chat_template: conversation must be a list of message dicts")
            variables = {**special, **template_kwargs}
            rendered = render_chat_template(
                template, messages=list(chat), tools=tools, documents=documents,
                add_generation_prompt=add_generation_prompt, **variables,
            )
            if continue_final_message:
                rendered = cut_after_final_message(rendered, list(chat))
            texts.append(rendered)
        if not tokenize:
            return texts if batched else texts[0]
        encoded = self(texts if batched else texts[0], add_special_tokens=False, padding=padding,
                       truncation=truncation, max_length=max_length, return_tensors=return_tensors)
        return encoded if return_dict else encoded["input_ids"]

    # ---- saving and loading -----------------------------------------------------------------------
    def save_pretrained(self, save_directory: str | os.PathLike, filename_prefix: str | None = None,
                        **kwargs: Any) -> tuple[str, ...]:
        """Write tokenizer_config.json, special_tokens_map.json, added_tokens.json, the chat template and the vocabulary."""
        directory = Path(save_directory)
        if directory.exists() and not directory.is_dir():
            raise TokenizerError(f"save_pretrained: {directory} exists and is not a directory")
        directory.mkdir(parents=True, exist_ok=True)
        prefix = f"{filename_prefix}-" if filename_prefix else ""
        written: list[str] = []

        config: dict[str, Any] = copy.deepcopy({k: v for k, v in self.init_kwargs.items() if _jsonable(v)})
        # Special tokens as plain strings (their flags are in added_tokens_decoder), as Transformers writes them.
        for name, token in self._special.items():
            if token is not None:
                config[name] = token.content
        if self._additional:
            config[ADDITIONAL] = [t.content for t in self._additional]
        config["added_tokens_decoder"] = {
            str(index): token.to_dict() for index, token in sorted(self.added_tokens_decoder.items())
        }
        config["model_max_length"] = self.model_max_length
        config["padding_side"] = self.padding_side
        config["truncation_side"] = self.truncation_side
        config["clean_up_tokenization_spaces"] = self.clean_up_tokenization_spaces
        config["tokenizer_class"] = _saved_class_name(type(self))
        if type(self).model_input_names != self.model_input_names:
            config["model_input_names"] = self.model_input_names
        if isinstance(self.chat_template, dict):
            config["chat_template"] = [{"name": k, "template": v} for k, v in self.chat_template.items()]
        elif isinstance(self.chat_template, str):
            path = directory / f"{prefix}{CHAT_TEMPLATE_FILE}"
            write_text(path, self.chat_template)
            written.append(str(path))
        path = directory / f"{prefix}{TOKENIZER_CONFIG_FILE}"
        write_json(path, config)
        written.append(str(path))

        special_map = {name: _token_json(token) for name, token in self.special_tokens_map_extended.items()
                       if name != ADDITIONAL}
        if self._additional:
            special_map[ADDITIONAL] = [_token_json(t) for t in self._additional]
        path = directory / f"{prefix}{SPECIAL_TOKENS_MAP_FILE}"
        write_json(path, special_map)
        written.append(str(path))

        extra = {token.content: index for index, token in self.added_tokens_decoder.items() if index >= self.vocab_size}
        if extra:
            path = directory / f"{prefix}{ADDED_TOKENS_FILE}"
            write_json(path, extra)
            written.append(str(path))
        written.extend(self._save_vocabulary_files(directory, filename_prefix))
        return tuple(written)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *init_inputs: Any,
                        **kwargs: Any) -> PreTrainedTokenizerBase:
        """Load from a directory, a Hub id or a checkpoint-source name (Transformers' file layout)."""
        hub_kwargs, kwargs = _split_hub_kwargs(kwargs)
        reference = pretrained_model_name_or_path

        def find(filename: str) -> Path | None:
            return resolve_tokenizer_file(reference, filename, hub_kwargs)

        files: dict[str, Path | None] = {}
        for argument, names in cls._files_to_resolve().items():
            candidates = (names,) if isinstance(names, str) else tuple(names)
            files[argument] = next((p for p in map(find, candidates) if p is not None), None)

        config_path = find(TOKENIZER_CONFIG_FILE)
        config = read_json(config_path, TOKENIZER_CONFIG_FILE) if config_path else {}
        init_kwargs = {k: v for k, v in config.items() if k not in _NOT_INIT_KEYS}
        chat = config.get("chat_template")
        if isinstance(chat, list):
            try:
                chat = {entry["name"]: entry["template"] for entry in chat}
            except (TypeError, KeyError):
                raise TokenizerError(f"{config_path}: chat_template list entries need 'name' and 'template'") from None
        template_path = find(CHAT_TEMPLATE_FILE)
        if template_path is not None:
            chat = read_text(template_path, CHAT_TEMPLATE_FILE)
        if chat is not None:
            init_kwargs["chat_template"] = chat
        special_path = find(SPECIAL_TOKENS_MAP_FILE)
        if special_path is not None:
            for key, value in read_json(special_path, SPECIAL_TOKENS_MAP_FILE).items():
                if key in SPECIAL_TOKENS_ATTRIBUTES or key == ADDITIONAL:
                    init_kwargs[key] = value
        added: dict[int, AddedToken] = {}
        for index, value in (config.get("added_tokens_decoder") or {}).items():
            try:
                added[int(index)] = as_added_token(value, special=False, where=f"{config_path}: added_tokens_decoder")
            except ValueError:
                raise TokenizerError(f"{config_path}: added_tokens_decoder key {index!r} is not an integer id") from None
        added_path = find(ADDED_TOKENS_FILE)
        if added_path is not None:
            for content, index in read_json(added_path, ADDED_TOKENS_FILE).items():
                if not isinstance(index, int):
                    raise TokenizerError(f"{added_path}: the id of {content!r} must be an integer")
                added.setdefault(index, AddedToken(content))
        for name in SPECIAL_TOKENS_ATTRIBUTES:  # AddedToken dicts written by Transformers
            if isinstance(init_kwargs.get(name), dict):
                init_kwargs[name] = as_added_token(init_kwargs[name], special=True, where=f"{config_path}: {name}")
        init_kwargs.update(kwargs)
        init_kwargs.setdefault("name_or_path", str(reference))
        if added:
            init_kwargs["added_tokens_decoder"] = added
            init_kwargs["_added_tokens_source"] = str(config_path or added_path)
        return cls._from_resolved_files(files, init_inputs, init_kwargs, config_path)

    @classmethod
    def _files_to_resolve(cls) -> dict[str, str | tuple[str, ...]]:
        return dict(cls.vocab_files_names)

    @classmethod
    def _from_resolved_files(cls, files: dict[str, Path | None], init_inputs: tuple[Any, ...],
                             init_kwargs: dict[str, Any], config_path: Path | None) -> PreTrainedTokenizerBase:
        for argument, path in files.items():
            if path is None:
                names = cls.vocab_files_names[argument]
                raise TokenizerError(
                    f"{cls.__name__} needs the vocabulary file {names if isinstance(names, str) else ' or '.join(names)}, "
                    f"which {init_kwargs.get('name_or_path')!r} does not have"
                )
            init_kwargs[argument] = str(path)
        try:
            return cls(*init_inputs, **init_kwargs)
        except TypeError as error:
            where = config_path or "the arguments"
            raise TokenizerError(f"{cls.__name__} cannot be built from {where}: {error}") from None

    def _restore_added_tokens(self, added: dict[int, AddedToken], source: Path | None) -> None:
        """Re-add the saved added tokens so that each gets back its saved id."""
        for index, token in sorted(added.items()):
            current = self.convert_ids_to_tokens(index) if index < len(self) else None
            if current == token.content:
                if token.special:
                    self._register_special(token)
                elif token.content not in self.get_added_vocab():
                    self._add_tokens([token], special=False)
                continue
            if index != len(self):
                raise TokenizerError(
                    f"{source}: added token {token.content!r} has id {index}, but the vocabulary "
                    f"{'gives that id to ' + repr(current) if current is not None else f'has only {len(self)} ids'}"
                )
            self._add_tokens([token], special=token.special)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
                f"model_max_length={self.model_max_length}, is_fast={self.is_fast}, "
                f"padding_side={self.padding_side!r}, special_tokens={self.special_tokens_map})")


# ---- helpers ---------------------------------------------------------------------------------------
def _is_batched(value: Any, is_split_into_words: bool, name: str) -> bool:
    if isinstance(value, str):
        if is_split_into_words:
            raise TokenizerError(f"{name}: with is_split_into_words=True pass a list of words, not a string")
        return False
    if isinstance(value, (list, tuple)):
        if not is_split_into_words:
            return True
        return bool(value) and isinstance(value[0], (list, tuple))
    raise TokenizerError(
        f"{name} must be a string, a list of strings, or (with is_split_into_words=True) a list of "
        f"words or a list of such lists; got {type(value).__name__}"
    )


def _check_text(value: Any, is_split_into_words: bool, name: str) -> None:
    if is_split_into_words:
        if not isinstance(value, (list, tuple)) or not all(isinstance(w, str) for w in value):
            raise TokenizerError(f"{name}: with is_split_into_words=True each input must be a list of strings")
    elif not isinstance(value, str):
        raise TokenizerError(f"{name}: each input must be a string, got {type(value).__name__}")


def _to_list(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "numpy"):
        return value.numpy().tolist()
    if isinstance(value, tuple):
        return list(value)
    return value


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


def _token_json(token: AddedToken) -> Any:
    default = AddedToken(token.content, normalized=not token.special, special=token.special)
    if token == default:
        return token.content
    return {k: v for k, v in token.to_dict().items() if k != "special"}


def _saved_class_name(cls: type) -> str:
    """Transformers writes the slow class name (``BertTokenizer``) even for fast tokenizers."""
    name = cls.__name__
    return name[: -len("Fast")] if name.endswith("Fast") else name
