"""Byte sizes written as ``"5GB"``, ``"500MB"`` or ``"10KiB"`` (the ``max_shard_size`` argument).

Semantics follow Transformers: ``KB``/``MB``/``GB``/``TB`` are decimal (10**3, 10**6, ...),
``KiB``/``MiB``/``GiB``/``TiB`` are binary (2**10, 2**20, ...), and a decimal unit whose last
letter is a lower-case ``b`` counts bits (``"8Mb"`` is one megabyte). A plain integer is bytes.
"""

from __future__ import annotations

import re

from ..errors import ConfigError

_DECIMAL = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_BINARY = {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


def parse_size(size: int | str, *, name: str = "size") -> int:
    """Return ``size`` in bytes; ``name`` is the argument named in the error message."""
    if isinstance(size, bool) or not isinstance(size, (int, str)):
        raise ConfigError(f"{name}={size!r} must be an int (bytes) or a string like '5GB', '500MB' or '10KiB'")
    if isinstance(size, int):
        value = size
    else:
        match = _SIZE.match(size)
        if match is None:
            raise ConfigError(
                f"{name}={size!r} is not a size: use an integer followed by a unit, e.g. '5GB' or '10KiB'"
            )
        number, unit = float(match.group(1)), match.group(2)
        upper = unit.upper()
        if upper in _BINARY:
            value = int(number * _BINARY[upper])
        elif upper in _DECIMAL:
            value = int(number * _DECIMAL[upper])
            if unit.endswith("b") and upper != "B":  # "Mb", "gb": bits, as in Transformers
                value //= 8
        else:
            raise ConfigError(
                f"{name}={size!r} has an unknown unit {unit!r}: use B, KB, MB, GB, TB (decimal) or KiB, MiB, GiB, TiB"
            )
    if value <= 0:
        raise ConfigError(f"{name}={size!r} must be a positive number of bytes")
    return value
