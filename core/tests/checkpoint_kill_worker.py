"""Worker for test_checkpoint_atomic_kill: saves checkpoints in a loop until it is SIGKILLed.

``STATES`` are the checkpoints the worker cycles through (three sharded layouts of different
shard counts and one single file), so consecutive saves cover sharded->sharded,
sharded->single and single->sharded replacements. Before save ``j`` the worker stores ``j`` in
a shared counter, so the parent knows which save a kill interrupted: the directory must then
load as state ``j`` (new) or state ``j - 1`` (old).
"""

from __future__ import annotations

import numpy as np

from plugformers.checkpoint import save_checkpoint

# max_shard_size per state: 3 shards, 3 shards (same names: the collision case), one file, 2 shards.
_SIZES = (250, 400, 10**9, 600)


def state(index: int) -> dict[str, np.ndarray]:
    """Deterministic tiny tensors; each state is distinguishable by its values and key set."""
    base = index % len(_SIZES)
    rng = np.random.default_rng(base)
    return {
        "embeddings.weight": rng.standard_normal((16, 8)).astype(np.float32),
        "layer.0.weight": rng.standard_normal((8, 8)).astype(np.float32),
        "layer.0.bias": np.full((8,), base, dtype=np.int64),
        "layer.1.weight": rng.standard_normal((8, 8)).astype(np.float16),
        f"only_in_state_{base}": np.arange(base + 1, dtype=np.int32),
    }


def shard_size(index: int) -> int:
    return _SIZES[index % len(_SIZES)]


def save_state(directory: str, index: int) -> None:
    save_checkpoint(state(index), directory, max_shard_size=shard_size(index))


def save_forever(directory: str, start: int, counter) -> None:  # counter: multiprocessing RawValue
    index = start
    while True:
        index += 1
        counter.value = index
        save_state(directory, index)
