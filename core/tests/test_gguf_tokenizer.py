"""Tokenizers built from GGUF tokenizer metadata: a SentencePiece-style ("llama") vocabulary
against the ``sentencepiece`` library and Transformers' GGUF tokenizer, a byte-level BPE ("gpt2")
vocabulary (the real GPT-2 one) against its reference ids; special tokens and chat template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("gguf", reason="the gguf package is not installed: pip install gguf")
pytest.importorskip("tokenizers", reason="tokenizers not installed: pip install 'plugformers[tokenizers]'")
from gguf_files import write_gguf  # noqa: E402

from plugformers.errors import TokenizerError  # noqa: E402
from plugformers.gguf import GGUFFile, load_gguf_tokenizer  # noqa: E402
from plugformers.tokenization import PreTrainedTokenizerFast  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
TEXTS = ["Hello world", "  leading spaces and\ttabs\nnew lines", "It's 2024: prices rose 12.5%!",
         "naïve café — ünïcödé ✓", "I was a good boy"]
TEMPLATE = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"


@pytest.fixture(scope="module")
def sentencepiece_gguf(tmp_path_factory):
    spm = pytest.importorskip("sentencepiece", reason="sentencepiece not installed: pip install 'plugformers[tokenizers]'")
    directory = tmp_path_factory.mktemp("spm")
    corpus = (FIXTURES / "text" / "botchan.txt").read_text(encoding="utf-8").splitlines()[:3000]
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_prefix=str(directory / "bpe"),
                                   model_type="bpe", vocab_size=600, byte_fallback=True, character_coverage=1.0,
                                   bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2,
                                   normalization_rule_name="identity", remove_extra_whitespaces=False)
    processor = spm.SentencePieceProcessor(model_file=str(directory / "bpe.model"))
    size = processor.get_piece_size()
    types = []
    for i in range(size):
        types.append(2 if processor.is_unknown(i) else 3 if processor.is_control(i) else 6 if processor.is_byte(i) else 1)
    metadata = {
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": [processor.id_to_piece(i) for i in range(size)],
        "tokenizer.ggml.scores": [float(processor.get_score(i)) for i in range(size)],
        "tokenizer.ggml.token_type": types,
        "tokenizer.ggml.bos_token_id": 1, "tokenizer.ggml.eos_token_id": 2, "tokenizer.ggml.unknown_token_id": 0,
        "tokenizer.chat_template": TEMPLATE,
    }
    return write_gguf(directory / "spm.gguf", "llama", metadata), processor


def test_sentencepiece_vocabulary_matches_sentencepiece(sentencepiece_gguf):
    """The model is trained without normalisation (a GGUF carries no SentencePiece normaliser).
    Runs of spaces are left to the Transformers comparison: like Transformers' conversion, the
    fast BPE may merge across them where SentencePiece splits at every space."""
    path, processor = sentencepiece_gguf
    tokenizer = load_gguf_tokenizer(path)
    assert isinstance(tokenizer, PreTrainedTokenizerFast)
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.unk_token) == ("<s>", "</s>", "<unk>")
    for text in [t for t in TEXTS if "  " not in t] + ["tabs\tand\nnew lines", "a"]:
        ids = tokenizer(text)["input_ids"]
        assert ids == [1] + processor.encode(text), text  # BOS added by default for "llama" vocabularies
        assert tokenizer.decode(ids, skip_special_tokens=True) == processor.decode(processor.encode(text))


def test_sentencepiece_vocabulary_matches_transformers(sentencepiece_gguf):
    transformers = pytest.importorskip("transformers", reason="Transformers 5.x (the oracle) is not installed")
    path, _ = sentencepiece_gguf
    ours = load_gguf_tokenizer(path)
    theirs = transformers.AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    for text in TEXTS:
        assert ours(text)["input_ids"] == theirs(text)["input_ids"], text
    conversation = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ho"}]
    assert ours.apply_chat_template(conversation, tokenize=False) == theirs.apply_chat_template(conversation, tokenize=False)


def test_merges_derived_from_scores_match_merges_given(sentencepiece_gguf, tmp_path):
    """A vocabulary without merges gets them from token scores (SentencePiece's order)."""
    path, processor = sentencepiece_gguf
    from plugformers.gguf.tokenizer import sentencepiece_merges

    file = GGUFFile.open(path)
    merges = [" ".join(pair) for pair in sentencepiece_merges(file.get("tokenizer.ggml.tokens"),
                                                              file.get("tokenizer.ggml.scores"))]
    with_merges = write_gguf(tmp_path / "with_merges.gguf", "llama", {**file.metadata, "tokenizer.ggml.merges": merges})
    a, b = load_gguf_tokenizer(path), load_gguf_tokenizer(with_merges)
    for text in TEXTS:
        assert a(text)["input_ids"] == b(text)["input_ids"]


@pytest.fixture(scope="module")
def gpt2_gguf(tmp_path_factory):
    vocab = json.loads((FIXTURES / "gpt2" / "vocab.json").read_text(encoding="utf-8"))
    merges = [line for line in (FIXTURES / "gpt2" / "merges.txt").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#version")]
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    metadata = {"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": tokens, "tokenizer.ggml.merges": merges,
                "tokenizer.ggml.token_type": [3 if t == "<|endoftext|>" else 1 for t in tokens],
                "tokenizer.ggml.bos_token_id": 50256, "tokenizer.ggml.eos_token_id": 50256}
    return write_gguf(tmp_path_factory.mktemp("gpt2") / "gpt2.gguf", "gpt2", metadata)


def test_byte_level_vocabulary_gives_gpt2_ids(gpt2_gguf):
    tokenizer = load_gguf_tokenizer(gpt2_gguf)
    assert tokenizer("Hello world")["input_ids"] == [15496, 995]  # the fixture's documented ids
    reference = __import__("tokenizers").Tokenizer(__import__("tokenizers").models.BPE.from_file(
        str(FIXTURES / "gpt2" / "vocab.json"), str(FIXTURES / "gpt2" / "merges.txt")))
    reference.pre_tokenizer = __import__("tokenizers").pre_tokenizers.ByteLevel(add_prefix_space=False)
    for text in TEXTS + ["<|endoftext|>ends"]:
        ids = tokenizer(text)["input_ids"]
        if "<|endoftext|>" not in text:
            assert ids == reference.encode(text).ids, text
        assert tokenizer.decode(ids) == text
    assert tokenizer("<|endoftext|>ends")["input_ids"][0] == 50256  # control tokens match whole


def test_unsupported_tokenizer_model_names_file_and_model(tmp_path):
    path = write_gguf(tmp_path / "odd.gguf", "llama", {"tokenizer.ggml.model": "t5", "tokenizer.ggml.tokens": ["a"]})
    with pytest.raises(TokenizerError, match=r"odd\.gguf.*'t5' is not supported"):
        load_gguf_tokenizer(path)
