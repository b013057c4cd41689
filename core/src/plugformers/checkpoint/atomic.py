"""Atomic file writes: write beside the target under a temporary name, fsync, then rename.

A reader never sees a half-written file: until :func:`os.replace` the target keeps its old
content (or does not exist), afterwards it has the complete new content. A process killed in
between leaves a temporary file named ``.<target name>.<random>.tmp`` beside the target; no
loader reads such names and :func:`remove_temp_files` deletes them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{12}\.tmp$")


def temp_path_for(path: Path) -> Path:
    """A fresh temporary name in the directory of ``path`` (same file system, so rename is atomic)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def temp_target_name(name: str) -> str | None:
    """The target file name of a temporary file name made by :func:`temp_path_for`, else None."""
    match = _TEMP_NAME.match(name)
    return match.group("target") if match else None


def fsync_directory(directory: Path) -> None:
    """Make renames and deletions in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` for binary writing; on success it replaces ``path``.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(target)
    try:
        with open(temp, "xb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    fsync_directory(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode(encoding))


def remove_temp_files(directory: Path, patterns: tuple[str, ...] | None = None) -> list[Path]:
    """Delete temporary files left in ``directory`` by killed writes.

    With ``patterns`` (regular expressions), only temporary files whose target name fully
    matches one of them are deleted.
    """
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        target = temp_target_name(name)
        if target is None or (patterns is not None and not any(re.fullmatch(p, target) for p in patterns)):
            continue
        with contextlib.suppress(OSError):
            (directory / name).unlink()
            removed.append(directory / name)
    return removed
