"""Model references: a local directory, a name served by a checkpoint source, or a Hub repo id.

``resolve_file(reference, filename)`` finds one file of a model, trying in order:

1. an existing local directory (a path that exists but is a file, or a directory without the
   file, is an error naming both -- never a Hub lookup);
2. a directory served by a registered checkpoint source
   (``plugformers.registry.get_registry().resolve_source``);
3. the Hugging Face Hub through ``huggingface_hub.hf_hub_download`` (imported lazily), with its
   cache, ``revision``, ``token``, ``cache_dir``, ``subfolder``, ``local_files_only`` and the
   ``HF_HUB_OFFLINE`` environment variable (read at call time).

Every failure is a :class:`~plugformers.errors.ModelReferenceError` naming the reference and the
file and saying what to do. ``resolve_checkpoint_dir`` resolves ``config.json`` plus the weights
(``model.safetensors``, or the shard index and every shard it names, or the legacy
``pytorch_model.bin`` files) and returns the local directory holding them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import CheckpointError, ConfigError, ModelReferenceError

HUB_KWARGS = ("revision", "token", "local_files_only", "cache_dir", "subfolder")

CONFIG_NAME = "config.json"

# A Hub repo id: "name" or "namespace/name"; letters, digits, "-", "_", "."; no "--" or "..";
# it neither starts nor ends with "-" or "."; at most 96 characters per part.
_REPO_PART = r"(?!.*(?:--|\.\.))[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,94}[A-Za-z0-9_])?"
_REPO_ID = re.compile(rf"(?:{_REPO_PART}/)?{_REPO_PART}")
_TRUE = {"1", "ON", "YES", "TRUE"}


def split_hub_kwargs(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``kwargs`` into the Hub arguments (:data:`HUB_KWARGS`) and the rest."""
    hub = {key: value for key, value in kwargs.items() if key in HUB_KWARGS}
    rest = {key: value for key, value in kwargs.items() if key not in HUB_KWARGS}
    return hub, rest


def is_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set to a true value."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").strip().upper() in _TRUE:
            return True
    return False


def is_repo_id(reference: str) -> bool:
    """Whether ``reference`` is spelled like a Hub repo id (``name`` or ``namespace/name``)."""
    return _REPO_ID.fullmatch(reference) is not None


def resolve_file(
    reference: str | os.PathLike[str],
    filename: str,
    *,
    revision: str | None = None,
    token: str | bool | None = None,
    local_files_only: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    subfolder: str | None = None,
    required: bool = True,
) -> Path | None:
    """The local path of ``filename`` of the model ``reference`` (see the module docstring).

    A missing file is a ModelReferenceError when ``required``, else None.
    """
    directory = local_directory(reference)
    if directory is not None:
        return _file_in_directory(reference, directory, filename, subfolder, required)
    return _hub_file(
        str(reference),
        filename,
        revision=revision,
        token=token,
        local_files_only=local_files_only,
        cache_dir=cache_dir,
        subfolder=subfolder,
        required=required,
    )


def local_directory(reference: str | os.PathLike[str]) -> Path | None:
    """The directory ``reference`` names locally or through a checkpoint source; None for a Hub id.

    A reference that is neither an existing directory, nor served by a source, nor spelled like
    a Hub repo id is a ModelReferenceError.
    """
    if not isinstance(reference, (str, os.PathLike)) or not str(reference):
        raise ModelReferenceError(f"model reference must be a non-empty string or path, got {reference!r}")
    path = Path(reference).expanduser()
    if path.is_dir():
        return path
    if path.exists():
        raise ModelReferenceError(
            f"model reference {str(reference)!r} is a file, not a directory: pass the directory that holds"
            " config.json and the weights"
        )
    served = _checkpoint_source(str(reference))
    if served is not None:
        if not served.is_dir():
            raise ModelReferenceError(
                f"the checkpoint source serving {str(reference)!r} returned {served}, which is not a directory"
            )
        return served
    if isinstance(reference, os.PathLike) or not is_repo_id(str(reference)):
        raise ModelReferenceError(
            f"model reference {str(reference)!r} is not an existing local directory, not a name served by an"
            " installed checkpoint source, and not a valid Hub repo id ('name' or 'namespace/name'):"
            " check the path, or install the plugin that provides it"
        )
    return None


def _checkpoint_source(reference: str) -> Path | None:
    try:
        from .registry import get_registry

        resolve = get_registry().resolve_source
    except (ImportError, AttributeError):  # registry not available: no sources
        return None
    result = resolve(reference)
    return None if result is None else Path(result)


def _file_in_directory(
    reference: str | os.PathLike[str], directory: Path, filename: str, subfolder: str | None, required: bool
) -> Path | None:
    folder = directory / subfolder if subfolder else directory
    path = folder / filename
    if path.is_file():
        return path
    if not required:
        return None
    if path.exists():
        raise ModelReferenceError(f"model reference {str(reference)!r}: {path} is not a file")
    raise ModelReferenceError(f"model reference {str(reference)!r}: directory {folder} has no file {filename!r}")


def _hub_file(
    repo_id: str,
    filename: str,
    *,
    revision: str | None,
    token: str | bool | None,
    local_files_only: bool,
    cache_dir: str | os.PathLike[str] | None,
    subfolder: str | None,
    required: bool,
) -> Path | None:
    try:
        import huggingface_hub
        from huggingface_hub import errors as hub_errors
    except ImportError:
        raise ModelReferenceError(
            f"{repo_id!r} is not a local directory; downloading it from the Hub needs huggingface_hub:"
            " pip install huggingface_hub"
        ) from None
    offline = local_files_only or is_offline()
    where = f"{filename!r} of Hub repo {repo_id!r}" + (f" (revision {revision!r})" if revision else "")
    if subfolder:
        where += f" in subfolder {subfolder!r}"
    try:
        path = huggingface_hub.hf_hub_download(
            repo_id,
            filename,
            subfolder=subfolder or None,
            revision=revision,
            token=token,
            cache_dir=None if cache_dir is None else str(cache_dir),
            local_files_only=offline,
        )
    except hub_errors.GatedRepoError as error:
        raise ModelReferenceError(
            f"cannot download {where}: the repo is gated; accept its terms on the Hub and pass token=... ({error})"
        ) from None
    except hub_errors.RepositoryNotFoundError:
        raise ModelReferenceError(
            f"cannot download {where}: no such repo on the Hub, or it is private (pass token=... or log in with"
            " `hf auth login`); a local directory of that name does not exist either"
        ) from None
    except hub_errors.RevisionNotFoundError:
        raise ModelReferenceError(
            f"cannot download {where}: revision {revision!r} does not exist (use a branch, tag or commit hash)"
        ) from None
    except hub_errors.RemoteEntryNotFoundError:
        if not required:
            return None
        raise ModelReferenceError(f"{where} does not exist: the repo has no such file") from None
    except hub_errors.LocalEntryNotFoundError as error:
        if not required:
            return None
        if offline:
            reason = "local_files_only=True" if local_files_only else "HF_HUB_OFFLINE is set"
            raise ModelReferenceError(
                f"{where} is not in the local Hugging Face cache and downloads are disabled ({reason}):"
                " download it once while online (e.g. `plugformers download`), or pass a local directory"
            ) from None
        raise ModelReferenceError(
            f"cannot download {where} and it is not in the local cache: the Hub could not be reached"
            f" ({error.__cause__ or error}); check the connection or set HF_ENDPOINT"
        ) from None
    except hub_errors.OfflineModeIsEnabled:
        if not required:
            return None
        raise ModelReferenceError(
            f"{where} is not in the local cache and HF_HUB_OFFLINE is set: download it once while online"
        ) from None
    except hub_errors.HfHubHTTPError as error:
        raise ModelReferenceError(f"cannot download {where}: the Hub answered {error}") from None
    except hub_errors.HFValidationError as error:
        raise ModelReferenceError(f"model reference {repo_id!r} is not a valid Hub repo id: {error}") from None
    except ValueError as error:  # e.g. a malformed revision or file name
        raise ModelReferenceError(f"cannot download {where}: {error}") from None
    return Path(path)


def resolve_checkpoint_dir(reference: str | os.PathLike[str], **hub_kwargs: Any) -> Path:
    """A local directory holding ``config.json`` and the weight files of ``reference``.

    Local directories and checkpoint sources are checked in place; a Hub repo is downloaded into
    the huggingface_hub cache (config, then ``model.safetensors``, or the shard index and all
    its shards, or the legacy ``pytorch_model.bin`` / its index and shards) and its snapshot
    directory is returned.
    """
    unknown = sorted(set(hub_kwargs) - set(HUB_KWARGS))
    if unknown:
        raise ConfigError(f"resolve_checkpoint_dir got unknown arguments {unknown}; accepted: {list(HUB_KWARGS)}")
    subfolder = hub_kwargs.get("subfolder")
    directory = local_directory(reference)
    if directory is not None:
        folder = directory / subfolder if subfolder else directory
        _file_in_directory(reference, directory, CONFIG_NAME, subfolder, required=True)
        _check_local_weights(reference, folder)
        return folder
    config = resolve_file(reference, CONFIG_NAME, **hub_kwargs)
    assert config is not None
    folder = config.parent
    from .checkpoint.layout import WEIGHT_FILE_ORDER

    for name, sharded, _ in WEIGHT_FILE_ORDER:
        entry = resolve_file(reference, name, required=False, **hub_kwargs)
        if entry is None:
            continue
        if sharded:
            for shard in _index_shards(reference, entry):
                resolve_file(reference, shard, **hub_kwargs)
        return folder
    names = ", ".join(name for name, _, _ in WEIGHT_FILE_ORDER)
    raise ModelReferenceError(f"Hub repo {str(reference)!r} has a config.json but no weights (looked for {names})")


def _check_local_weights(reference: str | os.PathLike[str], folder: Path) -> None:
    from .checkpoint.layout import WEIGHT_FILE_ORDER, find_weights

    if find_weights(folder) is None:
        names = ", ".join(name for name, _, _ in WEIGHT_FILE_ORDER)
        raise ModelReferenceError(
            f"model reference {str(reference)!r}: directory {folder} has no weights (looked for {names})"
        )


def _index_shards(reference: str | os.PathLike[str], index_path: Path) -> list[str]:
    from .checkpoint.shard_index import read_shard_index

    try:
        return read_shard_index(index_path, check_files=False).shard_files()
    except CheckpointError as error:
        raise ModelReferenceError(f"model reference {str(reference)!r}: {error}") from None
