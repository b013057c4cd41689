"""PyTorch BERT against Transformers 5.23 (in-process): every head, several config shapes, a padded
batch, checkpoints in both directions, losses, the KV cache, cross-attention, prefixes, tying."""

from __future__ import annotations

import numpy as np
import pytest
from bert_test_support import (
    CONFIGS,
    HEADS,
    LENGTH,
    assert_close,
    config_kwargs,
    make_inputs,
    make_labels,
    outputs_of,
    randomise_torch,
    to_numpy,
)

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install 'plugformers-bert[torch]'")

from plugformers_bert import modeling_torch  # noqa: E402
from plugformers_bert.configuration import BertConfig  # noqa: E402

CASES = [(case, head) for case in CONFIGS for head in HEADS]


def _torch(arrays: dict) -> dict:
    return {k: torch.from_numpy(v) for k, v in arrays.items()}


def _transformers():
    return pytest.importorskip("transformers", reason="Transformers (the PyTorch oracle) not installed")


def _ours(head: str, kwargs: dict, seed: int = 1):
    model = getattr(modeling_torch, HEADS[head]).from_config(BertConfig(**kwargs), seed=0)
    randomise_torch(model, seed)
    return model.eval()


def _run(model, inputs: dict):
    with torch.no_grad():
        return model(**_torch(inputs))


@pytest.mark.oracle
@pytest.mark.parametrize(("case", "head"), CASES)
def test_ours_saved_loads_in_transformers_with_same_outputs(case, head, tmp_path):
    transformers = _transformers()
    kwargs = config_kwargs(case, head)
    ours = _ours(head, kwargs)
    ours.save_pretrained(tmp_path)
    theirs, info = getattr(transformers, HEADS[head]).from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    inputs = make_inputs(kwargs, head)
    assert_close(outputs_of(_run(ours, inputs)), outputs_of(_run(theirs.eval(), inputs)), f"{case}/{head}")


@pytest.mark.oracle
@pytest.mark.parametrize(("case", "head"), CASES)
def test_transformers_saved_loads_in_ours_with_same_outputs(case, head, tmp_path):
    transformers = _transformers()
    kwargs = config_kwargs(case, head)
    torch.manual_seed(0)
    theirs = getattr(transformers, HEADS[head])(transformers.BertConfig(**kwargs)).eval()
    randomise_torch(theirs, 2)
    theirs.save_pretrained(tmp_path)
    ours = getattr(modeling_torch, HEADS[head]).from_pretrained(tmp_path)
    assert ours.load_report.ok, ours.load_report.describe()
    inputs = make_inputs(kwargs, head)
    assert_close(outputs_of(_run(ours, inputs)), outputs_of(_run(theirs, inputs)), f"{case}/{head}")


def _pair(head: str, kwargs: dict, tmp_path):
    transformers = _transformers()
    ours = _ours(head, kwargs)
    ours.save_pretrained(tmp_path)
    return ours, getattr(transformers, HEADS[head]).from_pretrained(tmp_path).eval()


@pytest.mark.oracle
@pytest.mark.parametrize("head", [h for h in HEADS if h != "base"])
def test_losses_match_transformers(head, tmp_path):
    kwargs = config_kwargs("gelu-h32-l2", head)
    ours, theirs = _pair(head, kwargs, tmp_path)
    inputs = {**make_inputs(kwargs, head), **make_labels(kwargs, head)}
    ours_loss, theirs_loss = _run(ours, inputs).loss, _run(theirs, inputs).loss
    assert ours_loss is not None and torch.isfinite(ours_loss)
    assert abs(ours_loss.item() - theirs_loss.item()) <= 1e-5, (ours_loss.item(), theirs_loss.item())


@pytest.mark.oracle
@pytest.mark.parametrize(("problem", "num_labels"), [("regression", 1), ("single", 3), ("multi", 3)])
def test_sequence_classification_problem_types_match_transformers(problem, num_labels, tmp_path):
    kwargs = dict(config_kwargs("gelu-h32-l2", "sequence-classification"), num_labels=num_labels)
    ours, theirs = _pair("sequence-classification", kwargs, tmp_path)
    rng = np.random.default_rng(3)
    labels = {
        "regression": rng.normal(size=(3,)).astype(np.float32),
        "single": rng.integers(0, num_labels, size=(3,)).astype(np.int64),
        "multi": rng.integers(0, 2, size=(3, num_labels)).astype(np.float32),
    }[problem]
    inputs = {**make_inputs(kwargs, "sequence-classification"), "labels": labels}
    ours_loss, theirs_loss = _run(ours, inputs).loss.item(), _run(theirs, inputs).loss.item()
    assert abs(ours_loss - theirs_loss) <= 1e-5, (ours_loss, theirs_loss)


def test_kv_cache_decoding_equals_full_forward():
    kwargs = config_kwargs("gelu-h32-l2", "causal-lm")
    model = _ours("causal-lm", kwargs)
    ids = torch.from_numpy(make_inputs(kwargs, "causal-lm")["input_ids"])
    with torch.no_grad():
        full = model(input_ids=ids).logits
        step = model(input_ids=ids[:, :5], use_cache=True)
        pieces, past = [step.logits], step.past_key_values
        for position in range(5, LENGTH):
            step = model(input_ids=ids[:, position:position + 1], past_key_values=past, use_cache=True)
            pieces.append(step.logits)
            past = step.past_key_values
    assert past[0][0].shape[2] == LENGTH
    np.testing.assert_allclose(to_numpy(torch.cat(pieces, dim=1)), to_numpy(full), atol=1e-5)


def test_causal_mask_hides_the_future():
    kwargs = config_kwargs("gelu-h32-l2", "causal-lm")
    model = _ours("causal-lm", kwargs)
    ids = torch.from_numpy(make_inputs(kwargs, "causal-lm")["input_ids"])
    changed = ids.clone()
    changed[:, -1] = (changed[:, -1] + 1) % kwargs["vocab_size"]
    with torch.no_grad():
        a, b = model(input_ids=ids).logits, model(input_ids=changed).logits
    np.testing.assert_allclose(to_numpy(a[:, :-1]), to_numpy(b[:, :-1]), atol=1e-6)
    assert not torch.allclose(a[:, -1], b[:, -1])


@pytest.mark.oracle
def test_cross_attention_decoder_matches_transformers_with_and_without_cache(tmp_path):
    kwargs = dict(config_kwargs("gelu-h32-l2", "causal-lm"), add_cross_attention=True)
    ours, theirs = _pair("causal-lm", kwargs, tmp_path)
    rng = np.random.default_rng(4)
    encoder = torch.from_numpy(rng.normal(size=(3, 5, kwargs["hidden_size"])).astype(np.float32))
    encoder_mask = torch.ones(3, 5, dtype=torch.long)
    encoder_mask[2, 3:] = 0
    inputs = _torch(make_inputs(kwargs, "causal-lm"))
    with torch.no_grad():
        ours_out = ours(**inputs, encoder_hidden_states=encoder, encoder_attention_mask=encoder_mask)
        theirs_out = theirs(**inputs, encoder_hidden_states=encoder, encoder_attention_mask=encoder_mask)
        np.testing.assert_allclose(to_numpy(ours_out.logits), to_numpy(theirs_out.logits), atol=1e-5)
        ids = inputs["input_ids"]
        first = ours(input_ids=ids[:, :4], encoder_hidden_states=encoder, encoder_attention_mask=encoder_mask,
                     use_cache=True)
        second = ours(input_ids=ids[:, 4:], encoder_hidden_states=encoder, encoder_attention_mask=encoder_mask,
                      past_key_values=first.past_key_values, use_cache=True)
        full = ours(input_ids=ids, encoder_hidden_states=encoder, encoder_attention_mask=encoder_mask).logits
    assert len(first.past_key_values[0]) == 4  # self k, v and cross k, v
    np.testing.assert_allclose(to_numpy(torch.cat([first.logits, second.logits], 1)), to_numpy(full), atol=1e-5)


@pytest.mark.oracle
def test_hidden_states_match_transformers(tmp_path):
    kwargs = config_kwargs("gelu_new-h48-l3", "base")
    ours, theirs = _pair("base", kwargs, tmp_path)
    inputs = make_inputs(kwargs, "base")
    with torch.no_grad():
        ours_states = ours(**_torch(inputs), output_hidden_states=True).hidden_states
        theirs_states = theirs(**_torch(inputs), output_hidden_states=True).hidden_states
    assert len(ours_states) == kwargs["num_hidden_layers"] + 1 == len(theirs_states)
    for a, b in zip(ours_states, theirs_states):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=1e-5)


def test_masked_lm_decoder_is_tied_and_saved_once(tmp_path):
    from safetensors import safe_open

    model = _ours("masked-lm", config_kwargs("gelu-h32-l2", "masked-lm"))
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert model.cls.predictions.decoder.bias is model.cls.predictions.bias
    assert model.get_input_embeddings() is model.bert.embeddings.word_embeddings
    model.save_pretrained(tmp_path)
    with safe_open(tmp_path / "model.safetensors", "pt") as f:
        keys = set(f.keys())
    assert "bert.embeddings.word_embeddings.weight" in keys and "cls.predictions.bias" in keys
    assert "cls.predictions.decoder.weight" not in keys and "cls.predictions.decoder.bias" not in keys


def test_untied_decoder_is_saved_and_reloaded(tmp_path):
    kwargs = dict(config_kwargs("gelu-h32-l2", "masked-lm"), tie_word_embeddings=False)
    model = _ours("masked-lm", kwargs)
    assert model.cls.predictions.decoder.weight is not model.bert.embeddings.word_embeddings.weight
    model.save_pretrained(tmp_path)
    again = modeling_torch.BertForMaskedLM.from_pretrained(tmp_path)
    assert again.load_report.ok
    inputs = make_inputs(kwargs, "masked-lm")
    assert_close(outputs_of(_run(again, inputs)), outputs_of(_run(model, inputs)), "untied reload")
    transformers = _transformers()
    theirs, info = transformers.BertForMaskedLM.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    assert_close(outputs_of(_run(theirs.eval(), inputs)), outputs_of(_run(model, inputs)), "untied vs Transformers")


def test_head_loads_base_checkpoint_and_base_loads_head_checkpoint(tmp_path):
    kwargs = config_kwargs("gelu-h32-l2", "sequence-classification")
    base = _ours("base", kwargs)
    base.save_pretrained(tmp_path / "base")
    head = modeling_torch.BertForSequenceClassification.from_pretrained(tmp_path / "base")
    assert head.load_report.missing == ["classifier.weight", "classifier.bias"]
    assert not head.load_report.unexpected
    pretraining = _ours("pretraining", kwargs)
    pretraining.save_pretrained(tmp_path / "pretraining")
    bare = modeling_torch.BertModel.from_pretrained(tmp_path / "pretraining")
    assert not bare.load_report.missing
    assert set(bare.load_report.unexpected) == {"cls.predictions.bias", "cls.predictions.transform.dense.weight",
                                                "cls.predictions.transform.dense.bias",
                                                "cls.predictions.transform.LayerNorm.weight",
                                                "cls.predictions.transform.LayerNorm.bias",
                                                "cls.seq_relationship.weight", "cls.seq_relationship.bias"}
    inputs = make_inputs(kwargs, "base")
    np.testing.assert_allclose(to_numpy(_run(bare, inputs).last_hidden_state),
                               to_numpy(_run(pretraining.bert, inputs).last_hidden_state), atol=1e-6)


def test_padding_does_not_change_unpadded_rows():
    kwargs = config_kwargs("gelu-h32-l2", "base")
    model = _ours("base", kwargs)
    inputs = make_inputs(kwargs, "base")
    short = {k: v[1:2, :LENGTH - 3] for k, v in inputs.items()}
    padded_out = _run(model, inputs).last_hidden_state[1, :LENGTH - 3]
    alone = _run(model, short).last_hidden_state[0]
    np.testing.assert_allclose(to_numpy(padded_out), to_numpy(alone), atol=1e-5)


def test_defaults_for_token_types_and_positions():
    kwargs = config_kwargs("gelu-h32-l2", "base")
    model = _ours("base", kwargs)
    ids = torch.from_numpy(make_inputs(kwargs, "base")["input_ids"])
    explicit = _run(model, {"input_ids": ids.numpy(), "token_type_ids": np.zeros((3, LENGTH), np.int64),
                            "position_ids": np.arange(LENGTH)[None].repeat(3, 0)})
    implicit = _run(model, {"input_ids": ids.numpy()})
    np.testing.assert_allclose(to_numpy(implicit.last_hidden_state), to_numpy(explicit.last_hidden_state), atol=0)


def test_return_dict_false_gives_a_tuple():
    kwargs = config_kwargs("gelu-h32-l2", "masked-lm")
    model = _ours("masked-lm", kwargs)
    inputs = _torch({**make_inputs(kwargs, "masked-lm"), **make_labels(kwargs, "masked-lm")})
    with torch.no_grad():
        as_tuple = model(**inputs, return_dict=False)
        as_dict = model(**inputs)
    assert isinstance(as_tuple, tuple) and torch.equal(as_tuple[1], as_dict.logits)


def test_training_step_lowers_the_loss():
    kwargs = dict(config_kwargs("gelu-h32-l2", "sequence-classification"), hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0)
    model = modeling_torch.BertForSequenceClassification.from_config(BertConfig(**kwargs), seed=0).train()
    inputs = _torch({**make_inputs(kwargs, "sequence-classification"), **make_labels(kwargs, "sequence-classification")})
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        loss = model(**inputs).loss
        losses.append(loss.item())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert losses[-1] < losses[0]
