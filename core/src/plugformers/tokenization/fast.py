"""PreTrainedTokenizerFast: a tokenizer over a ``tokenizers.Tokenizer`` (the Rust library).

Built from a ``tokenizer.json`` (``tokenizer_file=``), from a ``tokenizers.Tokenizer``
(``tokenizer_object=``), or, in subclasses that know their algorithm, from the slow vocabulary
files (``_build_backend``; the SDK's fast tokenizers convert through
``plugformers_sdk.tokenizers.converters``). ``tokenizers`` is imported only when one is built.
Padding and truncation are handed to the library per call, with the same semantics as the slow
path (both follow the library's truncation windows).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..errors import MissingDependencyError, TokenizerError
from .added_token import AddedToken, as_added_token
from .base import PreTrainedTokenizerBase
from .batch_encoding import BatchEncoding
from .files import TOKENIZER_FILE, write_text
from .special_tokens_template import TemplateItem, template_from_post_processor
from .strategies import EncodePlan, PaddingStrategy, TruncationStrategy


def import_tokenizers() -> Any:
    """Import the ``tokenizers`` library, or say what to install."""
    try:
        import tokenizers
    except ImportError:
        raise MissingDependencyError(
            "fast tokenizers need the 'tokenizers' library: pip install 'plugformers[tokenizers]'"
        ) from None
    return tokenizers


def load_tokenizer_json(path: str | Path) -> Any:
    """A ``tokenizers.Tokenizer`` from ``tokenizer.json``; TokenizerError naming the file when it is bad."""
    tokenizers = import_tokenizers()
    path = Path(path)
    if not path.is_file():
        raise TokenizerError(f"{TOKENIZER_FILE} {path} does not exist")
    try:
        return tokenizers.Tokenizer.from_file(str(path))
    except Exception as error:  # the library raises plain Exception on parse errors
        raise TokenizerError(f"{TOKENIZER_FILE} {path} is not a valid tokenizers file: {error}") from None


def _is_panic(error: BaseException) -> bool:
    return type(error).__name__ == "PanicException"


class PreTrainedTokenizerFast(PreTrainedTokenizerBase):
    """A tokenizer whose work is done by ``tokenizers``; see the module docstring."""

    is_fast = True
    slow_tokenizer_class: ClassVar[type | None] = None

    def __init__(self, *args: Any, tokenizer_object: Any = None, tokenizer_file: str | None = None,
                 **kwargs: Any) -> None:
        self.vocab_files: dict[str, Path] = {}
        if tokenizer_object is not None:
            backend = import_tokenizers().Tokenizer.from_str(tokenizer_object.to_str())
        elif tokenizer_file is not None:
            backend = load_tokenizer_json(tokenizer_file)
        else:
            kwargs = self._with_class_defaults(kwargs)
            backend = self._build_backend(args, kwargs)
            self.vocab_files = {k: Path(kwargs[k]) for k in self.vocab_files_names if isinstance(kwargs.get(k), (str, Path))}
        backend.no_truncation()
        backend.no_padding()
        self._tokenizer = backend
        self._template_cache: dict[bool, list[TemplateItem]] = {}
        super().__init__(**kwargs)

    @classmethod
    def _files_to_resolve(cls) -> dict[str, str | tuple[str, ...]]:
        return {**cls.vocab_files_names, "tokenizer_file": TOKENIZER_FILE}

    @classmethod
    def _from_resolved_files(cls, files: dict[str, Path | None], init_inputs: tuple[Any, ...],
                             init_kwargs: dict[str, Any], config_path: Path | None) -> PreTrainedTokenizerBase:
        if files.get("tokenizer_file") is not None:
            init_kwargs["tokenizer_file"] = str(files["tokenizer_file"])
            for argument, path in files.items():
                if path is not None and argument != "tokenizer_file":
                    init_kwargs[argument] = str(path)
            try:
                return cls(*init_inputs, **init_kwargs)
            except TypeError as error:
                raise TokenizerError(f"{cls.__name__} cannot be built from {config_path}: {error}") from None
        vocab = {k: v for k, v in files.items() if k != "tokenizer_file"}
        if not vocab:
            raise TokenizerError(
                f"{cls.__name__} needs {TOKENIZER_FILE}, which {init_kwargs.get('name_or_path')!r} does not have"
            )
        missing = [cls.vocab_files_names[k] for k, v in vocab.items() if v is None]
        if missing:
            raise TokenizerError(
                f"{cls.__name__} needs {TOKENIZER_FILE} or the vocabulary file(s) {missing}, which "
                f"{init_kwargs.get('name_or_path')!r} does not have"
            )
        return super()._from_resolved_files(vocab, init_inputs, init_kwargs, config_path)

    def _build_backend(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Build the ``tokenizers.Tokenizer`` from vocabulary files (subclasses that know their algorithm).

        ``kwargs`` are the constructor arguments; an implementation may fill in defaults (special
        tokens read from the vocabulary) by updating it.
        """
        raise TokenizerError(
            f"{type(self).__name__} needs tokenizer_file=... (a tokenizer.json) or tokenizer_object=..."
        )

    @property
    def backend_tokenizer(self) -> Any:
        """The ``tokenizers.Tokenizer`` doing the work."""
        return self._tokenizer

    # ---- vocabulary ---------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def get_vocab(self) -> dict[str, int]:
        return self._tokenizer.get_vocab(with_added_tokens=True)

    @property
    def vocab(self) -> dict[str, int]:
        return self.get_vocab()

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        return {i: as_added_token(t, special=False) for i, t in sorted(self._tokenizer.get_added_tokens_decoder().items())}

    def _to_library_token(self, token: AddedToken) -> Any:
        return import_tokenizers().AddedToken(
            token.content, single_word=token.single_word, lstrip=token.lstrip, rstrip=token.rstrip,
            normalized=token.normalized, special=token.special,
        )

    def _add_tokens(self, tokens: list[AddedToken], special: bool) -> int:
        for token in tokens:
            if not token.content:
                raise TokenizerError("cannot add an empty token")
        library_tokens = [self._to_library_token(t.with_special(True) if special else t) for t in tokens]
        before = len(self)
        if special:
            self._tokenizer.add_special_tokens(library_tokens)
        else:
            self._tokenizer.add_tokens(library_tokens)
        self._template_cache.clear()
        return len(self) - before

    def _register_special(self, token: AddedToken) -> None:
        known = {t.content: t for t in self._tokenizer.get_added_tokens_decoder().values()}
        existing = known.get(token.content)
        if existing is not None and existing.special:
            return
        self._add_tokens([token], special=True)

    # ---- tokens and ids -----------------------------------------------------------------------------
    def tokenize(self, text: str, pair: str | None = None, add_special_tokens: bool = False,
                 **kwargs: Any) -> list[str]:
        if not isinstance(text, str):
            raise TokenizerError(f"tokenize() takes a string, got {type(text).__name__}")
        return self._tokenizer.encode(text, pair, add_special_tokens=add_special_tokens).tokens

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> int | list[int]:
        if tokens is None:
            return None  # type: ignore[return-value]
        if isinstance(tokens, str):
            return self._token_to_id(tokens)
        return [self._token_to_id(t) for t in tokens]

    def _token_to_id(self, token: str) -> int:
        index = self._tokenizer.token_to_id(token)
        if index is None:
            unk = self._special.get("unk_token")
            index = self._tokenizer.token_to_id(unk.content) if unk is not None else None
        return index

    def convert_ids_to_tokens(self, ids: int | Sequence[int], skip_special_tokens: bool = False) -> str | list[str]:
        if isinstance(ids, int):
            return self._id_to_token(ids)
        special = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._id_to_token(int(i)) for i in ids if int(i) not in special]

    def _id_to_token(self, index: int) -> str:
        token = self._tokenizer.id_to_token(index)
        if token is None:
            raise TokenizerError(f"token id {index} is out of range: the vocabulary has {len(self)} ids")
        return token

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        decoder = self._tokenizer.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    # ---- special-token templates -----------------------------------------------------------------------
    def special_tokens_template(self, pair: bool) -> list[TemplateItem]:
        """The class template when it declares one, else what the backend's post-processor does."""
        if self.single_template is not None:
            return super().special_tokens_template(pair)
        if pair not in self._template_cache:
            processor = json.loads(self._tokenizer.to_str()).get("post_processor")
            templates = template_from_post_processor(processor)
            if templates is None:
                raise TokenizerError(
                    f"{type(self).__name__}: cannot read the special-token layout of the "
                    f"{processor.get('type')!r} post-processor"
                )
            self._template_cache[False], self._template_cache[True] = templates
        return self._template_cache[pair]

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        return self._tokenizer.num_special_tokens_to_add(pair)

    # ---- encoding -----------------------------------------------------------------------------------
    def _configure(self, plan: EncodePlan) -> None:
        backend = self._tokenizer
        if plan.truncation is TruncationStrategy.DO_NOT_TRUNCATE or plan.max_length is None:
            if backend.truncation is not None:
                backend.no_truncation()
        else:
            target = {"max_length": plan.max_length, "stride": plan.stride,
                      "strategy": plan.truncation.value, "direction": plan.truncation_side}
            if backend.truncation != target:
                backend.enable_truncation(**target)
        if plan.padding is PaddingStrategy.DO_NOT_PAD:
            if backend.padding is not None:
                backend.no_padding()
        else:
            target = {
                "length": plan.max_length if plan.padding is PaddingStrategy.MAX_LENGTH else None,
                "pad_to_multiple_of": plan.pad_to_multiple_of, "pad_id": self.pad_token_id,
                "pad_token": self.pad_token, "pad_type_id": self.pad_token_type_id,
                "direction": plan.padding_side,
            }
            if backend.padding != target:
                backend.enable_padding(**target)

    def _encode_batch(self, pairs: list[tuple[Any, Any]], *, is_split_into_words: bool,
                      add_special_tokens: bool, plan: EncodePlan, return_overflowing_tokens: bool,
                      return_offsets_mapping: bool, return_special_tokens_mask: bool,
                      return_attention_mask: bool) -> BatchEncoding:
        try:
            self._configure(plan)
        except (ValueError, TypeError) as error:
            raise TokenizerError(f"invalid padding/truncation settings: {error}") from None
        inputs = [a if b is None else (a, b) for a, b in pairs]
        try:
            encodings = self._tokenizer.encode_batch(inputs, add_special_tokens=add_special_tokens,
                                                     is_pretokenized=is_split_into_words)
        except BaseException as error:
            if isinstance(error, Exception) or _is_panic(error):
                message = str(error).split("\n")[0]
                raise TokenizerError(f"the tokenizer could not encode the input: {message}") from None
            raise
        rows: list[Any] = []
        mapping: list[int] = []
        for sample, encoding in enumerate(encodings):
            group = [encoding] + (list(encoding.overflowing) if return_overflowing_tokens else [])
            rows.extend(group)
            mapping.extend([sample] * len(group))
        data: dict[str, Any] = {
            "input_ids": [e.ids for e in rows],
            "token_type_ids": [e.type_ids for e in rows],
        }
        if return_attention_mask:
            data["attention_mask"] = [e.attention_mask for e in rows]
        if return_special_tokens_mask:
            data["special_tokens_mask"] = [e.special_tokens_mask for e in rows]
        if return_offsets_mapping:
            data["offset_mapping"] = [e.offsets for e in rows]
        data["overflow_to_sample_mapping"] = mapping
        return BatchEncoding(data, encodings=rows, n_sequences=2 if any(b is not None for _, b in pairs) else 1)

    # ---- decoding -------------------------------------------------------------------------------------
    def _decode(self, token_ids: list[int], skip_special_tokens: bool) -> str:
        size = len(self)
        for index in token_ids:
            if not 0 <= index < size:
                raise TokenizerError(f"token id {index} is out of range: the vocabulary has {size} ids")
        return self._tokenizer.decode(token_ids, skip_special_tokens=skip_special_tokens)

    # ---- saving -------------------------------------------------------------------------------------------
    def _save_vocabulary_files(self, directory: Path, filename_prefix: str | None) -> tuple[str, ...]:
        prefix = f"{filename_prefix}-" if filename_prefix else ""
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        path = directory / f"{prefix}{TOKENIZER_FILE}"
        write_text(path, self._tokenizer.to_str(pretty=True))
        written = [str(path)]
        for argument, source in self.vocab_files.items():  # keep the slow files loadable too
            names = self.vocab_files_names[argument]
            target = directory / f"{prefix}{names if isinstance(names, str) else names[0]}"
            if source.is_file() and source.resolve() != target.resolve():
                shutil.copyfile(source, target)
                written.append(str(target))
        return tuple(written)
