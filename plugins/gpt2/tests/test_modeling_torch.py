"""GPT-2 in PyTorch against Transformers 5.x (in process), and our own decoding invariants."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install 'plugformers-gpt2[torch]'")

from gpt2_test_cases import (  # noqa: E402
    CONFIGS,
    HEADS,
    LENGTH,
    SCALED_CONFIG,
    assert_outputs_close,
    gpt2_config,
    make_inputs,
    oracle_reference,
    random_torch_model,
    randomise_torch,
)

from plugformers.errors import CheckpointError, ConfigError  # noqa: E402
from plugformers_gpt2 import modeling_torch  # noqa: E402

CASES = {**{name: values for name, values in CONFIGS.items()}, "scaled-h32-l2": SCALED_CONFIG}


def _transformers():
    return pytest.importorskip("transformers", reason="Transformers (the PyTorch oracle) is not installed")


def _hf_model(head: str, config_values: dict, seed: int):
    transformers = _transformers()
    torch.manual_seed(seed)
    config = transformers.GPT2Config(**config_values, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = getattr(transformers, HEADS[head])(config).eval()
    randomise_torch(model, seed)
    return model


def _torch_inputs(inputs: dict, *, head: str, hf: bool = False, with_positions: bool = True) -> dict:
    out = {k: torch.from_numpy(v) for k, v in inputs.items() if with_positions or k != "position_ids"}
    if hf and head == "double-heads" and "position_ids" in out:  # Transformers wants them flat there
        out["position_ids"] = out["position_ids"].reshape(-1, LENGTH)
    return out


@pytest.mark.oracle
@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("case", list(CASES))
def test_matches_transformers_on_a_padded_batch(tmp_path, case, head):
    """Transformers saves, we load; every head's outputs agree at real tokens (left and right
    padding), both with explicit position ids and with ours derived from the attention mask."""
    seed = sorted(CASES).index(case) * 10 + list(HEADS).index(head)
    reference = _hf_model(head, CASES[case], seed)
    reference.save_pretrained(tmp_path)
    ours = getattr(modeling_torch, HEADS[head]).from_pretrained(tmp_path)
    assert ours.load_report.ok, ours.load_report.describe()
    inputs = make_inputs(CASES[case], head, seed)
    with torch.no_grad():
        expected = reference(**_torch_inputs(inputs, head=head, hf=True))
        given = ours(**_torch_inputs(inputs, head=head))
        derived = ours(**_torch_inputs(inputs, head=head, with_positions=False))
    expected = {k: v for k, v in expected.items() if k != "past_key_values"}
    assert_outputs_close(given, expected, inputs["attention_mask"], head=head, what="position_ids given:")
    assert_outputs_close(derived, expected, inputs["attention_mask"], head=head, what="position_ids derived:")


@pytest.mark.oracle
@pytest.mark.parametrize("head", ["causal-lm", "double-heads", "sequence-classification", "token-classification"])
def test_losses_match_transformers(tmp_path, head):
    """Losses from labels (LM shift with -100 ignored, mc_labels, classification) equal Transformers'."""
    case = "gelu-h48-l3"
    reference = _hf_model(head, CASES[case], seed=5)
    reference.save_pretrained(tmp_path)
    ours = modeling_torch.__dict__[HEADS[head]].from_pretrained(tmp_path)
    inputs = _torch_inputs(make_inputs(CASES[case], head, seed=5), head=head)
    rng = np.random.default_rng(3)
    labels = {}
    if head in ("causal-lm", "double-heads"):
        lm = inputs["input_ids"].clone()
        mask = inputs["attention_mask"].reshape(lm.shape)
        lm[mask == 0] = -100
        lm[..., 1:][mask[..., :-1] == 0] = -100  # predicted from a padding position: meaningless
        labels["labels"] = lm
    if head == "double-heads":
        labels["mc_labels"] = torch.tensor([1, 0])
    if head == "sequence-classification":
        labels["labels"] = torch.from_numpy(rng.integers(0, 3, size=(3,)))
    if head == "token-classification":
        token_labels = torch.from_numpy(rng.integers(0, 3, size=(3, LENGTH)))
        labels["labels"] = token_labels.masked_fill(inputs["attention_mask"] == 0, -100)
    hf_inputs = dict(inputs)
    if head == "double-heads":
        hf_inputs["position_ids"] = inputs["position_ids"].reshape(-1, LENGTH)
    with torch.no_grad():
        expected = reference(**hf_inputs, **labels)
        actual = ours(**inputs, **labels)
    for name in ("loss", "mc_loss"):
        if getattr(expected, name, None) is not None:
            assert actual[name] is not None, name
            assert abs(float(actual[name]) - float(expected[name])) < 1e-5, name


@pytest.mark.oracle
@pytest.mark.parametrize("head", list(HEADS))
def test_our_checkpoints_load_in_transformers(tmp_path, head):
    """We save (tied lm_head once, canonical names), Transformers loads with nothing missing or
    unexpected, and the outputs agree."""
    transformers = _transformers()
    case = "gelu_new-h32-l2"
    ours = random_torch_model(head, gpt2_config(case), seed=11)
    ours.save_pretrained(tmp_path)
    reference, info = getattr(transformers, HEADS[head]).from_pretrained(tmp_path, output_loading_info=True)
    reference.eval()
    assert not any(info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys")), info
    inputs = make_inputs(CONFIGS[case], head, seed=11)
    with torch.no_grad():
        expected = reference(**_torch_inputs(inputs, head=head, hf=True))
        actual = ours(**_torch_inputs(inputs, head=head))
    expected = {k: v for k, v in expected.items() if k != "past_key_values"}
    assert_outputs_close(actual, expected, inputs["attention_mask"], head=head)


@pytest.mark.parametrize("case", list(CONFIGS))
def test_incremental_decoding_matches_full_forward(case):
    """Prefix with use_cache, then one token at a time with past_key_values and a growing mask
    (left padding included): the logits equal a full forward pass's."""
    model = random_torch_model("causal-lm", gpt2_config(case), seed=2)
    inputs = make_inputs(CONFIGS[case], "causal-lm", seed=2)
    ids = torch.from_numpy(inputs["input_ids"][:2])  # the full and the left-padded rows
    mask = torch.from_numpy(inputs["attention_mask"][:2])
    prefix = LENGTH - 3
    with torch.no_grad():
        full = model(ids, attention_mask=mask).logits
        step = model(ids[:, :prefix], attention_mask=mask[:, :prefix], use_cache=True)
        logits, past = [step.logits], step.past_key_values
        for t in range(prefix, LENGTH):
            step = model(ids[:, t:t + 1], attention_mask=mask[:, :t + 1], past_key_values=past, use_cache=True)
            logits.append(step.logits)
            past = step.past_key_values
    incremental = torch.cat(logits, dim=1)
    assert len(past) == model.config.n_layer
    assert past[0][0].shape == (2, model.config.n_head, LENGTH, model.config.head_dim)
    keep = mask.bool()
    assert torch.max(torch.abs(incremental - full)[keep]) < 1e-5


@pytest.mark.oracle
def test_greedy_generation_on_a_left_padded_batch_matches_transformers(tmp_path):
    """The SDK's generate() over our model gives Transformers' generate() tokens (positions from the
    attention mask, cache, left padding)."""
    transformers = _transformers()
    ours = random_torch_model("causal-lm", gpt2_config("gelu_new-h32-l2"), seed=3)
    if not callable(getattr(ours, "generate", None)):
        pytest.skip("the SDK's generate() is not available on PreTrainedModel")
    ours.save_pretrained(tmp_path)
    theirs = transformers.GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    inputs = make_inputs(CONFIGS["gelu_new-h32-l2"], "causal-lm", seed=3)
    ids = torch.from_numpy(inputs["input_ids"][:2])  # the full and the left-padded rows
    mask = torch.from_numpy(inputs["attention_mask"][:2])
    expected = theirs.generate(input_ids=ids, attention_mask=mask, max_new_tokens=6, do_sample=False,
                               pad_token_id=ours.config.pad_token_id)
    actual = ours.generate(input_ids=ids, attention_mask=mask, max_new_tokens=6, do_sample=False)
    assert torch.equal(torch.as_tensor(actual), expected)


@pytest.mark.oracle
def test_token_type_ids_and_inputs_embeds_match_transformers(tmp_path):
    """GPT-2 adds ``wte(token_type_ids)``; ``inputs_embeds`` replaces the token lookup."""
    reference = _hf_model("base", CONFIGS["gelu_new-h32-l2"], seed=12)
    reference.save_pretrained(tmp_path)
    ours = modeling_torch.GPT2Model.from_pretrained(tmp_path)
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    types = torch.tensor([[0, 0, 1, 1, 2]])
    with torch.no_grad():
        expected = reference(ids, token_type_ids=types).last_hidden_state
        assert torch.allclose(ours(ids, token_type_ids=types).last_hidden_state, expected, atol=1e-5)
        embeds = ours.wte(ids)
        assert torch.allclose(ours(inputs_embeds=embeds, token_type_ids=types).last_hidden_state, expected,
                              atol=1e-5)


def test_bfloat16_forward_stays_close_to_float32(tmp_path):
    model = random_torch_model("causal-lm", gpt2_config("gelu_new-h32-l2"), seed=13)
    model.save_pretrained(tmp_path)
    half = modeling_torch.GPT2LMHeadModel.from_pretrained(tmp_path, dtype="bfloat16")
    assert half.dtype == torch.bfloat16
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        error = (half(ids).logits.float() - model(ids).logits).abs().max()
    assert error < 0.1


def test_prepare_inputs_for_generation_keeps_only_new_tokens():
    model = random_torch_model("causal-lm", gpt2_config("gelu_new-h32-l2"), seed=4)
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        past = model(ids[:, :3], use_cache=True).past_key_values
    step = model.prepare_inputs_for_generation(ids, past_key_values=past, attention_mask=torch.ones_like(ids))
    assert step["input_ids"].tolist() == [[8]]
    with torch.no_grad():
        assert torch.allclose(model(**step).logits[:, -1], model(ids).logits[:, -1], atol=1e-5)


def test_sequence_classification_pools_the_last_real_token():
    """Left and right padding pool at the same token as the unpadded sequence does."""
    model = random_torch_model("sequence-classification", gpt2_config("gelu_new-h32-l2"), seed=6)
    tokens = [7, 8, 9, 10]
    ids = torch.tensor([tokens + [1, 1], [1, 1] + tokens])
    mask = (ids != 1).long()
    with torch.no_grad():
        alone = model(torch.tensor([tokens])).logits
        padded = model(ids, attention_mask=mask).logits
    assert torch.allclose(padded[0], alone[0], atol=1e-5)
    assert torch.allclose(padded[1], alone[0], atol=1e-5)


def test_sequence_classification_without_pad_token_refuses_batches():
    model = random_torch_model("sequence-classification", gpt2_config("gelu_new-h32-l2", pad_token_id=None))
    with pytest.raises(ConfigError, match="pad_token_id"):
        model(torch.tensor([[2, 3], [4, 5]]))
    assert model(torch.tensor([[2, 3]])).logits.shape == (1, 2)


def test_lm_head_is_tied_and_saved_once(tmp_path):
    model = random_torch_model("causal-lm", gpt2_config("gelu_new-h32-l2"))
    assert model.lm_head.weight is model.transformer.wte.weight
    model.save_pretrained(tmp_path)
    from plugformers.checkpoint import CheckpointReader

    with CheckpointReader.open(tmp_path) as reader:
        keys = set(reader.keys())
    assert "lm_head.weight" not in keys and "transformer.wte.weight" in keys
    assert "transformer.h.0.attn.c_attn.weight" in keys
    with CheckpointReader.open(tmp_path) as reader:
        assert reader.shape("transformer.h.0.attn.c_attn.weight") == (32, 96)  # Conv1D: [in, 3 * out]


def test_base_checkpoint_loads_into_a_head_and_legacy_buffers_are_ignored(tmp_path):
    """A base-model checkpoint (no ``transformer.`` prefix, with the old ``attn.bias`` causal-mask
    buffers) loads into the LM model; only nothing is reported missing, the buffers are ignored."""
    from plugformers.checkpoint import save_checkpoint

    base = random_torch_model("base", gpt2_config("gelu_new-h32-l2"), seed=8)
    tensors = {k: v.clone() for k, v in base.state_dict().items()}
    tensors["h.0.attn.bias"] = torch.tril(torch.ones(1, 1, 40, 40))
    tensors["h.0.attn.masked_bias"] = torch.tensor(-1e4)
    base.config.save_pretrained(tmp_path)
    save_checkpoint(tensors, tmp_path)
    lm = modeling_torch.GPT2LMHeadModel.from_pretrained(tmp_path)
    assert lm.load_report.ok, lm.load_report.describe()
    ids = torch.tensor([[3, 4, 5]])
    with torch.no_grad():
        assert torch.allclose(lm.transformer(ids).last_hidden_state, base(ids).last_hidden_state, atol=1e-6)


def test_mis_shaped_checkpoint_is_an_error_naming_the_tensor(tmp_path):
    random_torch_model("base", gpt2_config("gelu_new-h32-l2")).save_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match="wpe.weight"):
        modeling_torch.GPT2Model.from_pretrained(tmp_path, n_positions=50)


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="add_cross_attention"):
        modeling_torch.GPT2Model(gpt2_config("gelu_new-h32-l2", add_cross_attention=True))


def test_return_dict_false_gives_tuples_and_training_lowers_the_loss():
    model = random_torch_model("causal-lm", gpt2_config("gelu_new-h32-l2"), seed=9)
    ids = torch.tensor([[2, 3, 4, 5, 6, 7]])
    as_tuple = model(ids, labels=ids, return_dict=False, use_cache=False)
    assert isinstance(as_tuple, tuple) and as_tuple[0].ndim == 0 and as_tuple[1].shape == (1, 6, 99)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        loss = model(ids, labels=ids).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_torch_export_of_a_forward_pass():
    """torch.export traces the forward pass (tuple outputs: ModelOutput is not a torch pytree)."""
    model = random_torch_model("causal-lm", gpt2_config("gelu_new-h32-l2"), seed=10)
    ids = torch.tensor([[2, 3, 4, 5], [1, 1, 6, 7]])
    mask = (ids != 1).long()
    options = {"attention_mask": mask, "use_cache": False, "return_dict": False}
    exported = torch.export.export(model, (ids,), options)
    other = torch.tensor([[9, 8, 7, 6], [1, 5, 4, 3]])
    other_options = dict(options, attention_mask=(other != 1).long())
    with torch.no_grad():
        expected = model(other, **other_options)[0]
    actual = exported.module()(other, **other_options)[0]
    keep = other != 1
    assert torch.allclose(actual[keep], expected[keep], atol=1e-6)


@pytest.mark.oracle
@pytest.mark.parametrize("left_padded", [False, True], ids=["right-padded", "left-padded"])
@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("case", list(CONFIGS))
def test_matches_transformers_4_57_pytorch_references(case, head, left_padded):
    """The checkpoints and outputs written by tests/oracle/gpt2_references.py (Transformers 4.57.6)."""
    directory, inputs, outputs = oracle_reference(case, head, "pt", left_padded=left_padded)
    model = getattr(modeling_torch, HEADS[head]).from_pretrained(directory)
    with torch.no_grad():
        actual = model(**_torch_inputs(inputs, head=head))
    real_tokens_only = inputs["attention_mask"] if left_padded else None
    assert_outputs_close(actual, outputs, real_tokens_only, head=head, what="4.57.6 pt:")
