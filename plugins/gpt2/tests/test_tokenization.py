"""GPT2Tokenizer (slow) and GPT2TokenizerFast on the real GPT-2 vocabulary, against Transformers."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugformers.errors import TokenizerError
from plugformers_gpt2.tokenization import GPT2Tokenizer

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures"  # beside the repository
GPT2_DIR = FIXTURES / "gpt2"
BOTCHAN = FIXTURES / "text" / "botchan.txt"

TEXTS = [
    "Hello world",
    " Hello world",
    "It's 2024, isn't it? They'll say we've done 3.14159 things!",
    "  leading spaces,\ttabs\nand\n\nnewlines   ",
    "Unicode: café, naïve, Ünïcödé, 日本語のテキスト, emoji 🤗🚀, Ελληνικά.",
    "special <|endoftext|> in the middle<|endoftext|>",
    "",
]


def _files() -> tuple[str, str]:
    if not GPT2_DIR.is_dir():
        pytest.skip(f"the GPT-2 vocabulary fixture is missing ({GPT2_DIR})")
    return str(GPT2_DIR / "vocab.json"), str(GPT2_DIR / "merges.txt")


def _corpus() -> list[str]:
    texts = list(TEXTS)
    if BOTCHAN.is_file():
        lines = [line for line in BOTCHAN.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts += lines[100:160]
    return texts


@pytest.fixture(scope="module")
def slow() -> GPT2Tokenizer:
    return GPT2Tokenizer(*_files())


@pytest.fixture(scope="module")
def fast():
    pytest.importorskip("tokenizers", reason="tokenizers not installed: pip install 'plugformers-gpt2[tokenizers]'")
    from plugformers_gpt2.tokenization_fast import GPT2TokenizerFast

    return GPT2TokenizerFast(*_files())


@pytest.fixture(scope="module")
def hf():
    transformers = pytest.importorskip("transformers", reason="Transformers (the tokenizer oracle) is not installed")
    _files()
    return transformers.GPT2Tokenizer.from_pretrained(str(GPT2_DIR))


def test_known_ids(slow, fast):
    for tokenizer in (slow, fast):
        assert tokenizer("Hello world")["input_ids"] == [15496, 995]
        assert tokenizer(" Hello world")["input_ids"] == [18435, 995]
        assert tokenizer.eos_token == tokenizer.bos_token == tokenizer.unk_token == "<|endoftext|>"
        assert tokenizer.eos_token_id == 50256
        assert tokenizer.decode([15496, 995]) == "Hello world"


@pytest.mark.oracle
def test_ids_and_decoding_match_transformers(slow, fast, hf):
    for text in _corpus():
        expected = hf(text)["input_ids"]
        assert slow(text)["input_ids"] == expected, text
        assert fast(text)["input_ids"] == expected, text
        assert slow.tokenize(text) == hf.tokenize(text), text
        assert slow.decode(expected) == fast.decode(expected) == hf.decode(expected), text


@pytest.mark.oracle
def test_left_padded_batch_matches_transformers(hf):
    """GPT-2 has no pad token: the usual recipe is pad = eos, padded on the left for generation."""
    from plugformers_gpt2.tokenization_fast import GPT2TokenizerFast

    texts = ["Hello world", "A much longer sentence, with punctuation."]
    hf_padded = type(hf).from_pretrained(str(GPT2_DIR), pad_token=hf.eos_token, padding_side="left")
    expected = hf_padded(texts, padding=True)
    for tokenizer in (GPT2Tokenizer(*_files()), GPT2TokenizerFast(*_files())):
        with pytest.raises(TokenizerError, match="pad_token"):
            tokenizer(texts, padding=True)
        tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"
        got = tokenizer(texts, padding=True)
        assert got["input_ids"] == expected["input_ids"]
        assert got["attention_mask"] == expected["attention_mask"]


def test_add_prefix_space(slow):
    spaced = GPT2Tokenizer(*_files(), add_prefix_space=True)
    assert spaced("Hello world")["input_ids"] == slow(" Hello world")["input_ids"] == [18435, 995]


def test_fast_matches_slow_on_the_corpus(slow, fast):
    for text in _corpus():
        assert fast(text)["input_ids"] == slow(text)["input_ids"], text


@pytest.mark.oracle
def test_saved_tokenizers_round_trip_with_transformers(tmp_path, slow, fast, hf):
    """We save, Transformers loads (and the other way round); ids agree everywhere."""
    transformers = pytest.importorskip("transformers")
    from plugformers_gpt2.tokenization_fast import GPT2TokenizerFast

    text = TEXTS[2] + " " + TEXTS[4]
    expected = hf(text)["input_ids"]
    slow.save_pretrained(tmp_path / "slow")
    fast.save_pretrained(tmp_path / "fast")
    for directory in ("slow", "fast"):
        assert transformers.AutoTokenizer.from_pretrained(str(tmp_path / directory))(text)["input_ids"] == expected
    hf.save_pretrained(tmp_path / "hf")  # Transformers 5 writes tokenizer.json (vocab.json only in 4.x)
    assert GPT2TokenizerFast.from_pretrained(tmp_path / "hf")(text)["input_ids"] == expected
    if (tmp_path / "hf" / "vocab.json").is_file():
        assert GPT2Tokenizer.from_pretrained(tmp_path / "hf")(text)["input_ids"] == expected
