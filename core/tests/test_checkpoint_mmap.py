"""Reading a tensor maps the file instead of allocating the tensor's size of anonymous memory."""

from __future__ import annotations

import mmap
import sys

import numpy as np
import pytest

from plugformers.checkpoint import CheckpointReader, save_checkpoint

SIZE = 64 * 2**20  # 64 MiB: large enough to see in RssAnon, small enough to stay fast


def _rss_anon_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/self/status")


@pytest.fixture(scope="module")
def big_checkpoint(tmp_path_factory):
    directory = tmp_path_factory.mktemp("big")
    save_checkpoint({"big": np.ones(SIZE // 4, dtype=np.float32), "small": np.zeros(3, dtype=np.float32)}, directory)
    return directory


def test_numpy_array_is_a_view_of_the_memory_map(big_checkpoint):
    with CheckpointReader.open(big_checkpoint) as reader:
        array = reader.get_numpy("big")
        assert not array.flags.owndata and not array.flags.writeable
        base = array
        while isinstance(base, np.ndarray) and base.base is not None:
            base = base.base
        if isinstance(base, memoryview):
            base = base.obj
        assert isinstance(base, mmap.mmap)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc/self/status (Linux)")
def test_reading_a_big_tensor_does_not_allocate_its_size(big_checkpoint):
    with CheckpointReader.open(big_checkpoint) as reader:
        before = _rss_anon_kib()
        array = reader.get_numpy("big")
        total = float(array.sum(dtype=np.float64))  # touches every page
        grown = (_rss_anon_kib() - before) * 1024
        assert total == SIZE // 4
        assert grown < SIZE // 4, f"anonymous memory grew by {grown} bytes reading a {SIZE}-byte tensor"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc/self/status (Linux)")
def test_torch_tensor_shares_the_map(big_checkpoint):
    torch = pytest.importorskip("torch")
    with CheckpointReader.open(big_checkpoint) as reader:
        before = _rss_anon_kib()
        tensor = reader.get_torch("big")
        assert float(tensor.sum(dtype=torch.float64)) == SIZE // 4
        assert (_rss_anon_kib() - before) * 1024 < SIZE // 4


def test_closing_the_reader_keeps_live_torch_tensors_valid(tmp_path):
    """Regression: torch tensors from get_torch must keep the map alive after close() (it used to segfault)."""
    import subprocess
    import sys

    pytest.importorskip("torch", reason="torch not installed")
    code = f"""
import numpy as np
from plugformers.checkpoint import save_checkpoint, CheckpointReader
save_checkpoint({{"w": np.arange(1 << 20, dtype=np.float32)}}, {str(tmp_path)!r})
reader = CheckpointReader.open({str(tmp_path)!r})
tensor = reader.get_torch("w")
reader.close()
print(float(tensor[-1]))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == float((1 << 20) - 1)
