"""Freed large CPU buffers are kept for reuse once a PyTorch model is built (glibc malloc
thresholds), and ``PLUGFORMERS_MALLOC_TUNING=0`` leaves malloc alone. Each case runs in a fresh
process: the thresholds are process-wide."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="malloc thresholds are tuned on Linux with glibc only",
)

# Builds a tiny model (what applies the thresholds, unless switched off), then allocates and
# frees five 24 MiB tensors per round, counting the minor page faults of each round.
SCRIPT = """
import json, resource, torch
from plugformers_sdk.torch import host_memory
from tiny_models import TinyLlamaConfig, TinyLlamaModel
TinyLlamaModel(TinyLlamaConfig())

def faults_of_one_round():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    tensors = [torch.ones(6 * 1024 * 1024) for _ in range(5)]
    del tensors
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print(json.dumps({"applied": host_memory.keep_freed_buffers(), "faults": [faults_of_one_round() for _ in range(5)]}))
"""


def run(switch: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PLUGFORMERS_MALLOC_TUNING"}
    if switch is not None:
        env["PLUGFORMERS_MALLOC_TUNING"] = switch
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.dirname(__file__), env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_building_a_model_keeps_freed_buffers_for_reuse():
    report = run(None)
    assert report["applied"] is True
    one_round = 5 * 24 * 1024 * 1024 // 4096  # pages
    first, *later = report["faults"]
    assert first > one_round // 2  # the first round faults its pages in
    # then they are reused: the four later rounds together fault in less than one round's pages
    # (measured: 0-6144 pages in all; without the thresholds 60,000-105,000)
    assert sum(later) < one_round, report["faults"]


@pytest.mark.parametrize("switch", ["0", "off"])
def test_switch_leaves_malloc_alone(switch):
    assert run(switch)["applied"] is False
