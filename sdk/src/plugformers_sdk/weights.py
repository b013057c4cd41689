"""Framework-neutral bookkeeping for loading canonical weights.

- :class:`LoadReport`: what a load left missing, did not use, or found mis-shaped.
- :func:`match_prefix`: the Transformers rule that lets a head model load a base-model
  checkpoint (keys lack ``bert.``) and a base model load a head checkpoint (keys carry it).
- :func:`plan_load`: given the tensors a model expects and those a checkpoint holds, decide which
  checkpoint tensor goes where and produce the report. Each framework's base class walks its
  own module tree for the expected names and shapes, then assigns what the plan says.
- dtype names: :func:`normalise_dtype`, :func:`resolve_dtype`, ``SAFETENSORS_DTYPES``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plugformers.errors import CheckpointError, ConfigError

Shape = tuple[int, ...]


@dataclass
class LoadReport:
    """Outcome of loading tensors into a model, by canonical name."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, Shape, Shape]] = field(default_factory=list)  # (name, checkpoint, model)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def raise_if_errors(self, source: object, *, strict: bool = False) -> None:
        """Raise ``CheckpointError`` naming every mis-shaped tensor (and, if ``strict``, every
        missing or unexpected one); ``source`` names the checkpoint in the message."""
        problems = [
            f"{name}: checkpoint shape {tuple(ckpt)} != model shape {tuple(model)}"
            for name, ckpt, model in self.mismatched
        ]
        if strict:
            problems += [f"{name}: missing from the checkpoint" for name in self.missing]
            problems += [f"{name}: in the checkpoint but not used by the model" for name in self.unexpected]
        if problems:
            raise CheckpointError(f"{source}: cannot load weights:\n  " + "\n  ".join(problems))

    def describe(self) -> str:
        parts = []
        if self.missing:
            parts.append(f"newly initialized (missing from the checkpoint): {', '.join(self.missing)}")
        if self.unexpected:
            parts.append(f"not used (unexpected): {', '.join(self.unexpected)}")
        if self.mismatched:
            parts.append("mis-shaped: " + ", ".join(f"{n} {tuple(c)} vs {tuple(m)}" for n, c, m in self.mismatched))
        return "; ".join(parts) or "all weights loaded"


def match_prefix(expected_keys: Iterable[str], checkpoint_keys: Iterable[str],
                 base_model_prefix: str) -> dict[str, str]:
    """Map each checkpoint key to the model's name for it.

    - Model expects ``prefix.*`` but the checkpoint has no ``prefix.`` key (a head loading a base
      checkpoint): every checkpoint key gains the prefix.
    - Checkpoint has ``prefix.*`` but the model expects none (a base model loading a head
      checkpoint): the prefix is dropped; the head's own tensors keep their names and end up
      unused (reported as unexpected, as Transformers does).
    - Otherwise names are kept.
    """
    expected = list(expected_keys)
    checkpoint = list(checkpoint_keys)
    if not base_model_prefix:
        return {k: k for k in checkpoint}
    dotted = base_model_prefix + "."
    model_has = any(k.startswith(dotted) for k in expected)
    checkpoint_has = any(k.startswith(dotted) for k in checkpoint)
    if model_has and not checkpoint_has:
        return {k: dotted + k for k in checkpoint}
    if checkpoint_has and not model_has:
        return {k: k[len(dotted):] if k.startswith(dotted) else k for k in checkpoint}
    return {k: k for k in checkpoint}


@dataclass
class LoadPlan:
    """``assignments`` maps a model tensor name to the checkpoint key whose data it takes."""

    assignments: dict[str, str]
    report: LoadReport


def _matches_any(name: str, patterns: Iterable[str]) -> bool:
    return any(re.search(p, name) for p in patterns)


def plan_load(
    expected: Mapping[str, Shape],
    checkpoint: Mapping[str, Shape],
    *,
    base_model_prefix: str = "",
    tied: Mapping[str, str] | None = None,
    ignore_missing: Iterable[str] = (),
    ignore_unexpected: Iterable[str] = (),
) -> LoadPlan:
    """Decide which checkpoint tensor loads into which model tensor.

    ``expected`` / ``checkpoint``: canonical name -> shape. ``tied``: target -> source of weights
    tied in this model (the target is derived from the source, so it is never missing and is not
    loaded; a checkpoint that holds only the target loads it into the source). ``ignore_*`` are
    regexes (``re.search``) of names left out of the report.
    """
    tied = dict(tied or {})
    ignore_missing, ignore_unexpected = tuple(ignore_missing), tuple(ignore_unexpected)
    rename = match_prefix(expected.keys(), checkpoint.keys(), base_model_prefix)
    by_model_name = {model_name: ckpt_name for ckpt_name, model_name in rename.items()}
    report = LoadReport()
    assignments: dict[str, str] = {}
    for ckpt_name, model_name in rename.items():
        if model_name in tied:
            source = tied[model_name]
            if source in expected and source not in by_model_name:
                model_name = source  # only the tied copy was saved: it feeds the source
            else:
                continue
        if model_name not in expected:
            if not _matches_any(model_name, ignore_unexpected):
                report.unexpected.append(ckpt_name)
            continue
        ckpt_shape, model_shape = tuple(checkpoint[ckpt_name]), tuple(expected[model_name])
        if ckpt_shape != model_shape:
            report.mismatched.append((model_name, ckpt_shape, model_shape))
            continue
        assignments[model_name] = ckpt_name
    for name in expected:
        if name in assignments or name in tied or any(name == m for m, _, _ in report.mismatched):
            continue
        if not _matches_any(name, ignore_missing):
            report.missing.append(name)
    return LoadPlan(assignments=assignments, report=report)


# -- dtypes ---------------------------------------------------------------------------------

FLOAT_DTYPES = ("float32", "bfloat16", "float16")

_DTYPE_ALIASES = {
    "float32": "float32", "float": "float32", "fp32": "float32", "f32": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "half": "float16", "fp16": "float16", "f16": "float16",
    "auto": "auto",
}

# safetensors dtype codes -> NumPy-style names.
SAFETENSORS_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool",
}


def normalise_dtype(dtype: Any, *, argument: str = "dtype") -> str | None:
    """``"float32" | "bfloat16" | "float16" | "auto" | None`` from a name or a framework dtype
    object (``torch.float16``, ``np.float32``, ``jnp.bfloat16``, ``tf.float16``...). Anything
    else is a ``ConfigError`` naming ``argument``."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        text = dtype
    else:
        text = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or str(dtype)
    text = str(text).lower().removeprefix("torch.").removeprefix("<dtype: '").removesuffix("'>")
    try:
        return _DTYPE_ALIASES[text]
    except KeyError:
        raise ConfigError(f"{argument}={dtype!r} is not one of 'float32', 'bfloat16', 'float16', 'auto'") from None


def resolve_dtype(dtype: Any, config: Any = None) -> str | None:
    """Like :func:`normalise_dtype`, with ``"auto"`` replaced by the config's ``torch_dtype``
    (or Transformers v5's ``dtype``); ``None`` when nothing was asked (framework default)."""
    name = normalise_dtype(dtype)
    if name != "auto":
        return name
    declared = getattr(config, "torch_dtype", None) or getattr(config, "dtype", None)
    if declared is None:
        return None
    resolved = normalise_dtype(declared, argument="config.torch_dtype")
    return None if resolved == "auto" else resolved
