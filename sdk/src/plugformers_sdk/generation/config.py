"""``GenerationConfig``: decoding settings, read from and written to ``generation_config.json``.

Keys and defaults are Transformers'. Declared keys are type-checked (``GenerationError`` names
the key); unknown keys are kept for the round trip and never used. ``update(**kwargs)`` returns
the keyword arguments it did not recognise, so ``generate(**kwargs)`` can pass the rest to the
model.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from plugformers.errors import GenerationError

GENERATION_CONFIG_NAME = "generation_config.json"

_INT = (int,)
_NUM = (int, float)


@dataclass
class GenerationConfig:
    # length
    max_length: int = 20
    max_new_tokens: int | None = None
    min_length: int = 0
    min_new_tokens: int | None = None
    early_stopping: bool | str = False
    max_time: float | None = None
    stop_strings: str | list | None = None
    # strategy
    do_sample: bool = False
    num_beams: int = 1
    use_cache: bool = True
    # logits processing
    temperature: float = 1.0
    top_k: int | None = 50
    top_p: float = 1.0
    min_p: float | None = None
    repetition_penalty: float = 1.0
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    bad_words_ids: list | None = None
    forced_bos_token_id: int | None = None
    forced_eos_token_id: int | list | None = None
    suppress_tokens: list | None = None
    begin_suppress_tokens: list | None = None
    # output
    num_return_sequences: int = 1
    output_scores: bool = False
    return_dict_in_generate: bool = False
    # special tokens
    pad_token_id: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | list | None = None
    decoder_start_token_id: int | None = None
    # reproducibility (plugformers): a seed for sampling, per call (TensorFlow also takes its
    # stateless pair [a, b], as Transformers' TF generate did)
    seed: int | list | None = None
    _extra: dict = field(default_factory=dict, repr=False)

    _TYPES = {
        "max_length": _INT, "max_new_tokens": _INT, "min_length": _INT, "min_new_tokens": _INT,
        "early_stopping": (bool, str), "max_time": _NUM, "stop_strings": (str, list), "do_sample": (bool,),
        "num_beams": _INT, "use_cache": (bool,), "temperature": _NUM, "top_k": _INT, "top_p": _NUM, "min_p": _NUM,
        "repetition_penalty": _NUM, "length_penalty": _NUM, "no_repeat_ngram_size": _INT, "bad_words_ids": (list,),
        "forced_bos_token_id": _INT, "forced_eos_token_id": (int, list), "suppress_tokens": (list,),
        "begin_suppress_tokens": (list,), "num_return_sequences": _INT, "output_scores": (bool,),
        "return_dict_in_generate": (bool,), "pad_token_id": _INT, "bos_token_id": _INT, "eos_token_id": (int, list),
        "decoder_start_token_id": _INT, "seed": (int, list),
    }

    def __post_init__(self) -> None:
        self.validate()

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_") or key in type(self)._TYPES:
            object.__setattr__(self, key, value)
        else:
            self._extra[key] = value  # unknown keys are kept, never used

    def __getattr__(self, key: str) -> Any:
        extra = self.__dict__.get("_extra", {})
        if key in extra:
            return extra[key]
        raise AttributeError(f"GenerationConfig has no attribute {key!r}")

    def validate(self) -> None:
        for key, types in type(self)._TYPES.items():
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, bool) and bool not in types:
                raise GenerationError(f"generation config {key} must be {'/'.join(t.__name__ for t in types)}, got {value!r}")
            if not isinstance(value, types):
                raise GenerationError(f"generation config {key} must be {'/'.join(t.__name__ for t in types)}, got {value!r}")
        for key in ("max_length", "num_beams", "num_return_sequences"):
            if getattr(self, key) < 1:
                raise GenerationError(f"generation config {key} must be >= 1, got {getattr(self, key)}")
        if self.max_new_tokens is not None and self.max_new_tokens < 0:
            raise GenerationError(f"generation config max_new_tokens must be >= 0, got {self.max_new_tokens}")
        if self.temperature <= 0 and self.do_sample:
            raise GenerationError(f"generation config temperature must be > 0 when sampling, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise GenerationError(f"generation config top_p must be in (0, 1], got {self.top_p}")
        if self.min_p is not None and not 0 <= self.min_p <= 1:
            raise GenerationError(f"generation config min_p must be in [0, 1], got {self.min_p}")
        if self.top_k is not None and self.top_k < 0:
            raise GenerationError(f"generation config top_k must be >= 0, got {self.top_k}")
        if self.repetition_penalty <= 0:
            raise GenerationError(f"generation config repetition_penalty must be > 0, got {self.repetition_penalty}")
        if self.num_return_sequences > self.num_beams and not self.do_sample:
            raise GenerationError(
                f"generation config num_return_sequences ({self.num_return_sequences}) must be <= num_beams "
                f"({self.num_beams}) without sampling"
            )
        if self.early_stopping not in (True, False, "never"):
            raise GenerationError(f"generation config early_stopping must be true, false or 'never', got {self.early_stopping!r}")
        if isinstance(self.seed, list) and not (
            len(self.seed) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in self.seed)
        ):
            raise GenerationError(f"generation config seed must be an int or a pair [a, b] of ints, got {self.seed!r}")
        if self.bad_words_ids is not None and not all(
            isinstance(seq, list) and seq and all(isinstance(t, int) and t >= 0 for t in seq) for seq in self.bad_words_ids
        ):
            raise GenerationError("generation config bad_words_ids must be a list of non-empty lists of token ids")

    # -- convenience ----------------------------------------------------------------------
    @property
    def eos_token_ids(self) -> list[int]:
        eos = self.eos_token_id
        return [] if eos is None else [eos] if isinstance(eos, int) else list(eos)

    def max_new(self, prompt_length: int) -> int:
        """The number of tokens to generate after a prompt of ``prompt_length`` tokens."""
        if self.max_new_tokens is not None:
            return self.max_new_tokens
        return max(self.max_length - prompt_length, 0)

    def min_new(self, prompt_length: int) -> int:
        if self.min_new_tokens is not None:
            return self.min_new_tokens
        return max(self.min_length - prompt_length, 0)

    def update(self, **kwargs: Any) -> dict[str, Any]:
        """Set the known keys (validated); return the others."""
        unused = {}
        names = {f.name for f in fields(self)} - {"_extra"}
        for key, value in kwargs.items():
            if key in names:
                object.__setattr__(self, key, value)
            else:
                unused[key] = value
        self.validate()
        return unused

    def copy(self) -> GenerationConfig:
        return copy.deepcopy(self)

    # -- files ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self) if f.name != "_extra"}
        out.update(copy.deepcopy(self._extra))
        return out

    def to_diff_dict(self) -> dict[str, Any]:
        defaults = {f.name: (f.default if f.default is not MISSING else None) for f in fields(self)}
        return {k: v for k, v in self.to_dict().items() if k not in defaults or defaults[k] != v}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "generation config") -> GenerationConfig:
        if not isinstance(data, dict):
            raise GenerationError(f"{source}: must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in fields(cls)} - {"_extra"}
        known = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names}
        try:
            return cls(**known, _extra=extra)
        except GenerationError as err:
            raise GenerationError(f"{source}: {err}") from None

    @classmethod
    def from_model_config(cls, config: Any) -> GenerationConfig:
        """Defaults taken from a model config's special tokens (as Transformers does)."""
        keys = ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id")
        return cls(**{k: getattr(config, k, None) for k in keys})

    def save_pretrained(self, directory: str | os.PathLike) -> Path:
        from plugformers.checkpoint import atomic_write_text

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / GENERATION_CONFIG_NAME
        atomic_write_text(path, json.dumps(self.to_diff_dict(), indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def from_pretrained(cls, reference: str | os.PathLike, **hub_kwargs: Any) -> GenerationConfig:
        from plugformers.hub import resolve_file

        path = resolve_file(reference, GENERATION_CONFIG_NAME, **hub_kwargs)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise GenerationError(f"{path}: not a valid generation config ({err})") from None
        return cls.from_dict(data, source=str(path))
