"""Slow -> fast: build a ``tokenizers.Tokenizer`` that tokenizes exactly like a slow tokenizer.

- WordPiece -> ``models.WordPiece`` + ``BertNormalizer`` + ``BertPreTokenizer`` + ``WordPiece`` decoder.
- Byte-level BPE -> ``models.BPE`` + ``ByteLevel`` pre-tokenizer/decoder/offset trimming.
- SentencePiece unigram / BPE -> ``models.Unigram`` / ``models.BPE`` (merges rebuilt from the piece
  scores) with the model's precompiled normalizer, its whitespace rules, the dummy prefix ("▁"),
  a Metaspace split and byte fallback, read from the ``.model`` without protobuf.

The special tokens go in through a ``TemplateProcessing`` built from the slow tokenizer's own
special-token template, and its added/special tokens are added to the library's added vocabulary.
``tokenizers`` is imported when a conversion runs.
"""

from __future__ import annotations

from typing import Any

from plugformers.errors import TokenizerError
from plugformers.tokenization import PreTrainedTokenizer
from plugformers.tokenization.fast import import_tokenizers
from plugformers.tokenization.special_tokens_template import template_to_processing_strings

from .bpe import ByteLevelBPETokenizer
from .sentencepiece_model import BPE, NORMAL, UNIGRAM, USER_DEFINED, SentencePieceModel
from .sentencepiece_tokenizer import SPIECE_UNDERLINE, SentencePieceTokenizer
from .wordpiece import WordPieceTokenizer


def template_processor(slow: PreTrainedTokenizer) -> Any | None:
    """A ``TemplateProcessing`` doing what the slow tokenizer's special-token template does (None if it adds nothing)."""
    processors = import_tokenizers().processors
    single = slow.special_tokens_template(False)
    pair = slow.special_tokens_template(True)
    tokens = {item.value for item in single + pair if item.kind == "token"}
    if not tokens:
        return None
    return processors.TemplateProcessing(
        single=template_to_processing_strings(single),
        pair=template_to_processing_strings(pair),
        special_tokens=[(token, slow.convert_tokens_to_ids(token)) for token in sorted(tokens)],
    )


def _add_added_tokens(tokenizer: Any, slow: PreTrainedTokenizer) -> None:
    """Give the library the slow tokenizer's added tokens, in id order, special ones as special."""
    tokenizers = import_tokenizers()
    for index, token in sorted(slow.added_tokens_decoder.items()):
        library_token = tokenizers.AddedToken(
            token.content, single_word=token.single_word, lstrip=token.lstrip, rstrip=token.rstrip,
            normalized=token.normalized, special=token.special,
        )
        if token.special:
            tokenizer.add_special_tokens([library_token])
        else:
            tokenizer.add_tokens([library_token])
        got = tokenizer.token_to_id(token.content)
        if got != index:
            raise TokenizerError(
                f"converting {type(slow).__name__}: added token {token.content!r} has id {index} in the slow "
                f"tokenizer but {got} in the fast one (added-token ids must follow the vocabulary)"
            )


def convert_wordpiece(slow: WordPieceTokenizer) -> Any:
    tokenizers = import_tokenizers()
    models, normalizers, pre_tokenizers, decoders = (
        tokenizers.models, tokenizers.normalizers, tokenizers.pre_tokenizers, tokenizers.decoders)
    tokenizer = tokenizers.Tokenizer(models.WordPiece(
        vocab=slow.vocab, unk_token=str(slow.unk_token), continuing_subword_prefix=slow.wordpiece_prefix,
        max_input_chars_per_word=slow.max_input_chars_per_word,
    ))
    if slow.do_basic_tokenize:
        basic = slow.basic_tokenizer
        tokenizer.normalizer = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=basic.tokenize_chinese_chars,
            strip_accents=basic.strip_accents, lowercase=basic.do_lower_case,
        )
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.decoder = decoders.WordPiece(prefix=slow.wordpiece_prefix, cleanup=slow.wordpiece_cleanup)
    _finish(tokenizer, slow)
    return tokenizer


def convert_byte_level_bpe(slow: ByteLevelBPETokenizer) -> Any:
    tokenizers = import_tokenizers()
    models, pre_tokenizers, decoders, processors = (
        tokenizers.models, tokenizers.pre_tokenizers, tokenizers.decoders, tokenizers.processors)
    tokenizer = tokenizers.Tokenizer(models.BPE(
        vocab=slow.encoder, merges=list(slow.merges), dropout=None, continuing_subword_prefix="",
        end_of_word_suffix="", fuse_unk=False,
    ))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=slow.add_prefix_space, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trim = processors.ByteLevel(trim_offsets=bool(slow.init_kwargs.get("trim_offsets", True)))
    template = template_processor(slow)
    tokenizer.post_processor = trim if template is None else processors.Sequence([trim, template])
    _add_added_tokens(tokenizer, slow)
    return tokenizer


def sentencepiece_bpe_merges(info: SentencePieceModel) -> list[tuple[str, str]]:
    """BPE merges equivalent to a SentencePiece BPE model: every split of a piece into two pieces,
    most preferred (highest-scored, i.e. lowest id) result first."""
    vocab = {p.piece: i for i, p in enumerate(info.pieces) if p.type in (NORMAL, USER_DEFINED)}
    merges: list[tuple[int, int, int, str, str]] = []
    for piece, index in vocab.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                merges.append((index, vocab[left], vocab[right], left, right))
    merges.sort()
    return [(left, right) for _, _, _, left, right in merges]


def convert_sentencepiece(slow: SentencePieceTokenizer) -> Any:
    tokenizers = import_tokenizers()
    models, normalizers, pre_tokenizers, decoders = (
        tokenizers.models, tokenizers.normalizers, tokenizers.pre_tokenizers, tokenizers.decoders)
    info: SentencePieceModel = slow.model_info
    if info.treat_whitespace_as_suffix:
        raise TokenizerError("SentencePiece models with treat_whitespace_as_suffix cannot be converted to a fast tokenizer")
    if info.model_type == UNIGRAM:
        model = models.Unigram([(p.piece, p.score) for p in info.pieces], unk_id=info.unk_id,
                               byte_fallback=info.byte_fallback)
    elif info.model_type == BPE:
        vocab = {p.piece: i for i, p in enumerate(info.pieces)}
        model = models.BPE(vocab=vocab, merges=sentencepiece_bpe_merges(info), unk_token=info.pieces[info.unk_id].piece,
                           fuse_unk=True, byte_fallback=info.byte_fallback, dropout=None)
    else:
        raise TokenizerError(f"SentencePiece model type {info.model_type} (word/char) cannot be converted to a fast tokenizer")
    tokenizer = tokenizers.Tokenizer(model)

    steps = []
    if info.precompiled_charsmap:
        steps.append(normalizers.Precompiled(info.precompiled_charsmap))
    if info.remove_extra_whitespaces:
        steps += [normalizers.Replace(tokenizers.Regex(" {2,}"), " "),
                  normalizers.Replace(tokenizers.Regex(r"\A | \z"), "")]  # string (not line) anchors
    if info.escape_whitespaces:
        steps.append(normalizers.Replace(" ", SPIECE_UNDERLINE))
    if info.add_dummy_prefix and slow.legacy:
        steps.append(normalizers.Prepend(SPIECE_UNDERLINE))
    tokenizer.normalizer = normalizers.Sequence(steps) if steps else None

    # Splitting on "▁" is exact only if no piece has "▁" after its first character.
    split = not any(SPIECE_UNDERLINE in p.piece[1:] for p in info.pieces if p.type == NORMAL)
    scheme = "first" if info.add_dummy_prefix and not slow.legacy else "never"
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPIECE_UNDERLINE, prepend_scheme=scheme, split=split)
    if info.byte_fallback:
        chain = [decoders.Replace(SPIECE_UNDERLINE, " "), decoders.ByteFallback(), decoders.Fuse()]
        if info.add_dummy_prefix:
            chain.append(decoders.Strip(" ", 1, 0))
        tokenizer.decoder = decoders.Sequence(chain)
    else:
        tokenizer.decoder = decoders.Metaspace(
            replacement=SPIECE_UNDERLINE, prepend_scheme="always" if info.add_dummy_prefix else "never", split=True)
    user_defined = [p.piece for p in info.pieces if p.type == USER_DEFINED]
    if user_defined:
        tokenizer.add_tokens([tokenizers.AddedToken(p, normalized=False) for p in user_defined])
    _finish(tokenizer, slow)
    return tokenizer


def _finish(tokenizer: Any, slow: PreTrainedTokenizer) -> None:
    template = template_processor(slow)
    if template is not None:
        tokenizer.post_processor = template
    _add_added_tokens(tokenizer, slow)


# Converters by algorithm; a slow class is converted by the first entry it is an instance of.
CONVERTERS: list[tuple[type, Any]] = [
    (WordPieceTokenizer, convert_wordpiece),
    (ByteLevelBPETokenizer, convert_byte_level_bpe),
    (SentencePieceTokenizer, convert_sentencepiece),
]


def convert_slow_tokenizer(slow: PreTrainedTokenizer) -> Any:
    """A ``tokenizers.Tokenizer`` equivalent to ``slow`` (WordPiece, byte-level BPE or SentencePiece)."""
    for slow_class, converter in CONVERTERS:
        if isinstance(slow, slow_class):
            return converter(slow)
    raise TokenizerError(
        f"no converter to a fast tokenizer for {type(slow).__name__}; it must subclass "
        "WordPieceTokenizer, ByteLevelBPETokenizer or SentencePieceTokenizer"
    )


__all__ = ["CONVERTERS", "convert_slow_tokenizer", "sentencepiece_bpe_merges", "template_processor"]
