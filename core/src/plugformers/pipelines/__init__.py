"""``pipeline(task, model=..., tokenizer=..., framework=..., device=...)``.

Tasks are registered through the ``register_tasks`` hook (core's own tasks by
``plugformers.builtin.tasks``), so a plugin can add one. ``model`` may be a model object or a
reference (directory, Hub id, checkpoint-source name); without one, the task's default model is
used, resolved offline through a checkpoint source when the package that carries it is installed.
"""

from __future__ import annotations

from typing import Any

from ..errors import MissingDependencyError, PipelineError


def pipeline(task: str, model: Any = None, tokenizer: Any = None, *, framework: str | None = None,
             device: Any = None, batch_size: int = 1, **kwargs: Any):
    from ..auto import AutoConfig, AutoTokenizer, resolve_model_class
    from ..frameworks import normalise_framework
    from ..hub import split_hub_kwargs
    from ..registry import get_registry

    registry = get_registry()
    record = registry.task(task)
    pipeline_class = registry.load(record.pipeline)
    hub_kwargs, rest = split_hub_kwargs(kwargs)
    model_kwargs = rest.pop("model_kwargs", {})
    gguf_file = rest.pop("gguf_file", None)
    if model is None:
        if record.default_model is None:
            raise PipelineError(f"pipeline {task!r} has no default model: pass model=")
        model = record.default_model
    if isinstance(model, str) or hasattr(model, "__fspath__"):
        reference = model
        if gguf_file is None:
            gguf_file = lone_gguf_file(reference, registry)
        if gguf_file:
            model_kwargs = {**model_kwargs, "gguf_file": gguf_file}
        config = model_kwargs.pop("config", None) or (
            None if gguf_file else AutoConfig.from_pretrained(reference, **hub_kwargs))
        fw = normalise_framework(framework or "pt")
        model_class = None
        if config is not None:
            for head in record.heads:
                try:
                    model_class = resolve_model_class(config, head, fw, registry)
                    break
                except MissingDependencyError as err:
                    last_error = err
            if model_class is None:
                raise last_error
            model = model_class.from_pretrained(reference, config=config, **hub_kwargs, **model_kwargs)
        else:
            from .. import auto

            head_class = next(cls for name, cls in auto.AUTO_CLASSES.items()
                              if cls.head == record.heads[0] and cls.framework is None)
            model = head_class.from_pretrained(reference, framework=fw, **hub_kwargs, **model_kwargs)
        if tokenizer is None:
            tok_kwargs = {"gguf_file": gguf_file} if gguf_file else {}
            tokenizer = AutoTokenizer.from_pretrained(reference, **hub_kwargs, **tok_kwargs)
    elif framework is not None and getattr(type(model), "framework", None) != normalise_framework(framework):
        raise PipelineError(f"framework={framework!r} but the model given is a {type(model).__name__}")
    if isinstance(tokenizer, str):
        tokenizer = AutoTokenizer.from_pretrained(tokenizer, **hub_kwargs)
    if tokenizer is None:
        raise PipelineError(f"pipeline {task!r}: pass tokenizer= with a model object")
    return pipeline_class(model, tokenizer, device=device, batch_size=batch_size, **rest)


def lone_gguf_file(reference: Any, registry: Any) -> str | None:
    """The one ``.gguf`` file of a local or source-served directory that has no ``config.json``."""
    from pathlib import Path

    directory = Path(reference) if Path(reference).is_dir() else registry.resolve_source(str(reference))
    if directory is None or (directory / "config.json").exists():
        return None
    found = sorted(p.name for p in directory.glob("*.gguf"))
    return found[0] if len(found) == 1 else None


__all__ = ["pipeline"]
