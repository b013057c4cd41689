"""GGUF tokenizer metadata -> a ``tokenizers`` library tokenizer, wrapped as a plugformers
:class:`~plugformers.tokenization.PreTrainedTokenizerFast` (or a subclass) with the chat template.

Two vocabularies are understood (``tokenizer.ggml.model``):

- ``"gpt2"``: byte-level BPE. Tokens are spelled in the byte-to-unicode alphabet (a token that is
  not is re-spelled from its UTF-8 bytes); text is split with the GPT-2 pattern, or with the
  pattern ``tokenizer.ggml.pre`` names (LLaMA-3 style files).
- ``"llama"``: SentencePiece-style BPE with byte fallback. ``▁`` stands for a space and is prefixed
  to the text unless ``tokenizer.ggml.add_space_prefix`` is false; merges come from the file or,
  when it has none, from the vocabulary ordered by token score (SentencePiece's rule).

Token types mark the tokens matched whole in raw text: 3 (control) as special tokens, 4
(user-defined) as plain added tokens. ``tokenizer.ggml.{bos,eos,unknown,padding}_token_id`` give
the special tokens, ``add_bos_token``/``add_eos_token`` the post-processor (BOS is added by default
for ``"llama"`` vocabularies, as llama.cpp does), ``tokenizer.chat_template`` the chat template.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..errors import TokenizerError
from .file import GGUFFile

CONTROL, USER_DEFINED = 3, 4
SPIECE_UNDERLINE = "\u2581"

# tokenizer.ggml.pre -> the split pattern its merges were learned with (else GPT-2's).
_LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SPLIT_PATTERNS = {
    **dict.fromkeys(("llama3", "llama-v3", "llama-bpe", "smaug-bpe", "dbrx", "falcon3"), _LLAMA3_PATTERN),
    **dict.fromkeys(("qwen2", "deepseek-r1-qwen"), _QWEN2_PATTERN),
}


@lru_cache(maxsize=1)
def byte_alphabet() -> dict[int, str]:
    """GPT-2's byte -> printable character table (printable Latin-1 bytes map to themselves)."""
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in kept}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def _respell(token: str, alphabet: set[str], table: dict[int, str]) -> str:
    if set(token) <= alphabet:
        return token
    return "".join(table[b] for b in token.encode("utf-8"))


def sentencepiece_merges(tokens: list[str], scores: list[float] | None) -> list[tuple[str, str]]:
    """Merges implied by a SentencePiece vocabulary: every split of a token into two vocabulary
    pieces, best-scoring merged token first (ties: lower piece ids first)."""
    vocab = {token: index for index, token in enumerate(tokens)}
    score = (lambda t: scores[vocab[t]]) if scores else (lambda t: -vocab[t])
    found = []
    for merged in tokens:
        for cut in range(1, len(merged)):
            left, right = merged[:cut], merged[cut:]
            if left in vocab and right in vocab:
                found.append((-score(merged), vocab[left], vocab[right], left, right))
    found.sort()
    return [(left, right) for *_key, left, right in found]


def _special_token_ids(file: GGUFFile) -> dict[str, int]:
    names = {"bos_token": "bos_token_id", "eos_token": "eos_token_id", "unk_token": "unknown_token_id",
             "pad_token": "padding_token_id"}
    out = {}
    for name, key in names.items():
        value = file.get(f"tokenizer.ggml.{key}")
        if isinstance(value, int):
            out[name] = value
    return out


def build_backend_tokenizer(file: GGUFFile) -> Any:
    """The ``tokenizers.Tokenizer`` the file's tokenizer metadata describes."""
    from ..tokenization.fast import import_tokenizers

    tk = import_tokenizers()
    model_type = file.get("tokenizer.ggml.model")
    tokens = file.get("tokenizer.ggml.tokens")
    if not isinstance(tokens, list) or not tokens:
        raise TokenizerError(f"{file.path}: no tokenizer.ggml.tokens in the GGUF metadata")
    token_types = file.get("tokenizer.ggml.token_type") or []
    merges = file.get("tokenizer.ggml.merges")
    special_ids = _special_token_ids(file)
    add_bos = file.get("tokenizer.ggml.add_bos_token", model_type == "llama")
    add_eos = file.get("tokenizer.ggml.add_eos_token", False)

    if model_type == "gpt2":
        table = byte_alphabet()
        alphabet = set(table.values())
        spelled = [_respell(t, alphabet, table) for t in tokens]
        vocab = {token: index for index, token in enumerate(spelled)}
        pairs = [tuple(m.split(" ", 1)) for m in (merges or [])]
        backend = tk.Tokenizer(tk.models.BPE(vocab, pairs, continuing_subword_prefix="", end_of_word_suffix="",
                                             fuse_unk=False, byte_fallback=False))
        pattern = SPLIT_PATTERNS.get(file.get("tokenizer.ggml.pre"))
        if pattern is None:
            backend.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        else:
            backend.pre_tokenizer = tk.pre_tokenizers.Sequence([
                tk.pre_tokenizers.Split(tk.Regex(pattern), behavior="isolated"),
                tk.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ])
        backend.decoder = tk.decoders.ByteLevel()
        whole = [(t, k) for t, k in zip(tokens, token_types) if set(t) <= alphabet]  # others are mislabelled
    elif model_type == "llama":
        vocab = {token: index for index, token in enumerate(tokens)}
        pairs = ([tuple(m.split(" ", 1)) for m in merges] if merges
                 else sentencepiece_merges(tokens, file.get("tokenizer.ggml.scores")))
        unk = tokens[special_ids["unk_token"]] if "unk_token" in special_ids else None
        backend = tk.Tokenizer(tk.models.BPE(vocab, pairs, unk_token=unk, fuse_unk=True, byte_fallback=True))
        prefix = bool(file.get("tokenizer.ggml.add_space_prefix", True))
        backend.pre_tokenizer = tk.pre_tokenizers.Metaspace(
            replacement=SPIECE_UNDERLINE, prepend_scheme="first" if prefix else "never", split=False)
        steps = [tk.decoders.Replace(SPIECE_UNDERLINE, " "), tk.decoders.ByteFallback(), tk.decoders.Fuse()]
        if prefix:
            steps.append(tk.decoders.Strip(" ", 1, 0))
        backend.decoder = tk.decoders.Sequence(steps)
        whole = list(zip(tokens, token_types))
    else:
        raise TokenizerError(
            f"{file.path}: GGUF tokenizer model {model_type!r} is not supported (supported: 'gpt2', 'llama')"
        )

    control = [t for t, k in whole if k == CONTROL]
    user = [t for t, k in whole if k == USER_DEFINED]
    if control:
        backend.add_special_tokens([tk.AddedToken(t, normalized=False, special=True) for t in control])
    if user:
        backend.add_tokens([tk.AddedToken(t, normalized=False, special=False) for t in user])

    single, specials = ["$A"], []
    for flag, name in ((add_bos, "bos_token"), (add_eos, "eos_token")):
        if flag and name in special_ids:
            token = tokens[special_ids[name]]
            single = [token, *single] if name == "bos_token" else [*single, token]
            specials.append((token, special_ids[name]))
    pair = single + [("$B:1" if s == "$A" else f"{s}:1") for s in single]
    backend.post_processor = tk.processors.TemplateProcessing(
        single=" ".join(single), pair=" ".join(pair), special_tokens=sorted(set(specials), key=lambda p: p[1]))
    return backend


def gguf_tokenizer_kwargs(file: GGUFFile) -> dict[str, Any]:
    """The tokenizer's constructor arguments from the metadata: special tokens (the control
    tokens as ``additional_special_tokens``), ``add_bos_token``/``add_eos_token`` and the chat
    template."""
    tokens = file.get("tokenizer.ggml.tokens") or []
    kwargs: dict[str, Any] = {}
    for name, index in _special_token_ids(file).items():
        if not 0 <= index < len(tokens):
            raise TokenizerError(f"{file.path}: {name} id {index} is outside the {len(tokens)}-token vocabulary")
        kwargs[name] = tokens[index]
    model_type = file.get("tokenizer.ggml.model")
    kwargs["add_bos_token"] = bool(file.get("tokenizer.ggml.add_bos_token", model_type == "llama"))
    kwargs["add_eos_token"] = bool(file.get("tokenizer.ggml.add_eos_token", False))
    template = file.get("tokenizer.chat_template")
    if isinstance(template, str):
        kwargs["chat_template"] = template
    return kwargs


def load_gguf_tokenizer(path: Any, tokenizer_class: type | None = None, **overrides: Any) -> Any:
    """A fast tokenizer (``tokenizer_class``, default ``PreTrainedTokenizerFast``) for a GGUF file."""
    from ..tokenization import PreTrainedTokenizerFast

    file = path if isinstance(path, GGUFFile) else GGUFFile.open(path)
    kwargs = gguf_tokenizer_kwargs(file)
    kwargs.setdefault("name_or_path", str(file.path))
    kwargs.update(overrides)
    cls = tokenizer_class or PreTrainedTokenizerFast
    return cls(tokenizer_object=build_backend_tokenizer(file), **kwargs)
