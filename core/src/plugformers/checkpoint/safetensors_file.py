"""One safetensors file, read lazily through a memory map.

The header is validated first (:mod:`.safetensors_header`); the file is then mapped
copy-on-write (``mmap.ACCESS_COPY``), so reading a tensor costs page-cache pages of the file,
not anonymous memory, and a caller that writes into a returned torch tensor changes only its
private copy of those pages, never the file. NumPy arrays are returned read-only.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from pathlib import Path
from typing import Any

from ..errors import CheckpointError
from .dtypes import numpy_dtype, torch_dtype
from .safetensors_header import SafetensorsHeader, TensorEntry, read_safetensors_header


class SafetensorsFile:
    """A validated safetensors file; tensors are views of its memory map."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.header: SafetensorsHeader = read_safetensors_header(self.path)
        self._map: mmap.mmap | None = None
        self._lent: set[str] = set()  # tensors whose mapped memory read_numpy has handed out

    # -- metadata ---------------------------------------------------------------------------
    def keys(self) -> list[str]:
        return list(self.header.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.header.entries

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.header.metadata)

    def entry(self, name: str) -> TensorEntry:
        try:
            return self.header.entries[name]
        except KeyError:
            raise CheckpointError(f"{self.path}: no tensor named {name!r}") from None

    def shape(self, name: str) -> tuple[int, ...]:
        return self.entry(name).shape

    def dtype(self, name: str) -> str:
        return self.entry(name).dtype

    # -- data -------------------------------------------------------------------------------
    def _mapped(self) -> mmap.mmap:
        if self._map is None:
            try:
                with open(self.path, "rb") as handle:
                    size = os.fstat(handle.fileno()).st_size
                    if size != self.header.file_size:
                        raise CheckpointError(
                            f"{self.path}: file changed size since its header was read"
                            f" ({self.header.file_size} -> {size} bytes)"
                        )
                    self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
            except OSError as error:
                if isinstance(error, CheckpointError):
                    raise
                raise CheckpointError(f"{self.path}: cannot memory-map checkpoint file: {error}") from error
        return self._map

    def get_numpy(self, name: str) -> Any:
        """The tensor as a read-only NumPy array backed by the memory map (no copy)."""
        import numpy as np

        entry = self.entry(name)
        dtype = numpy_dtype(entry.dtype)
        if entry.numel == 0:
            array = np.empty(entry.shape, dtype=dtype)
        else:
            offset = self.header.data_start + entry.begin
            array = np.frombuffer(self._mapped(), dtype=dtype, count=entry.numel, offset=offset).reshape(entry.shape)
        array.flags.writeable = False
        return array

    def read_numpy(self, name: str) -> Any:
        """The tensor as a writable, 64-byte-aligned NumPy array that no other call returns, which
        a framework may adopt as its own buffer (TensorFlow does, through DLPack).

        The first read of a tensor that starts on a 64-byte boundary of the file is the memory of
        the file's copy-on-write map (no copy; writes stay private to the process, the file never
        changes). Any other read is a fresh aligned array read with plain file reads.
        """
        import numpy as np

        from .aligned import ALIGNMENT, aligned_empty

        entry = self.entry(name)
        offset = self.header.data_start + entry.begin
        if entry.numel and offset % ALIGNMENT == 0 and name not in self._lent:  # the map is page-aligned
            array = np.frombuffer(self._mapped(), dtype=numpy_dtype(entry.dtype), count=entry.numel, offset=offset)
            self._lent.add(name)
            return array.reshape(entry.shape)
        array = aligned_empty(entry.shape, numpy_dtype(entry.dtype))
        view = memoryview(array.reshape(-1).view("uint8"))
        try:
            with open(self.path, "rb", buffering=0) as handle:
                handle.seek(self.header.data_start + entry.begin)
                done = 0
                while done < entry.nbytes:
                    count = handle.readinto(view[done:])
                    if not count:
                        raise CheckpointError(f"{self.path}: file ends inside tensor {name!r}")
                    done += count
        except OSError as error:
            raise CheckpointError(f"{self.path}: cannot read tensor {name!r}: {error}") from error
        return array

    def get_torch(self, name: str) -> Any:
        """The tensor as a CPU torch.Tensor sharing the (copy-on-write) memory map."""
        import torch

        entry = self.entry(name)
        dtype = torch_dtype(entry.dtype)
        if entry.numel == 0:
            return torch.empty(entry.shape, dtype=dtype)
        offset = self.header.data_start + entry.begin
        buffer: Any = self._mapped()
        itemsize = torch.empty((), dtype=dtype).element_size()
        if offset % itemsize:
            # A misaligned tensor (possible in files not written by safetensors): copy it out.
            buffer, offset = bytearray(buffer[offset : offset + entry.nbytes]), 0
        import numpy as np

        # Through NumPy: the array holds an export of the map, so closing the reader while tensors
        # are alive cannot unmap their memory (torch.frombuffer alone holds no such export).
        raw = np.frombuffer(buffer, dtype=np.uint8, count=entry.nbytes, offset=offset)
        return torch.from_numpy(raw).view(dtype).reshape(entry.shape)

    def close(self) -> None:
        """Drop the memory map; arrays still in use keep their pages alive until they are freed."""
        if self._map is not None:
            with contextlib.suppress(BufferError):
                self._map.close()
            self._map = None

    def __enter__(self) -> SafetensorsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
