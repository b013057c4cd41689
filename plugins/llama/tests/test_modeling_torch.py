"""LLaMA in PyTorch against Transformers 5.x (in-process, same weights, 1e-5), on tiny configs
covering grouped-query/multi-query heads, every rope scaling type and tied/untied embeddings;
plus decoding with past_key_values, padding, loading and saving both ways."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from llama_test_support import (  # noqa: E402
    CLASS_NAMES,
    HEADS,
    TINY,
    TOLERANCE,
    config_kwargs,
    make_inputs,
    randomise_torch,
    valid_positions,
)

from plugformers.errors import CheckpointError  # noqa: E402
from plugformers_llama import modeling_torch  # noqa: E402
from plugformers_llama.configuration import LlamaConfig  # noqa: E402


def _hf():
    return pytest.importorskip("transformers", reason="Transformers 5.x (the PyTorch oracle) is not installed")


def _tensors(inputs: dict) -> dict:
    return {k: torch.from_numpy(v) for k, v in inputs.items()}


@pytest.fixture(scope="module")
def hf_checkpoints(tmp_path_factory):
    """case -> head -> directory of a randomised Transformers checkpoint (built on first use)."""
    built: dict[tuple[str, str], object] = {}

    def get(case: str, head: str):
        key = (case, head)
        if key not in built:
            hf = _hf()
            config = hf.LlamaConfig(**config_kwargs(case, head))
            model = getattr(hf, CLASS_NAMES[head])(config).eval()
            randomise_torch(model, seed=len(built))
            if config.tie_word_embeddings and hasattr(model, "lm_head"):
                model.tie_weights()
            directory = tmp_path_factory.mktemp(f"{case}-{head}")
            model.save_pretrained(directory)
            built[key] = (directory, model)
        return built[key]

    return get


@pytest.mark.parametrize("case", list(TINY))
def test_causal_lm_matches_transformers(hf_checkpoints, case):
    directory, hf_model = hf_checkpoints(case, "causal-lm")
    ours = modeling_torch.LlamaForCausalLM.from_pretrained(directory)
    assert ours.load_report.ok and not ours.load_report.missing
    inputs = make_inputs(ours.config.vocab_size, padding="right")
    with torch.no_grad():
        expected = hf_model(**_tensors(inputs)).logits.numpy()
        got = ours(**_tensors(inputs)).logits.numpy()
    mask = inputs["attention_mask"]
    np.testing.assert_allclose(valid_positions(got, mask), valid_positions(expected, mask), atol=TOLERANCE, rtol=0)
    assert np.abs(expected).max() > 0.1  # the comparison is not between near-zero numbers


@pytest.mark.parametrize("head", [h for h in HEADS if h != "causal-lm"])
def test_other_heads_match_transformers(hf_checkpoints, head):
    case = "gqa-default-untied"
    directory, hf_model = hf_checkpoints(case, head)
    ours = getattr(modeling_torch, CLASS_NAMES[head]).from_pretrained(directory)
    assert ours.load_report.ok and not ours.load_report.missing and not ours.load_report.unexpected
    inputs = make_inputs(ours.config.vocab_size, padding="right")
    with torch.no_grad():
        expected, got = hf_model(**_tensors(inputs)), ours(**_tensors(inputs))
    for name in ("last_hidden_state", "logits", "start_logits", "end_logits"):
        if name in expected and expected[name] is not None:
            a, b = expected[name].numpy(), got[name].numpy()
            if a.ndim >= 2 and a.shape[:2] == inputs["attention_mask"].shape:
                a, b = valid_positions(a, inputs["attention_mask"]), valid_positions(b, inputs["attention_mask"])
            np.testing.assert_allclose(b, a, atol=TOLERANCE, rtol=0, err_msg=f"{head}: {name}")


def test_left_padding_with_explicit_positions_matches_transformers(hf_checkpoints):
    directory, hf_model = hf_checkpoints("gqa-llama3-tied", "causal-lm")
    ours = modeling_torch.LlamaForCausalLM.from_pretrained(directory)
    inputs = make_inputs(ours.config.vocab_size, padding="left")
    positions = np.clip(np.cumsum(inputs["attention_mask"], -1) - 1, 0, None)
    with torch.no_grad():
        expected = hf_model(**_tensors(inputs), position_ids=torch.from_numpy(positions)).logits.numpy()
        got = ours(**_tensors(inputs)).logits.numpy()  # positions counted from the mask by default
    mask = inputs["attention_mask"]
    np.testing.assert_allclose(valid_positions(got, mask), valid_positions(expected, mask), atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("case", ["gqa-default-untied", "gqa-llama3-tied", "mqa-yarn-bias-headdim"])
def test_decoding_with_past_key_values_matches_full_forward(hf_checkpoints, case):
    """Prefill then one token at a time, left-padded batch. (Not for dynamic rope: its cached keys
    keep the frequencies of the length they were computed at, in Transformers too.)"""
    directory, _ = hf_checkpoints(case, "causal-lm")
    model = modeling_torch.LlamaForCausalLM.from_pretrained(directory)
    inputs = make_inputs(model.config.vocab_size, batch=2, length=9, padding="left")
    ids, mask = _tensors(inputs)["input_ids"], _tensors(inputs)["attention_mask"]
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=mask).logits.numpy()
        step = model(input_ids=ids[:, :5], attention_mask=mask[:, :5], use_cache=True)
        pieces = [step.logits]
        past = step.past_key_values
        assert len(past) == model.config.num_hidden_layers
        assert past[0][0].shape == (2, model.config.num_key_value_heads, 5, model.config.head_dim)
        for t in range(5, 9):
            step = model(input_ids=ids[:, t:t + 1], attention_mask=mask[:, :t + 1], past_key_values=past,
                         use_cache=True)
            past = step.past_key_values
            pieces.append(step.logits)
    stepped = torch.cat(pieces, dim=1).numpy()
    np.testing.assert_allclose(valid_positions(stepped, inputs["attention_mask"]),
                               valid_positions(full, inputs["attention_mask"]), atol=TOLERANCE, rtol=0)


def test_transformers_loads_what_we_save(tmp_path):
    hf = _hf()
    config = LlamaConfig(**config_kwargs("gqa-llama3-tied"))
    ours = modeling_torch.LlamaForCausalLM.from_config(config, seed=3)
    randomise_torch(ours, seed=3)
    ours.tie_weights()
    ours.save_pretrained(tmp_path)
    theirs = hf.LlamaForCausalLM.from_pretrained(tmp_path).eval()
    assert theirs.config.rope_parameters["rope_type"] == "llama3"
    inputs = _tensors(make_inputs(config.vocab_size, padding="none"))
    with torch.no_grad():
        np.testing.assert_allclose(ours(**inputs).logits.numpy(), theirs(**inputs).logits.numpy(),
                                   atol=TOLERANCE, rtol=0)


def test_tied_head_shares_the_embedding_and_is_saved_once(tmp_path):
    config = LlamaConfig(**config_kwargs("mha-linear-tied"))
    model = modeling_torch.LlamaForCausalLM.from_config(config)
    assert model.lm_head.weight is model.model.embed_tokens.weight
    model.save_pretrained(tmp_path)
    from plugformers.checkpoint import CheckpointReader

    with CheckpointReader.open(tmp_path) as reader:
        assert "lm_head.weight" not in reader.keys() and "model.embed_tokens.weight" in reader.keys()


def test_untied_head_is_its_own_tensor():
    model = modeling_torch.LlamaForCausalLM.from_config(LlamaConfig(**config_kwargs("gqa-default-untied")))
    assert model.lm_head.weight is not model.model.embed_tokens.weight


def test_base_checkpoint_loads_into_head_and_reports_the_new_head(hf_checkpoints, caplog):
    directory, _ = hf_checkpoints("gqa-default-untied", "base")
    model = modeling_torch.LlamaForSequenceClassification.from_pretrained(directory)
    assert model.load_report.missing == ["score.weight"]


def test_mis_shaped_checkpoint_names_the_tensor(hf_checkpoints):
    directory, _ = hf_checkpoints("gqa-default-untied", "causal-lm")
    with pytest.raises(CheckpointError, match="embed_tokens"):
        modeling_torch.LlamaForCausalLM.from_pretrained(directory, vocab_size=50)


def test_sequence_classification_needs_a_pad_token_for_batches():
    config = LlamaConfig(**config_kwargs("gqa-default-untied", "sequence-classification"))
    config.pad_token_id = None
    model = modeling_torch.LlamaForSequenceClassification.from_config(config)
    with pytest.raises(ValueError, match="pad_token_id"):
        model(input_ids=torch.ones((2, 4), dtype=torch.long))


def test_training_losses_are_finite_and_backpropagate():
    config = LlamaConfig(**config_kwargs("gqa-default-untied", "sequence-classification"))
    inputs = _tensors(make_inputs(config.vocab_size, padding="right"))
    for head, extra in (("causal-lm", {"labels": inputs["input_ids"]}),
                        ("sequence-classification", {"labels": torch.tensor([0, 2, 1])}),
                        ("token-classification", {"labels": torch.zeros_like(inputs["input_ids"])}),
                        ("question-answering", {"start_positions": torch.tensor([1, 2, 3]),
                                                "end_positions": torch.tensor([2, 3, 4])})):
        model = getattr(modeling_torch, CLASS_NAMES[head]).from_config(config).train()
        loss = model(**inputs, **extra).loss
        assert torch.isfinite(loss)
        loss.backward()
        assert model.get_input_embeddings().weight.grad is not None, head


def test_forward_compiles_with_torch_export():
    config = LlamaConfig(**config_kwargs("gqa-default-untied"))
    model = modeling_torch.LlamaForCausalLM.from_config(config)
    inputs = _tensors(make_inputs(config.vocab_size, padding="right"))
    options = {"use_cache": False, "return_dict": False}  # tuples: ModelOutput is no torch pytree
    exported = torch.export.export(model, (), kwargs={**inputs, **options})
    with torch.no_grad():
        np.testing.assert_allclose(exported.module()(**inputs, **options)[0].numpy(),
                                   model(**inputs, **options)[0].numpy(), atol=TOLERANCE, rtol=0)
