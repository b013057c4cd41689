"""Finding and reading tokenizer files; every failure is a TokenizerError naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ModelReferenceError, TokenizerError

# Files every tokenizer may have besides its vocabulary (Transformers' names).
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"
TOKENIZER_FILE = "tokenizer.json"
CHAT_TEMPLATE_FILE = "chat_template.jinja"


def resolve_tokenizer_file(reference: str | Path, filename: str, hub_kwargs: dict[str, Any]) -> Path | None:
    """The local path of ``filename`` for ``reference``, or None when the reference has no such file.

    Goes through ``plugformers.hub.resolve_file`` (local directory, checkpoint source or Hub);
    when that module is not available, only local directories are understood.
    """
    try:
        from ..hub import resolve_file  # type: ignore[attr-defined]
    except ImportError:
        resolve_file = None
    if resolve_file is not None:
        try:
            path = resolve_file(reference, filename, required=False, **hub_kwargs)
        except ModelReferenceError as error:
            raise TokenizerError(f"cannot load a tokenizer from {str(reference)!r}: {error}") from error
        return Path(path) if path is not None else None
    directory = Path(reference)
    if hub_kwargs.get("subfolder"):
        directory = directory / hub_kwargs["subfolder"]
    if not directory.is_dir():
        raise TokenizerError(f"cannot load a tokenizer from {str(reference)!r}: not a directory")
    path = directory / filename
    return path if path.is_file() else None


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of ``path`` (TokenizerError naming it if missing or not UTF-8)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TokenizerError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TokenizerError(f"cannot read {what} {path}: {error}") from None


def read_json(path: str | Path, what: str = "file", expect: type = dict) -> Any:
    """Parse JSON from ``path``; TokenizerError naming the file when missing, invalid or of the wrong type."""
    text = read_text(path, what)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise TokenizerError(f"{what} {path} is not valid JSON: {error}") from None
    if not isinstance(value, expect):
        raise TokenizerError(f"{what} {path} must hold a JSON {expect.__name__}, not {type(value).__name__}")
    return value


def write_json(path: str | Path, value: Any) -> None:
    """Write ``value`` as pretty, key-sorted UTF-8 JSON (the style Transformers writes)."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    _atomic_write_text(Path(path), text)


def _atomic_write_text(path: Path, text: str) -> None:
    try:
        from ..checkpoint import atomic_write_text  # type: ignore[attr-defined]
    except ImportError:
        atomic_write_text = None
    if atomic_write_text is not None:
        atomic_write_text(path, text)
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` atomically (beside, then rename)."""
    _atomic_write_text(Path(path), text)
