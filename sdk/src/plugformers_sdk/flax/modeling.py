"""``PreTrainedModel`` for Flax NNX: canonical weights in and out, ``from_pretrained``, ``save_pretrained``.

A Flax model mirrors the Transformers PyTorch module tree attribute by attribute; the canonical
name of every tensor is its attribute path (see :mod:`plugformers_sdk.flax.canonical`). A
subclass builds its layers in ``__init__(self, config, *, rngs)`` after calling
``super().__init__(config, rngs=rngs)``, and ends with ``self.post_init()`` (which ties weights).
Every subclass ``__init__`` runs with the layers' default init std set to
``config.initializer_range`` (see :mod:`.initialization`).

Loading holds one copy of the weights: the model is first built with placeholder weights
(:func:`.initialization.abstract_scope`: shapes only, no memory, no tracing), then each variable
is set from the memory-mapped checkpoint tensor one at a time, cast to the requested dtype (JAX
keeps an aligned float32 tensor as a view of the file's pages, as PyTorch does). Weights the
checkpoint lacks (a new head) are initialised by running the constructor under ``jax.jit`` and
returning only those values, so XLA computes nothing else.

Outputs are ``plugformers.outputs`` classes registered as JAX pytrees, so forward passes can run
under ``nnx.jit`` and return them.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from plugformers.configuration import PretrainedConfig
from plugformers.errors import CheckpointError, ConfigError
from plugformers_sdk.weights import LoadReport, plan_load, resolve_dtype

from .. import pretrained_io
from .canonical import CanonicalTensor, find_layer, walk_canonical
from .generation import FlaxGenerationMixin
from .initialization import abstract_scope, initializer_scope, seed_key
from .pytrees import register_model_outputs

logger = logging.getLogger(__name__)

_JNP_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16}


def jax_dtype(dtype: Any, config: PretrainedConfig | None = None):
    """The JAX dtype for ``dtype`` ("float32" | "bfloat16" | "float16" | "auto" | None -> float32)."""
    return _JNP_DTYPES[resolve_dtype(dtype, config) or "float32"]


def _is_abstract(variable: nnx.Variable) -> bool:
    return isinstance(variable.get_value(), jax.ShapeDtypeStruct)


def _cast_params(model: nnx.Module, dtype) -> None:
    """Cast every floating-point ``nnx.Param`` to ``dtype``, one variable at a time."""
    for _path, variable in nnx.to_flat_state(nnx.state(model, nnx.Param)):
        value = variable.get_value()
        if jnp.issubdtype(value.dtype, jnp.floating) and value.dtype != dtype:
            variable.set_value(value.astype(dtype))


class PreTrainedModel(FlaxGenerationMixin, nnx.Module):
    """Base of every Flax model of every architecture plugin."""

    config_class: ClassVar[type[PretrainedConfig] | None] = None
    base_model_prefix: ClassVar[str] = ""
    tied_weights: ClassVar[dict[str, str]] = {}
    ignore_on_load_missing: ClassVar[tuple[str, ...]] = ()
    ignore_on_load_unexpected: ClassVar[tuple[str, ...]] = ()
    framework: ClassVar[str] = "flax"
    main_input_name: ClassVar[str] = "input_ids"

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_plugformers_scoped", False):
            cls.__init__ = _with_initializer_range(init)

    def __init__(self, config: PretrainedConfig, *, rngs: nnx.Rngs):
        if self.config_class is not None and not isinstance(config, self.config_class):
            raise ConfigError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(config).__name__}"
            )
        register_model_outputs()
        self.config = config
        self.load_report = None

    def post_init(self) -> None:
        """Call at the end of a subclass ``__init__``: ties weights."""
        self.tie_weights()

    # -- canonical tensors ------------------------------------------------------------------
    def canonical_tensor_map(self) -> dict[str, CanonicalTensor]:
        """Canonical name -> :class:`CanonicalTensor`, in module-tree order (tied copies absent)."""
        tensors: dict[str, CanonicalTensor] = {}
        for name, tensor in walk_canonical(self):
            if name in tensors:
                raise ConfigError(f"{type(self).__name__}: two tensors claim the canonical name {name!r}")
            tensors[name] = tensor
        return tensors

    def canonical_state_dict(self, *, include_tied: bool = True) -> dict[str, np.ndarray]:
        """Every tensor as NumPy, Transformers-PyTorch names and layouts.

        Tied targets are listed too (the same array as their source), like PyTorch's state dict;
        ``include_tied=False`` leaves them out, as ``save_pretrained`` does.
        """
        tensors = {name: tensor.to_numpy() for name, tensor in self.canonical_tensor_map().items()}
        if include_tied:
            for target, source in self.active_tied_weights().items():
                if target not in tensors and source in tensors:
                    tensors[target] = tensors[source]
        return tensors

    def active_tied_weights(self) -> dict[str, str]:
        """``tied_weights`` when ``config.tie_word_embeddings`` is set, else ``{}``."""
        return dict(self.tied_weights) if getattr(self.config, "tie_word_embeddings", True) else {}

    def tie_weights(self) -> None:
        """Make each tied target layer share its source's variable (idempotent)."""
        for target, source in self.active_tied_weights().items():
            try:
                target_layer, _ = find_layer(self, target)
                source_layer, _ = find_layer(self, source)
            except (AttributeError, IndexError, ValueError) as exc:
                raise ConfigError(f"{type(self).__name__}.tied_weights names {target!r} -> {source!r}: {exc}") from exc
            if getattr(target_layer, "tied_embedding", None) is source_layer:
                continue
            tie_to = getattr(target_layer, "tie_to", None)
            if tie_to is None:
                raise ConfigError(f"{type(self).__name__}: {target!r} belongs to a layer that cannot be tied")
            tie_to(source_layer)

    def load_canonical_state_dict(self, tensors: Mapping[str, Any], *, strict: bool = False,
                                  source: object = "state dict") -> LoadReport:
        """Set variables from canonical tensors (NumPy or any array type with ``shape``).

        Mis-shaped tensors raise ``CheckpointError`` naming each (and, if ``strict``, so do
        missing and unexpected ones), before anything is assigned. Returns the report.
        """
        ours = self.canonical_tensor_map()
        plan = plan_load(
            {name: tensor.shape for name, tensor in ours.items()},
            {name: tuple(np.shape(value)) for name, value in tensors.items()},
            base_model_prefix=self.base_model_prefix,
            tied=self.active_tied_weights(),
            ignore_missing=self.ignore_on_load_missing,
            ignore_unexpected=self.ignore_on_load_unexpected,
        )
        plan.report.raise_if_errors(source, strict=strict)
        for model_name, checkpoint_name in plan.assignments.items():
            tensor = ours[model_name]
            tensor.assign(np.asarray(tensors[checkpoint_name]), tensor.variable.get_value().dtype)
        return plan.report

    # -- embeddings, sizes --------------------------------------------------------------------
    def get_input_embeddings(self) -> nnx.Module | None:
        """The embedding layer named as the source of the first tied weight (override otherwise)."""
        for source in self.tied_weights.values():
            return find_layer(self, source)[0]
        return None

    def get_output_embeddings(self) -> nnx.Module | None:
        """The layer named as the target of the first tied weight (override otherwise)."""
        for target in self.tied_weights:
            return find_layer(self, target)[0]
        return None

    @property
    def base_model(self) -> nnx.Module:
        """The base model inside a head model (``self.model``), or ``self``."""
        prefix = self.base_model_prefix
        return getattr(self, prefix, self) if prefix else self

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Number of parameters; a tied variable counts once. (Every ``nnx.Param`` is trainable.)"""
        from .layers import Embedding

        excluded: set[int] = set()
        if exclude_embeddings:
            excluded = {id(m.weight) for _, m in nnx.iter_modules(self) if isinstance(m, Embedding)}
        return sum(
            int(np.prod(v.get_value().shape))
            for _, v in nnx.to_flat_state(nnx.state(self, nnx.Param))
            if id(v) not in excluded
        )

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: PretrainedConfig, *, dtype: Any = None, seed: int = 0):
        """A randomly initialised model in eval mode (``seed`` drives every initialiser and
        dropout stream; call ``model.train()`` to train)."""
        target = jax_dtype(dtype, config)
        model = cls(config, rngs=nnx.Rngs(seed))
        if target != jnp.float32:
            _cast_params(model, target)
        model.eval()
        return model

    @classmethod
    @pretrained_io.gc_paused
    def from_pretrained(
        cls,
        reference: str | os.PathLike[str],
        *,
        config: PretrainedConfig | None = None,
        dtype: Any = None,
        seed: int = 0,
        revision: str | None = None,
        token: str | bool | None = None,
        local_files_only: bool = False,
        cache_dir: str | os.PathLike[str] | None = None,
        subfolder: str | None = None,
        **config_overrides: Any,
    ):
        """Load a checkpoint (local directory, Hub id or checkpoint-source name) in eval mode.

        ``model.load_report`` lists missing, unexpected and mis-shaped tensors; missing ones are
        newly initialised (and logged), mis-shaped ones raise ``CheckpointError``.
        """
        hub_kwargs = {"revision": revision, "token": token, "local_files_only": local_files_only,
                      "cache_dir": cache_dir, "subfolder": subfolder}
        config_class = cls.config_class or (type(config) if config is not None else None)
        if config_class is None:
            raise ConfigError(f"{cls.__name__} declares no config_class; pass config=")
        directory, config = pretrained_io.resolve_pretrained(
            config_class, reference, config=config, hub_kwargs=hub_kwargs, config_overrides=config_overrides,
        )
        target = jax_dtype(dtype, config)
        with abstract_scope():
            model = cls(config, rngs=nnx.Rngs(seed_key(seed)))
        with pretrained_io.open_weights(directory) as reader:
            report = model._load_from_reader(reader, target)
        model._materialise_abstract(config, seed, target)
        model.load_report = report
        if report.missing:
            logger.warning("Some weights of %s were not in %s and are newly initialized: %s",
                           cls.__name__, directory, ", ".join(report.missing))
        if report.unexpected:
            logger.info("Some weights of %s were not used by %s: %s", directory, cls.__name__,
                        ", ".join(report.unexpected))
        model.eval()
        return model

    def _load_from_reader(self, reader: Any, dtype) -> LoadReport:
        ours = self.canonical_tensor_map()
        plan = plan_load(
            {name: tensor.shape for name, tensor in ours.items()},
            pretrained_io.checkpoint_shapes(reader),
            base_model_prefix=self.base_model_prefix,
            tied=self.active_tied_weights(),
            ignore_missing=self.ignore_on_load_missing,
            ignore_unexpected=self.ignore_on_load_unexpected,
        )
        plan.report.raise_if_errors(getattr(reader, "path", reader))
        for model_name, checkpoint_name in plan.assignments.items():
            ours[model_name].assign(reader.get_numpy(checkpoint_name), dtype, owned=True)
        return plan.report

    def _materialise_abstract(self, config: PretrainedConfig, seed: int, dtype) -> None:
        """Give every still-abstract variable (weights the checkpoint lacks) its initial value."""
        flat = list(nnx.to_flat_state(nnx.state(self)))
        pending = [path for path, variable in flat if _is_abstract(variable)]
        if not pending:
            return
        wanted = set(pending)
        cls = type(self)

        def initial_values() -> list[Any]:
            fresh = cls(config, rngs=nnx.Rngs(seed))
            values = dict((p, v.get_value()) for p, v in nnx.to_flat_state(nnx.state(fresh)) if p in wanted)
            return [values[p] for p in pending]

        values = jax.jit(initial_values)()
        by_path = dict(zip(pending, values))
        for path, variable in flat:
            if path in by_path:
                value = by_path[path]
                if isinstance(variable, nnx.Param) and jnp.issubdtype(value.dtype, jnp.floating):
                    value = value.astype(dtype)
                variable.set_value(value)

    # -- saving -------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | os.PathLike[str], *, max_shard_size: int | str = "5GB") -> list[Path]:
        """Write config.json and canonical safetensors (tied tensors once, under the source name),
        atomically; returns the files written."""
        abstract = [name for name, tensor in self.canonical_tensor_map().items() if _is_abstract(tensor.variable)]
        if abstract:
            raise CheckpointError(f"{directory}: cannot save abstract (unloaded) tensors: {', '.join(abstract)}")
        return pretrained_io.save_pretrained(
            directory, self.config, self.canonical_state_dict(include_tied=False), max_shard_size=max_shard_size,
            dtype=self.param_dtype_name(), class_name=type(self).__name__,
        )

    def param_dtype_name(self) -> str | None:
        """The dtype name of the floating-point parameters ("float32", "bfloat16", ...), if one."""
        for _path, variable in nnx.to_flat_state(nnx.state(self, nnx.Param)):
            dtype = variable.get_value().dtype
            if jnp.issubdtype(dtype, jnp.floating):
                return jnp.dtype(dtype).name
        return None


def _with_initializer_range(init: Callable) -> Callable:
    """Run a model ``__init__`` with the layers' default init std set to ``config.initializer_range``."""

    @functools.wraps(init)
    def __init__(self, config, *args, **kwargs):
        with initializer_scope(getattr(config, "initializer_range", 0.02)):
            init(self, config, *args, **kwargs)

    __init__._plugformers_scoped = True
    return __init__
