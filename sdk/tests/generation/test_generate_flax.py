"""``generate`` in Flax: Transformers 4.57.6 references, jitted decode steps, cache, sampling.

Every case runs jitted (eager JAX compiles each operation for each shape, which is far slower on a
tiny model than one compilation per step function); the step functions must be compiled once per
shape however many tokens they produce, and reused by later calls.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("flax")
gpt2_flax = pytest.importorskip("plugformers_gpt2.modeling_flax",
                                reason="the GPT-2 plugin (plugformers_gpt2) is not installed")

from plugformers_sdk.flax import generation as flax_generation  # noqa: E402

CASES = ["greedy-single", "greedy-longer", "greedy-batch-left-padded", "greedy-batch-eos", "greedy-batch-multi-eos",
         "greedy-batch-penalties", "beam-single", "beam-batch-left-padded", "beam-single-eos-early-stopping",
         "beam-batch-eos-length-penalty", "beam-batch-multi-eos-never"]


@pytest.fixture(scope="module")
def model(generation_references):
    return gpt2_flax.FlaxGPT2LMHeadModel.from_pretrained(generation_references["checkpoint"])


def run_case(model, references, case):
    if case not in references["cases"]:
        pytest.skip(f"case {case} not in the generation references: regenerate them (nox -s oracle)")
    spec = references["cases"][case]
    out = model.generate(np.array(spec["input_ids"]), attention_mask=np.array(spec["attention_mask"]),
                         **spec["kwargs"])
    return out, spec


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES)
def test_matches_transformers_4_57(model, generation_references, helpers, case):
    flax_generation._COMPILED.pop(model, None)
    out, spec = run_case(model, generation_references, case)
    expected, source = helpers.reference_for(generation_references, "flax", case)
    assert str(out.dtype) == "int32"
    assert helpers.same_tokens(np.asarray(out), expected, spec["kwargs"]["pad_token_id"]), (
        f"{case}: ours {np.asarray(out).tolist()} vs Transformers 4.57.6 {source} {expected}")
    compiled = _compiled(model)
    assert set(compiled) <= {"greedy_first", "greedy_step", "beam_first", "beam_step"}
    assert all(count == 1 for count in compiled.values()), compiled  # compiled once, not per token


def _compiled(model) -> dict[str, int]:
    return {name: run._cache_size() for (plan, name), (graph, run) in flax_generation._COMPILED[model].items()}


@pytest.mark.oracle
def test_compiled_steps_are_reused(model, generation_references):
    flax_generation._COMPILED.pop(model, None)
    out, spec = run_case(model, generation_references, "greedy-batch-eos")
    before = _compiled(model)
    other = np.array(spec["input_ids"])[::-1].copy()
    model.generate(other, attention_mask=np.array(spec["attention_mask"])[::-1].copy(), **spec["kwargs"])
    assert _compiled(model) == before == {"greedy_first": 1, "greedy_step": 1}


def test_sampling_is_reproducible(model):
    jax = pytest.importorskip("jax")
    ids = np.array([[5, 6, 7, 8], [9, 10, 11, 12]])
    kwargs = dict(max_new_tokens=8, do_sample=True, top_k=20, top_p=0.9, temperature=1.3)
    first = np.asarray(model.generate(ids, seed=4, **kwargs))
    assert (np.asarray(model.generate(ids, seed=4, **kwargs)) == first).all()
    assert not (np.asarray(model.generate(ids, seed=5, **kwargs)) == first).all()
    with_key = np.asarray(model.generate(ids, prng_key=jax.random.PRNGKey(4), **kwargs))
    assert (with_key == first).all()


@pytest.mark.parametrize("beams", [1, 3])
def test_cache_and_no_cache_agree(model, beams):
    ids = np.array([[0, 0, 7, 8, 9], [3, 4, 5, 6, 7]])
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    kwargs = dict(attention_mask=mask, max_new_tokens=7, num_beams=beams, pad_token_id=0)
    assert (np.asarray(model.generate(ids, use_cache=True, **kwargs))
            == np.asarray(model.generate(ids, use_cache=False, **kwargs))).all()


def test_return_dict_and_streamer(model, recording_streamer):
    ids = np.array([[5, 6, 7]])
    out = model.generate(ids, max_new_tokens=4, return_dict_in_generate=True, output_scores=True,
                         streamer=recording_streamer)
    sequences = np.asarray(out.sequences)
    assert sequences.shape == (1, 7) and len(out.scores) == 4
    assert [int(np.argmax(s[0])) for s in out.scores] == sequences[0, 3:].tolist()
    assert recording_streamer.puts[0] == [5, 6, 7] and recording_streamer.ended
    assert sum(recording_streamer.puts[1:], []) == sequences[0, 3:].tolist()


def test_matches_our_pytorch_with_processors(model, generation_references):
    """The logits processors inside a jitted decode loop equal the PyTorch loop on the same weights."""
    torch = pytest.importorskip("torch")
    gpt2_pt = pytest.importorskip("plugformers_gpt2.modeling_torch")
    reference = gpt2_pt.GPT2LMHeadModel.from_pretrained(generation_references["checkpoint"])
    ids = np.array([[0, 0, 7, 8, 9], [3, 4, 5, 6, 7]])
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    kwargs = dict(max_new_tokens=8, pad_token_id=0, repetition_penalty=1.4, no_repeat_ngram_size=2,
                  bad_words_ids=[[5], [8, 9]], min_new_tokens=3, eos_token_id=[98, 17], suppress_tokens=[1, 2])
    ours = np.asarray(model.generate(ids, attention_mask=mask, **kwargs))
    theirs = reference.generate(torch.tensor(ids), attention_mask=torch.tensor(mask), **kwargs).numpy()
    assert (ours == theirs).all()


def test_compiled_steps_do_not_keep_the_model_alive(generation_references):
    import gc
    import weakref

    model = gpt2_flax.FlaxGPT2LMHeadModel.from_pretrained(generation_references["checkpoint"])
    model.generate(np.array([[5, 6, 7]]), max_new_tokens=3, pad_token_id=0)
    assert model in flax_generation._COMPILED
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
