"""One bad-input case: how to build it, what to do with it, and what must be raised."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], Any]  # makes the input in a temporary directory, returns what `act` takes
    act: Callable[[Any], Any]  # must raise `error`
    error: type[BaseException]
    fragment: str  # must appear in the message: the file, field or argument at fault
    needs: str | None = None  # a module the case needs (skipped with a reason when absent)
    check_after: Callable[[], bool] | None = None  # an extra invariant (e.g. a payload did not run)
