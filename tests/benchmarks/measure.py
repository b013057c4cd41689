"""Measuring helpers shared by the benchmarks: medians of fresh-process timings."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass

# Pasted into the decode benchmarks' scripts (they run in fresh processes, some in the oracle
# environment): tokens per second of ``runs`` calls of ``generate``, each checked to have added
# exactly ``new_tokens`` (a global of the script) to a ``prompt``-token prompt.
TOKENS_PER_SECOND = """
def tokens_per_second(generate, runs, prompt):
    speeds = []
    for _ in range(runs):
        start = time.perf_counter()
        out = generate()
        elapsed = time.perf_counter() - start
        assert np.asarray(out).shape == (1, prompt + new_tokens), np.asarray(out).shape
        speeds.append(new_tokens / elapsed)
    return speeds
"""


@dataclass
class Row:
    """One benchmark row: ours vs Transformers, measured in the same run."""

    benchmark: str
    case: str
    ours: float
    theirs: float | None
    unit: str
    target: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.theirs in (None, 0):
            return None
        return self.ours / self.theirs

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def run_python(code: str, *, python: str = sys.executable, env: dict | None = None, timeout: int = 600) -> dict:
    """Run ``code`` in a fresh interpreter; it must print one JSON object on its last line."""
    full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    full_env.update(env or {})
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(values: list[float]) -> float:
    return statistics.median(values)


def report(rows: list[Row], row: Row) -> None:
    """Append ``row`` and print it on stderr at once: a long run keeps what it measured."""
    rows.append(row)
    print(json.dumps(row.as_dict()), file=sys.stderr, flush=True)


def compiled_decode_row(case: str, ours: dict, theirs: float | None, ours_pt: float, repeats: int, note: str) -> Row:
    """A TensorFlow/Flax decoding row: ``ours`` is the script's result (``ours`` speeds and
    ``compile_s``), compared with Transformers 4.57.6 and with our PyTorch speed ``ours_pt``."""
    speed = median_of(ours["ours"])
    return Row("generation", case, speed, theirs, "tokens/s", "≥ 0.75× our PyTorch",
               f"{speed / ours_pt:.2f}× our PyTorch ({ours_pt:.1f}/s); compile {ours['compile_s']:.0f} s "
               f"(warm-up); median of {repeats}; {note}")
