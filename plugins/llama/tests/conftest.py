"""Puts this directory on ``sys.path`` so the tests share :mod:`llama_test_support` (tiny configs,
inputs, the oracle-reference reader)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
