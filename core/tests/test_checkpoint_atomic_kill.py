"""SIGKILL a process at random moments while it saves a sharded checkpoint over an existing one.

After every kill the directory must load, completely, as either the checkpoint being replaced
or the one being written (see the commit protocol in plugformers.checkpoint.writer). Worker
processes are forked from a forkserver that has already imported numpy and plugformers, so
each of the 50 kills costs milliseconds, not an interpreter start. Each kill lands at a random
moment within the worker's first two saves (delays scaled to the measured save time).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import checkpoint_kill_worker as worker
import numpy as np
import pytest

from plugformers.checkpoint import CheckpointReader

KILLS = 50


def _load(directory) -> dict[str, np.ndarray]:
    with CheckpointReader.open(directory) as reader:
        return {name: np.array(reader.get_numpy(name)) for name in reader.keys()}


def _equals(loaded: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> bool:
    return loaded.keys() == expected.keys() and all(
        loaded[k].dtype == expected[k].dtype and np.array_equal(loaded[k], expected[k]) for k in expected
    )


@pytest.mark.skipif(os.name != "posix", reason="needs fork/SIGKILL (POSIX)")
def test_sigkill_during_save_leaves_old_or_new_checkpoint(tmp_path):
    directory = tmp_path / "ckpt"
    started = time.perf_counter()
    for index in range(5):  # also measures how long one save takes on this machine, now
        worker.save_state(str(directory), index)
    save_seconds = (time.perf_counter() - started) / 5
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["numpy", "plugformers.checkpoint", "checkpoint_kill_worker"])
    rng = random.Random(1234)
    committed = 4  # index of the state the directory holds
    outcomes = {"old": 0, "new": 0}
    deadline = time.monotonic() + 60
    for _ in range(KILLS):
        counter = context.RawValue("q", committed)
        process = context.Process(target=worker.save_forever, args=(str(directory), committed, counter))
        process.start()
        while counter.value == committed and process.is_alive() and time.monotonic() < deadline:
            time.sleep(0.0005)  # wait until the worker has begun its first save
        time.sleep(rng.uniform(0.0, 2.0 * save_seconds))
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=10)
        assert process.exitcode == -signal.SIGKILL
        in_progress = counter.value
        loaded = _load(directory)
        if _equals(loaded, worker.state(in_progress)):
            committed = in_progress
            outcomes["new"] += 1
        else:
            assert _equals(loaded, worker.state(in_progress - 1)), (
                f"after a kill during save {in_progress} the directory holds neither the old nor the new"
                f" checkpoint: {sorted(os.listdir(directory))}"
            )
            committed = in_progress - 1
            outcomes["old"] += 1
        assert time.monotonic() < deadline, "kill loop took too long"
    # Kills landed both before and after commit points (otherwise the test proves little).
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes

    # The next save cleans up whatever the killed ones left: temp files and stale shards.
    worker.save_state(str(directory), committed + 1)
    assert _equals(_load(directory), worker.state(committed + 1))
    leftovers = [name for name in os.listdir(directory) if name.endswith(".tmp")]
    assert leftovers == []
    with CheckpointReader.open(directory) as reader:
        expected_files = {path.name for path in reader.files} | {reader.layout.entry.name}
    assert set(os.listdir(directory)) == expected_files
