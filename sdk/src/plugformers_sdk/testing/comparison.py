"""Comparing named outputs, with failure messages that name each output and its max abs difference."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)))


def assert_outputs_close(actual: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray], *, atol: float,
                         what: str, keys: Iterable[str] | None = None, require_same_keys: bool = True) -> dict[str, float]:
    """Assert every output in ``keys`` (default: all of ``expected``) agrees within ``atol``.

    Shapes must match and so must the key sets (unless ``require_same_keys`` is false, when only
    ``keys`` are compared). The message lists every offending output with its max abs difference;
    returns ``{name: max abs difference}`` for the compared outputs.
    """
    problems: list[str] = []
    if require_same_keys and set(actual) != set(expected):
        only_a, only_e = sorted(set(actual) - set(expected)), sorted(set(expected) - set(actual))
        problems.append(f"different outputs: only in actual {only_a}, only in expected {only_e}")
    names = list(expected) if keys is None else list(keys)
    if not names:
        raise AssertionError(f"{what}: nothing to compare (no outputs)")
    diffs: dict[str, float] = {}
    for name in names:
        if name not in actual or name not in expected:
            if not require_same_keys:
                problems.append(f"{name}: missing from {'actual' if name not in actual else 'expected'}")
            continue
        a, e = np.asarray(actual[name]), np.asarray(expected[name])
        if a.shape != e.shape:
            problems.append(f"{name}: shape {a.shape} != expected {e.shape}")
            continue
        if not np.all(np.isfinite(a)) and not np.array_equal(np.isfinite(a), np.isfinite(e)):
            problems.append(f"{name}: non-finite values")
            continue
        diff = max_abs_diff(a, e)
        diffs[name] = diff
        if not diff <= atol:
            problems.append(f"{name}: max abs diff {diff:.3g} > atol {atol:g}")
    if problems:
        raise AssertionError(f"{what}:\n  " + "\n  ".join(problems))
    return diffs
