"""The shared logits-processor table: every processor, in every framework, against Transformers' own.

The processors are written once (``plugformers_sdk.generation.logits_process``) against each
framework's ``ArrayOps``; here each one runs on the same random scores and token sequences in
PyTorch, TensorFlow and JAX, with step counters as Python ints (eager) and as 0-d arrays (what
compiled steps see), and must equal ``transformers.generation.logits_process`` (5.23) within 1e-6,
-inf where it has -inf. The sequence buffer has columns past ``cur_len`` filled with live-looking
ids, which every processor must ignore.
"""

from __future__ import annotations

import numpy as np
import pytest

from plugformers_sdk.generation import logits_process as lp
from plugformers_sdk.generation.config import GenerationConfig

torch = pytest.importorskip("torch")
hf = pytest.importorskip("transformers.generation.logits_process", reason="Transformers (oracle) is not installed")

ROWS, VOCAB, BUFFER, CUR_LEN, PROMPT = 4, 24, 14, 10, 7
EOS = (3, 11)


def make_inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, 2.0, size=(ROWS, VOCAB)).astype(np.float32)
    scores[1, 5] = scores[1].max()  # a tie at the top
    sequences = rng.integers(0, 9, size=(ROWS, BUFFER))  # a small alphabet: n-grams repeat
    sequences[:, CUR_LEN:] = rng.integers(12, VOCAB, size=(ROWS, BUFFER - CUR_LEN))  # unused columns
    sequences[0, CUR_LEN - 2:CUR_LEN] = [5, 6]  # row 0 ends with the prefix of a bad word [5, 6, 7]
    sequences[2, CUR_LEN - 1] = 8  # row 2 ends with the prefix of [8, 9]
    sequences[3, [1, 2, 3, CUR_LEN - 2, CUR_LEN - 1]] = [2, 4, 0, 2, 4]  # row 3 repeats a 3-gram's start
    prompt_start = np.array([0, 2, 0, 5])  # left padding of the prompt (ignored by repetition penalty)
    return scores, sequences, prompt_start


# (id, our processor, Transformers processor factory (given prompt_start), context overrides)
CASES = [
    ("temperature", lp.Temperature(0.7), lambda ps: hf.TemperatureLogitsWarper(0.7), {}),
    ("top-k", lp.TopK(5), lambda ps: hf.TopKLogitsWarper(5), {}),
    ("top-k-min-keep", lp.TopK(2, 4), lambda ps: hf.TopKLogitsWarper(2, min_tokens_to_keep=4), {}),
    ("top-p", lp.TopP(0.8), lambda ps: hf.TopPLogitsWarper(0.8), {}),
    ("top-p-min-keep", lp.TopP(0.2, 3), lambda ps: hf.TopPLogitsWarper(0.2, min_tokens_to_keep=3), {}),
    ("min-p", lp.MinP(0.1), lambda ps: hf.MinPLogitsWarper(0.1), {}),
    ("min-p-min-keep", lp.MinP(0.6, 3), lambda ps: hf.MinPLogitsWarper(0.6, min_tokens_to_keep=3), {}),
    ("repetition-penalty", lp.RepetitionPenalty(1.3),
     lambda ps: hf.RepetitionPenaltyLogitsProcessor(1.3, prompt_ignore_length=torch.tensor(ps)), {}),
    ("no-repeat-1gram", lp.NoRepeatNGram(1), lambda ps: hf.NoRepeatNGramLogitsProcessor(1), {}),
    ("no-repeat-2gram", lp.NoRepeatNGram(2), lambda ps: hf.NoRepeatNGramLogitsProcessor(2), {}),
    ("no-repeat-3gram", lp.NoRepeatNGram(3), lambda ps: hf.NoRepeatNGramLogitsProcessor(3), {}),
    ("no-repeat-longer-than-sequence", lp.NoRepeatNGram(12), lambda ps: hf.NoRepeatNGramLogitsProcessor(12), {}),
    ("bad-words", lp.NoBadWords(((4,), (5, 6, 7), (8, 9), (1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3))),
     lambda ps: hf.NoBadWordsLogitsProcessor([[4], [5, 6, 7], [8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3]]), {}),
    ("min-length-active", lp.MinLength(12, EOS), lambda ps: hf.MinLengthLogitsProcessor(12, list(EOS)), {}),
    ("min-length-inactive", lp.MinLength(10, EOS), lambda ps: hf.MinLengthLogitsProcessor(10, list(EOS)), {}),
    ("min-new-tokens-active", lp.MinNewTokens(4, EOS),
     lambda ps: hf.MinNewTokensLengthLogitsProcessor(PROMPT, 4, list(EOS)), {}),
    ("min-new-tokens-inactive", lp.MinNewTokens(3, EOS),
     lambda ps: hf.MinNewTokensLengthLogitsProcessor(PROMPT, 3, list(EOS)), {}),
    ("forced-bos-first", lp.ForcedBOS(7), lambda ps: hf.ForcedBOSTokenLogitsProcessor(7), {"cur_len": 1}),
    ("forced-bos-later", lp.ForcedBOS(7), lambda ps: hf.ForcedBOSTokenLogitsProcessor(7), {}),
    ("forced-eos-last", lp.ForcedEOS(EOS), lambda ps: hf.ForcedEOSTokenLogitsProcessor(CUR_LEN + 1, list(EOS)), {}),
    ("forced-eos-earlier", lp.ForcedEOS(EOS), lambda ps: hf.ForcedEOSTokenLogitsProcessor(CUR_LEN + 5, list(EOS)),
     {"max_length": CUR_LEN + 5}),
    ("suppress", lp.SuppressTokens((1, 2, 20)), lambda ps: hf.SuppressTokensLogitsProcessor([1, 2, 20]), {}),
    ("suppress-at-begin-active", lp.SuppressTokensAtBegin((1, 2)),
     lambda ps: hf.SuppressTokensAtBeginLogitsProcessor([1, 2], CUR_LEN), {"prompt_length": CUR_LEN}),
    ("suppress-at-begin-inactive", lp.SuppressTokensAtBegin((1, 2)),
     lambda ps: hf.SuppressTokensAtBeginLogitsProcessor([1, 2], PROMPT), {}),
]


def _torch_ops():
    from plugformers_sdk.torch.generation import TorchOps

    return TorchOps()


def _tf_ops():
    pytest.importorskip("tensorflow")
    from plugformers_sdk.tf.generation import TFOps

    return TFOps()


def _jax_ops():
    pytest.importorskip("jax")
    pytest.importorskip("flax")
    from plugformers_sdk.flax.generation import JaxOps

    return JaxOps()


OPS = {"torch": _torch_ops, "tf": _tf_ops, "jax": _jax_ops}


@pytest.fixture(scope="module", params=sorted(OPS))
def ops(request):
    return OPS[request.param]()


def context(ops, sequences, prompt_start, *, counters: str, **overrides):
    values = {"cur_len": CUR_LEN, "prompt_length": PROMPT, "max_length": CUR_LEN + 1, **overrides}
    if counters == "array":
        values = {k: ops.constant(np.array(v)) for k, v in values.items()}
    return lp.DecodeContext(ops.constant(sequences), values["cur_len"], values["prompt_length"],
                            values["max_length"], ops.constant(prompt_start))


def transformers_result(factory, scores, sequences, prompt_start, cur_len):
    processor = factory(prompt_start)
    out = processor(torch.tensor(sequences[:, :cur_len]), torch.tensor(scores))
    return out.numpy()


def assert_scores_equal(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=0, atol=1e-6)


@pytest.mark.oracle
@pytest.mark.parametrize("counters", ["int", "array"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_processor_matches_transformers(ops, case, counters):
    name, processor, factory, overrides = case
    scores, sequences, prompt_start = make_inputs()
    cur_len = overrides.get("cur_len", CUR_LEN)
    theirs = transformers_result(factory, scores, sequences, prompt_start, cur_len)
    ours = ops.to_numpy(processor(ops, context(ops, sequences, prompt_start, counters=counters, **overrides),
                                  ops.constant(scores)))
    assert_scores_equal(ours, theirs)
    if name not in ("temperature", "min-length-inactive", "min-new-tokens-inactive", "forced-bos-later",
                    "forced-eos-earlier", "suppress-at-begin-inactive", "no-repeat-longer-than-sequence"):
        assert not np.array_equal(ours, scores), f"{name} changed nothing: the case does not exercise it"


CHAIN = tuple(case[1] for case in CASES if case[0] in (
    "repetition-penalty", "no-repeat-2gram", "bad-words", "min-new-tokens-active", "suppress", "temperature",
    "top-k", "top-p", "min-p"))


def _compiled(ops_name: str, ops, sequences, prompt_start, scores):
    """The chain under the framework's compiler, counters as arrays (one compilation)."""
    if ops_name == "torch":
        return None
    counters = [np.array(CUR_LEN), np.array(PROMPT), np.array(CUR_LEN + 1)]
    if ops_name == "tf":
        import tensorflow as tf

        @tf.function(jit_compile=True, autograph=False)
        def run(seq, cur, prompt, max_len, start, s):
            return lp.apply_processors(CHAIN, ops, lp.DecodeContext(seq, cur, prompt, max_len, start), s)
    else:
        import jax

        @jax.jit
        def run(seq, cur, prompt, max_len, start, s):
            return lp.apply_processors(CHAIN, ops, lp.DecodeContext(seq, cur, prompt, max_len, start), s)
    args = [ops.constant(sequences), *(ops.constant(c) for c in counters), ops.constant(prompt_start),
            ops.constant(scores)]
    return ops.to_numpy(run(*args))


@pytest.mark.oracle
def test_processor_chain_compiled_and_across_frameworks(ops):
    """Nine processors in a row: equal to Transformers' chain, eager and compiled, in each framework
    (so all three agree within 1e-6)."""
    scores, sequences, prompt_start = make_inputs(seed=3)
    factories = {case[1]: case[2] for case in CASES}
    theirs = torch.tensor(scores)
    for processor in CHAIN:
        theirs = factories[processor](prompt_start)(torch.tensor(sequences[:, :CUR_LEN]), theirs)
    eager = ops.to_numpy(lp.apply_processors(CHAIN, ops, context(ops, sequences, prompt_start, counters="int"),
                                             ops.constant(scores)))
    assert_scores_equal(eager, theirs.numpy())
    assert np.isfinite(eager).sum() >= 1
    compiled = _compiled(ops.name, ops, sequences, prompt_start, scores)
    if compiled is not None:
        assert_scores_equal(compiled, theirs.numpy())


def test_build_follows_transformers_order_and_rules():
    """Order and switches of ``build_logits_processors`` (Transformers' ``_get_logits_processor``):
    penalties/constraints first, warpers only when sampling, EOS-only bad words dropped,
    min_tokens_to_keep raised for beam sampling."""
    config = GenerationConfig(repetition_penalty=1.2, no_repeat_ngram_size=2, bad_words_ids=[[3], [4, 5]],
                              eos_token_id=3, min_length=4, min_new_tokens=2, forced_bos_token_id=1,
                              forced_eos_token_id=3, suppress_tokens=[7], begin_suppress_tokens=[8], do_sample=True,
                              temperature=0.5, top_k=10, top_p=0.9, min_p=0.05, num_beams=2)
    built = lp.build_logits_processors(config, prompt_length=1)
    assert [type(p).__name__ for p in built] == [
        "RepetitionPenalty", "NoRepeatNGram", "NoBadWords", "MinLength", "MinNewTokens", "ForcedBOS", "ForcedEOS",
        "SuppressTokens", "SuppressTokensAtBegin", "Temperature", "TopK", "TopP", "MinP"]
    assert built[2] == lp.NoBadWords(((4, 5),))
    assert built[8].offset == 1  # a one-token prompt with a forced BOS: suppression starts a token later
    assert built[10].min_tokens_to_keep == 2
    greedy = lp.build_logits_processors(GenerationConfig(temperature=0.5, top_k=10), prompt_length=3)
    assert greedy == ()
