"""BatchEncoding: what a tokenizer call returns (a dict with attribute access and alignment helpers)."""

from __future__ import annotations

from typing import Any

from ..errors import TokenizerError
from ..frameworks import convert_to_tensors


class BatchEncoding(dict):
    """``{"input_ids": ..., "attention_mask": ...}`` plus, for fast tokenizers, the token alignment.

    Keys read as attributes (``enc.input_ids``). ``enc[0]`` is the ``tokenizers.Encoding`` of the
    first row (fast tokenizers only). ``word_ids``, ``tokens``, ``char_to_token`` ... need a fast
    tokenizer, as in Transformers.
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        encodings: list[Any] | None = None,
        tensor_type: str | None = None,
        prepend_batch_axis: bool = False,
        n_sequences: int | None = None,
    ) -> None:
        super().__init__(data or {})
        self._encodings = encodings
        self._n_sequences = n_sequences
        if tensor_type is not None:
            self.convert_to_tensors(tensor_type, prepend_batch_axis=prepend_batch_axis)

    # ---- dict with attributes -------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_encodings", "_n_sequences"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no key {name!r}") from None

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return super().__getitem__(item)
        if isinstance(item, int):
            return self._require_encodings("enc[int]")[item]
        if isinstance(item, slice):
            return {key: value[item] for key, value in self.items()}
        raise KeyError(item)

    def __getstate__(self) -> dict[str, Any]:
        return {"data": dict(self), "encodings": self._encodings, "n_sequences": self._n_sequences}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.update(state["data"])
        self._encodings = state["encodings"]
        self._n_sequences = state["n_sequences"]

    @property
    def data(self) -> dict[str, Any]:
        return dict(self)

    @property
    def encodings(self) -> list[Any] | None:
        return self._encodings

    @property
    def is_fast(self) -> bool:
        return self._encodings is not None

    @property
    def n_sequences(self) -> int | None:
        return self._n_sequences

    # ---- alignment (fast only) ------------------------------------------------------------
    def _require_encodings(self, what: str) -> list[Any]:
        if self._encodings is None:
            raise TokenizerError(f"{what} needs a fast tokenizer (PreTrainedTokenizerFast); this output came from a slow one")
        return self._encodings

    def tokens(self, batch_index: int = 0) -> list[str]:
        return self._require_encodings("tokens()")[batch_index].tokens

    def word_ids(self, batch_index: int = 0) -> list[int | None]:
        return self._require_encodings("word_ids()")[batch_index].word_ids

    def sequence_ids(self, batch_index: int = 0) -> list[int | None]:
        return self._require_encodings("sequence_ids()")[batch_index].sequence_ids

    @staticmethod
    def _split(batch_or_index: int, index: int | None) -> tuple[int, int]:
        return (0, batch_or_index) if index is None else (batch_or_index, index)

    def token_to_word(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        batch, token = self._split(batch_or_token_index, token_index)
        return self._require_encodings("token_to_word()")[batch].token_to_word(token)

    def token_to_chars(self, batch_or_token_index: int, token_index: int | None = None) -> tuple[int, int] | None:
        batch, token = self._split(batch_or_token_index, token_index)
        return self._require_encodings("token_to_chars()")[batch].token_to_chars(token)

    def char_to_token(self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0) -> int | None:
        batch, char = self._split(batch_or_char_index, char_index)
        return self._require_encodings("char_to_token()")[batch].char_to_token(char, sequence_index)

    def char_to_word(self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0) -> int | None:
        batch, char = self._split(batch_or_char_index, char_index)
        return self._require_encodings("char_to_word()")[batch].char_to_word(char, sequence_index)

    def word_to_tokens(self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0) -> tuple[int, int] | None:
        batch, word = self._split(batch_or_word_index, word_index)
        return self._require_encodings("word_to_tokens()")[batch].word_to_tokens(word, sequence_index)

    # ---- tensors ----------------------------------------------------------------------------
    def convert_to_tensors(self, tensor_type: str | None = None, prepend_batch_axis: bool = False) -> BatchEncoding:
        """Turn every value into ``tensor_type`` tensors ("pt", "tf", "jax", "np"); rows must be equally long."""
        if tensor_type is None:
            return self
        import numpy as np

        for key, value in list(self.items()):
            if prepend_batch_axis:
                value = [value]
            if isinstance(value, (list, tuple)):
                lengths = {len(row) for row in value if isinstance(row, (list, tuple))}
                if len(lengths) > 1:
                    raise TokenizerError(
                        f"cannot make {tensor_type!r} tensors of {key!r}: the rows have different "
                        f"lengths {sorted(lengths)}; pass padding=True (and truncation=True) to get equal lengths"
                    )
                if any(v is None for row in value if isinstance(row, (list, tuple)) for v in row):
                    raise TokenizerError(f"cannot make tensors of {key!r}: it holds None values")
                array = np.asarray(value)
                if array.dtype.kind in "iub" or array.size == 0:
                    array = array.astype(np.int64)
                value = array
            try:
                self[key] = convert_to_tensors(value, tensor_type)
            except ValueError as error:
                raise TokenizerError(f"return_tensors={tensor_type!r}: {error}") from None
        return self

    def to(self, device: Any) -> BatchEncoding:
        """Move every torch tensor to ``device`` (PyTorch only); returns self."""
        for key, value in self.items():
            if hasattr(value, "to") and callable(value.to) and type(value).__module__.startswith("torch"):
                self[key] = value.to(device)
        return self
