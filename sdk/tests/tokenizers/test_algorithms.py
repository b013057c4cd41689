"""Behaviour of each algorithm that the corpus comparisons do not pin down on their own."""

from __future__ import annotations

import architectures as arch
import pytest
from conftest import BOTCHAN, GPT2_DIR, SPM_EN, corpus_lines, train_sentencepiece
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugformers_sdk.tokenizers.basic_tokenizer import BasicTokenizer
from plugformers_sdk.tokenizers.bpe import bpe_merge
from plugformers_sdk.tokenizers.byte_level import bytes_to_unicode
from plugformers_sdk.tokenizers.sentencepiece_model import BPE, CONTROL, UNIGRAM, parse_sentencepiece_model
from plugformers_sdk.tokenizers.wordpiece import wordpiece

# ---- WordPiece ---------------------------------------------------------------------------------


def test_basic_tokenizer_rules():
    basic = BasicTokenizer(do_lower_case=True)
    assert basic.tokenize(" \tHéLLo,\u00a0wörld!\x00\ufffd ") == ["hello", ",", "world", "!"]
    assert basic.tokenize("\u4e2d\u6587abc") == ["\u4e2d", "\u6587", "abc"]
    assert basic.tokenize("[MASK] x", never_split=["[MASK]"]) == ["[MASK]", "x"]
    assert BasicTokenizer(do_lower_case=False).tokenize("HéLLo") == ["HéLLo"]            # cased keeps accents
    assert BasicTokenizer(do_lower_case=True, strip_accents=False).tokenize("HéLLo") == ["héllo"]
    assert BasicTokenizer(do_lower_case=False, strip_accents=True).tokenize("HéLLo") == ["HeLLo"]
    assert BasicTokenizer(tokenize_chinese_chars=False).tokenize("\u4e2d\u6587") == ["\u4e2d\u6587"]
    assert BasicTokenizer().tokenize("a$b^c") == ["a", "$", "b", "^", "c"]  # ASCII symbols split like punctuation


def test_wordpiece_greedy_longest_match_and_unknown():
    vocab = {"un": 0, "##aff": 1, "##able": 2, "[UNK]": 3, "a": 4, "##a": 5}
    assert wordpiece("unaffable", vocab, "[UNK]") == ["un", "##aff", "##able"]
    assert wordpiece("unaffablez", vocab, "[UNK]") == ["[UNK]"]
    assert wordpiece("a" * 101, vocab, "[UNK]") == ["[UNK]"]
    assert wordpiece("a" * 100, vocab, "[UNK]") == ["a"] + ["##a"] * 99


def test_wordpiece_special_tokens_and_pairs(bert_slow, bert_fast):
    for tokenizer in (bert_slow, bert_fast):
        encoded = tokenizer("Hello [MASK] world", "Second")
        tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
        assert tokens == ["[CLS]", "hello", "[MASK]", "world", "[SEP]", "second", "[SEP]"]
        assert encoded["token_type_ids"] == [0, 0, 0, 0, 0, 1, 1]
        assert tokenizer.get_special_tokens_mask(encoded["input_ids"], already_has_special_tokens=True) == [1, 0, 1, 0, 1, 0, 1]
        assert tokenizer.decode(encoded["input_ids"], skip_special_tokens=True) == "hello world second"
        assert tokenizer.num_special_tokens_to_add(pair=True) == 3


# ---- byte-level BPE ---------------------------------------------------------------------------------


def test_bytes_to_unicode_is_a_printable_bijection():
    mapping = bytes_to_unicode()
    assert len(set(mapping.values())) == 256
    assert all(not c.isspace() and c.isprintable() for c in mapping.values())
    assert mapping[ord("A")] == "A" and mapping[ord(" ")] == "Ġ"


def test_bpe_merges_by_rank():
    ranks = {("l", "o"): 0, ("lo", "w"): 1, ("e", "r"): 2, ("low", "er"): 3}
    assert bpe_merge("lower", ranks) == ["lower"]
    assert bpe_merge("lowr", ranks) == ["low", "r"]
    assert bpe_merge("x", ranks) == ["x"]


def test_add_prefix_space_and_cache(tmp_path):
    plain = arch.GPT2LikeTokenizer(str(GPT2_DIR / "vocab.json"), str(GPT2_DIR / "merges.txt"))
    spaced = arch.GPT2LikeTokenizer(str(GPT2_DIR / "vocab.json"), str(GPT2_DIR / "merges.txt"), add_prefix_space=True)
    spaced_fast = arch.GPT2LikeTokenizerFast(str(GPT2_DIR / "vocab.json"), str(GPT2_DIR / "merges.txt"), add_prefix_space=True)
    assert plain.tokenize("Hello") == ["Hello"]
    assert spaced.tokenize("Hello") == ["ĠHello"] == spaced_fast.tokenize("Hello")
    assert spaced.tokenize(" Hello") == ["ĠHello"]
    assert spaced(["Hello", "world"], is_split_into_words=True)["input_ids"] == \
        spaced_fast(["Hello", "world"], is_split_into_words=True)["input_ids"] == [18435, 995]
    assert "Hello" in plain.cache


_ANY_TEXT = st.text(max_size=40)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=_ANY_TEXT)
def test_byte_level_round_trip(gpt2_slow, gpt2_fast, text):
    for tokenizer in (gpt2_slow, gpt2_fast):
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == text


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=_ANY_TEXT)
def test_any_unicode_never_crashes(bert_slow, bert_fast, t5_slow, t5_fast, roberta_slow, text):
    for tokenizer in (bert_slow, bert_fast, t5_slow, t5_fast, roberta_slow):
        ids = tokenizer(text, text, truncation=True, max_length=16)["input_ids"]
        assert len(ids) <= 16
        assert isinstance(tokenizer.decode(ids, skip_special_tokens=True), str)


# ---- SentencePiece -----------------------------------------------------------------------------------


def test_proto_parser_matches_the_protobuf_definition():
    pb = pytest.importorskip("sentencepiece.sentencepiece_model_pb2", reason="protobuf is needed for this cross-check")
    data = SPM_EN.read_bytes()
    reference = pb.ModelProto()
    reference.ParseFromString(data)
    ours = parse_sentencepiece_model(data)
    assert [(p.piece, pytest.approx(p.score), p.type) for p in ours.pieces] == \
        [(p.piece, p.score, p.type) for p in reference.pieces]
    assert ours.model_type == reference.trainer_spec.model_type == UNIGRAM
    assert ours.precompiled_charsmap == reference.normalizer_spec.precompiled_charsmap
    assert (ours.unk_id, ours.bos_id, ours.eos_id, ours.pad_id) == (
        reference.trainer_spec.unk_id, reference.trainer_spec.bos_id, reference.trainer_spec.eos_id,
        reference.trainer_spec.pad_id)
    assert ours.pieces[1].type == CONTROL


def test_special_tokens_come_from_the_model(t5_slow, llama_ja_slow):
    assert (t5_slow.unk_token, t5_slow.bos_token, t5_slow.eos_token, t5_slow.pad_token) == ("<unk>", "<s>", "</s>", None)
    assert llama_ja_slow("吾輩")["input_ids"][0] == llama_ja_slow.bos_token_id
    assert t5_slow("Hi")["input_ids"][-1] == t5_slow.eos_token_id


def test_legacy_and_non_legacy_prefix():
    legacy = arch.T5LikeTokenizer(str(SPM_EN), add_eos_token=False)
    modern = arch.LlamaLikeTokenizer(str(SPM_EN), add_bos_token=False)
    modern_fast = arch.LlamaLikeTokenizerFast(str(SPM_EN), add_bos_token=False)
    text = "<s>Hello"
    assert legacy.tokenize(text)[:2] == ["<s>", "▁He"]      # each piece of text gets the dummy prefix
    assert modern.tokenize(text)[:2] == ["<s>", "H"] == modern_fast.tokenize(text)[:2]
    assert modern.tokenize("Hello")[0] == "▁He"


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_trained_models_with_byte_fallback(tmp_path, model_type):
    lines = corpus_lines(BOTCHAN, 1500)
    data = train_sentencepiece(lines, vocab_size=400, model_type=model_type, byte_fallback=True)
    path = tmp_path / "tokenizer.model"
    path.write_bytes(data)
    assert parse_sentencepiece_model(data).model_type == (BPE if model_type == "bpe" else UNIGRAM)
    slow, fast = arch.LlamaLikeTokenizer(str(path)), arch.LlamaLikeTokenizerFast(str(path))
    texts = lines[1500 - 200:] + ["unseen \u4e2d\u6587 and \U0001f600"]
    assert slow(texts)["input_ids"] == fast(texts)["input_ids"]
    ids = slow("\u4e2d\U0001f600", add_special_tokens=False)["input_ids"]
    assert all(token.startswith("<0x") for token in slow.convert_ids_to_tokens(ids)[1:])
    assert slow.decode(ids) == fast.decode(ids) == "\u4e2d\U0001f600"
