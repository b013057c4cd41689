"""``generate`` in TensorFlow: Transformers 4.57.6 references, XLA decode steps, cache, sampling.

The reference cases run the decode steps eagerly (``TFGenerationBackend.jit = False``: the very
same fixed-shape step functions, uncompiled), which keeps this module to a few XLA compilations:
the compiled tests then check that the XLA step gives the same tokens, is traced once however
many tokens it produces, and is reused by later calls.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
gpt2_tf = pytest.importorskip("plugformers_gpt2.modeling_tf", reason="the GPT-2 plugin (plugformers_gpt2) is not installed")

from plugformers_sdk.tf import generation as tf_generation  # noqa: E402

CASES = ["greedy-single", "greedy-longer", "greedy-batch-left-padded", "greedy-batch-eos", "greedy-batch-multi-eos",
         "greedy-batch-penalties", "beam-single", "beam-batch-left-padded", "beam-single-eos-early-stopping",
         "beam-batch-eos-length-penalty", "beam-batch-multi-eos-never"]


@pytest.fixture(scope="module")
def model(generation_references):
    return gpt2_tf.TFGPT2LMHeadModel.from_pretrained(generation_references["checkpoint"])


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setattr(tf_generation.TFGenerationBackend, "jit", False)


def run_case(model, references, case):
    if case not in references["cases"]:
        pytest.skip(f"case {case} not in the generation references: regenerate them (nox -s oracle)")
    spec = references["cases"][case]
    out = model.generate(np.array(spec["input_ids"]), attention_mask=np.array(spec["attention_mask"]),
                         **spec["kwargs"])
    return out, spec


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES)
def test_matches_transformers_4_57(model, generation_references, helpers, eager, case):
    out, spec = run_case(model, generation_references, case)
    expected, source = helpers.reference_for(generation_references, "tf", case)
    assert out.dtype.name == "int32"
    assert helpers.same_tokens(out.numpy(), expected, spec["kwargs"]["pad_token_id"]), (
        f"{case}: ours {out.numpy().tolist()} vs Transformers 4.57.6 {source} {expected}")


def _traces(model) -> dict[str, int]:
    return {name: fn.experimental_get_tracing_count() for (plan, name), fn in tf_generation._COMPILED[model].items()}


@pytest.mark.oracle
@pytest.mark.parametrize("case", ["greedy-batch-penalties", "beam-batch-multi-eos-never"])
def test_xla_steps_compile_once_and_match(model, generation_references, helpers, case):
    tf_generation._COMPILED.pop(model, None)
    out, spec = run_case(model, generation_references, case)
    expected, _ = helpers.reference_for(generation_references, "tf", case)
    assert helpers.same_tokens(out.numpy(), expected, spec["kwargs"]["pad_token_id"])
    traces = _traces(model)
    assert list(traces.values()) == [1], traces  # one step function, traced once for every token
    # a later call with another prompt of the same shape reuses the compiled step
    other = np.array(spec["input_ids"])[::-1].copy()
    model.generate(other, attention_mask=np.array(spec["attention_mask"])[::-1].copy(), **spec["kwargs"])
    assert _traces(model) == traces


def test_xla_sampling_is_reproducible(model):
    ids = np.array([[5, 6, 7, 8], [9, 10, 11, 12]])
    kwargs = dict(max_new_tokens=8, do_sample=True, top_k=20, top_p=0.9, temperature=1.3)
    first = model.generate(ids, seed=4, **kwargs).numpy()
    assert (model.generate(ids, seed=4, **kwargs).numpy() == first).all()
    assert not (model.generate(ids, seed=5, **kwargs).numpy() == first).all()
    pair = model.generate(ids, seed=[4, 9], **kwargs).numpy()  # TensorFlow's stateless seed pair
    assert (model.generate(ids, seed=[4, 9], **kwargs).numpy() == pair).all()
    assert all(count == 1 for count in _traces(model).values())


@pytest.mark.parametrize("beams", [1, 3])
def test_cache_and_no_cache_agree(model, eager, beams):
    ids = np.array([[0, 0, 7, 8, 9], [3, 4, 5, 6, 7]])
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    kwargs = dict(attention_mask=mask, max_new_tokens=7, num_beams=beams, pad_token_id=0)
    assert (model.generate(ids, use_cache=True, **kwargs).numpy()
            == model.generate(ids, use_cache=False, **kwargs).numpy()).all()


def test_return_dict_and_streamer(model, eager, recording_streamer):
    ids = np.array([[5, 6, 7]])
    out = model.generate(ids, max_new_tokens=4, return_dict_in_generate=True, output_scores=True,
                         streamer=recording_streamer)
    assert out.sequences.shape == (1, 7) and len(out.scores) == 4
    assert [int(np.argmax(s[0])) for s in out.scores] == out.sequences.numpy()[0, 3:].tolist()
    assert recording_streamer.puts[0] == [5, 6, 7] and recording_streamer.ended
    assert sum(recording_streamer.puts[1:], []) == out.sequences.numpy()[0, 3:].tolist()


def test_matches_our_pytorch_with_processors(model, generation_references, eager):
    """The logits processors inside a TF decode loop equal the PyTorch loop on the same weights."""
    torch = pytest.importorskip("torch")
    gpt2_pt = pytest.importorskip("plugformers_gpt2.modeling_torch")
    reference = gpt2_pt.GPT2LMHeadModel.from_pretrained(generation_references["checkpoint"])
    ids = np.array([[0, 0, 7, 8, 9], [3, 4, 5, 6, 7]])
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    kwargs = dict(max_new_tokens=8, pad_token_id=0, repetition_penalty=1.4, no_repeat_ngram_size=2,
                  bad_words_ids=[[5], [8, 9]], min_new_tokens=3, eos_token_id=[98, 17], suppress_tokens=[1, 2])
    ours = model.generate(ids, attention_mask=mask, **kwargs).numpy()
    theirs = reference.generate(torch.tensor(ids), attention_mask=torch.tensor(mask), **kwargs).numpy()
    assert (ours == theirs).all()


def test_generation_config_on_a_keras_model(model, eager):
    from plugformers_sdk.generation import GenerationConfig

    saved = model.generation_config
    try:
        model.generation_config = GenerationConfig(max_new_tokens=3, pad_token_id=0)
        assert model.generate(np.array([[5, 6]])).shape == (1, 5)
    finally:
        model.generation_config = saved


def test_compiled_steps_do_not_keep_the_model_alive(generation_references):
    import gc
    import weakref

    model = gpt2_tf.TFGPT2LMHeadModel.from_pretrained(generation_references["checkpoint"])
    model.generate(np.array([[5, 6, 7]]), max_new_tokens=3, pad_token_id=0)
    assert model in tf_generation._COMPILED
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
