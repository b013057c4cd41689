"""LlamaTokenizer (slow, SentencePiece) and LlamaTokenizerFast on a LLaMA-style SentencePiece BPE
model with byte fallback (trained here on the Botchan fixture): slow and fast agree, and agree with
Transformers' LlamaTokenizer on the same ``tokenizer.model``; BOS is added, EOS not."""

from __future__ import annotations

from pathlib import Path

import pytest

spm = pytest.importorskip("sentencepiece", reason="sentencepiece not installed: pip install 'plugformers-llama[tokenizers]'")
pytest.importorskip("tokenizers", reason="tokenizers not installed: pip install 'plugformers-llama[tokenizers]'")

from plugformers_llama.tokenization import LlamaTokenizer  # noqa: E402
from plugformers_llama.tokenization_fast import LlamaTokenizerFast  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures"
TEXTS = ["Hello world", "It's 2024: prices rose 12.5%!", "naïve café — 日本 ✓", "I was a good boy", "a"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("llama-spm")
    corpus = (FIXTURES / "text" / "botchan.txt").read_text(encoding="utf-8").splitlines()[:3000]
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_prefix=str(directory / "tokenizer"),
                                   model_type="bpe", vocab_size=600, byte_fallback=True, character_coverage=1.0,
                                   bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2)
    return directory


def test_slow_and_fast_agree_and_add_bos(model_dir):
    slow = LlamaTokenizer(vocab_file=str(model_dir / "tokenizer.model"))
    fast = LlamaTokenizerFast(vocab_file=str(model_dir / "tokenizer.model"))
    processor = spm.SentencePieceProcessor(model_file=str(model_dir / "tokenizer.model"))
    assert (slow.bos_token, slow.eos_token, slow.unk_token) == ("<s>", "</s>", "<unk>")
    for text in TEXTS:
        ids = slow(text)["input_ids"]
        assert ids == [1] + processor.encode(text), text
        assert fast(text)["input_ids"] == ids, text
        assert fast.decode(ids, skip_special_tokens=True) == slow.decode(ids, skip_special_tokens=True) == text


def test_from_pretrained_and_transformers_agree(model_dir, tmp_path):
    transformers = pytest.importorskip("transformers", reason="Transformers 5.x (the oracle) is not installed")
    theirs = transformers.LlamaTokenizer(vocab_file=str(model_dir / "tokenizer.model"))
    theirs.save_pretrained(tmp_path)
    ours = LlamaTokenizerFast.from_pretrained(tmp_path)
    for text in TEXTS:
        assert ours(text)["input_ids"] == theirs(text)["input_ids"], text
        assert ours.decode(ours(text)["input_ids"]) == theirs.decode(theirs(text)["input_ids"])
