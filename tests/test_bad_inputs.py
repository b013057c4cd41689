"""The bad-input corpus (tests/bad_inputs/): each case raises a plugformers error naming the culprit."""

from __future__ import annotations

import importlib
import importlib.util
import signal
import sys
from pathlib import Path

import pytest

from plugformers.errors import PlugformersError

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
sys.path.insert(0, str(CORPUS))

CASES = []
for module_path in sorted(CORPUS.glob("*_cases.py")):
    CASES.extend(importlib.import_module(module_path.stem).CASES)

TIME_LIMIT_S = 60


def test_the_corpus_is_large_and_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 50, f"only {len(ids)} bad-input cases"


def _alarm(signum, frame):
    raise TimeoutError(f"bad input took over {TIME_LIMIT_S} s: a hang")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, tmp_path):
    if case.needs and importlib.util.find_spec(case.needs) is None:
        pytest.skip(f"{case.needs} not installed")
    target = case.build(tmp_path)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        with pytest.raises(PlugformersError) as info:
            result = case.act(target)
            pytest.fail(f"no error: got {type(result).__name__} back")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert isinstance(info.value, case.error), f"{type(info.value).__name__}: {info.value}"
    assert case.fragment in str(info.value), f"message does not name {case.fragment!r}: {info.value}"
    if case.check_after is not None:
        assert case.check_after()
