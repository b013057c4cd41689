"""SIGKILL a process at random moments while it saves a sharded checkpoint over an existing one.

After every kill the directory must load, completely, as either the checkpoint being replaced
or the one being written (see the commit protocol in plugformers.checkpoint.writer). Worker
processes are forked from a forkserver that has already imported numpy and plugformers, so
each of the 50 kills costs milliseconds, not an interpreter start. Each kill lands at a random
moment: half early (mostly inside the worker's first save), half later (after some commits), with
delays scaled to the save time measured in a worker just before.
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
    # Calibrate on the worker itself: how long one save takes in a forkserver child, right now.
    counter = context.RawValue("q", committed)
    process = context.Process(target=worker.save_forever, args=(str(directory), committed, counter))
    process.start()
    calibration_deadline = time.monotonic() + 30
    while counter.value < committed + 1 and time.monotonic() < calibration_deadline:
        time.sleep(0.0002)
    first = time.perf_counter()
    while counter.value < committed + 4 and time.monotonic() < calibration_deadline:
        time.sleep(0.0002)
    save_seconds = max(save_seconds, (time.perf_counter() - first) / 3)
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=10)
    committed = counter.value - 1
    if not _equals(_load(directory), worker.state(committed)):
        committed = counter.value
    assert _equals(_load(directory), worker.state(committed))
    # "new": the kill landed after save j committed (before the worker moved on); "old": during a
    # save, before its commit. "after_commit": the worker had committed at least one new
    # checkpoint in this round before the kill (so kills landed on both sides of commit points).
    outcomes = {"old": 0, "new": 0, "after_commit": 0, "first_save": 0}
    deadline = time.monotonic() + 60
    for kill in range(KILLS):
        start = committed
        counter = context.RawValue("q", committed)
        process = context.Process(target=worker.save_forever, args=(str(directory), committed, counter))
        process.start()
        while counter.value == committed and process.is_alive() and time.monotonic() < deadline:
            time.sleep(0.0005)  # wait until the worker has begun its first save
        # Half the kills early (mostly inside the first save), half later (after some commits).
        low, high = (0.0, 1.5) if kill % 2 == 0 else (1.5, 6.0)
        time.sleep(rng.uniform(low * save_seconds, high * save_seconds))
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
        outcomes["after_commit" if committed > start else "first_save"] += 1
        assert time.monotonic() < deadline, "kill loop took too long"
    # Kills landed both before the first commit and after commits (otherwise the test proves little).
    assert outcomes["first_save"] > 0 and outcomes["after_commit"] > 0, outcomes

    # The next save cleans up whatever the killed ones left: temp files and stale shards.
    worker.save_state(str(directory), committed + 1)
    assert _equals(_load(directory), worker.state(committed + 1))
    leftovers = [name for name in os.listdir(directory) if name.endswith(".tmp")]
    assert leftovers == []
    with CheckpointReader.open(directory) as reader:
        expected_files = {path.name for path in reader.files} | {reader.layout.entry.name}
    assert set(os.listdir(directory)) == expected_files
