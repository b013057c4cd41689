"""``PreTrainedModel`` for TensorFlow: a ``keras.Model`` that loads and saves canonical checkpoints.

An architecture subclasses it, builds its layers in ``__init__`` with the same attribute names as
the PyTorch model (``self.embeddings``, ``self.encoder.layer[3].attention.self.query``...), and
writes ``call`` returning a ``plugformers.outputs`` class. The base class gives it:

- ``from_config(config, dtype=, seed=)`` and ``from_pretrained(reference, ...)``. Loading builds the
  model without creating its variables (:mod:`.deferred`), then creates each one from its
  checkpoint tensor, read into memory the variable adopts: one copy of the weights in all.
- ``canonical_state_dict()`` / ``load_canonical_state_dict()`` / ``save_pretrained()`` by walking
  the layer tree (:mod:`plugformers_sdk.tf.canonical`), never by guessing from names.
- ``__call__`` accepting a dict of inputs (``model({"input_ids": ...})``) and returning outputs
  that survive ``tf.function`` (:mod:`plugformers_sdk.tf.outputs`).
- ``fit`` on the model's own loss (:mod:`plugformers_sdk.tf.training`) and ``export`` to a
  SavedModel (:mod:`plugformers_sdk.tf.export`).

Keras reserves ``layers`` on models; an architecture may still name an attribute ``layers``
(Llama's ``model.layers.0...``): the base stores it like any other attribute.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from plugformers.configuration import PretrainedConfig
from plugformers.errors import ConfigError

from .. import pretrained_io
from ..weights import LoadReport, plan_load, resolve_dtype
from .canonical import CanonicalTensor, canonical_variables
from .deferred import deferred_variables, give_value, initialize
from .export import default_serving_signature, export_saved_model
from .framework import keras
from .generation import TFGenerationMixin
from .initialization import build_scope, current_build_state, fresh_value
from .training import InternalLossTraining

logger = logging.getLogger(__name__)


class PreTrainedModel(InternalLossTraining, TFGenerationMixin, keras.Model):
    """Base of every TensorFlow model of every architecture."""

    config_class: ClassVar[type[PretrainedConfig] | None] = None
    base_model_prefix: ClassVar[str] = ""
    tied_weights: ClassVar[dict[str, str]] = {}
    ignore_on_load_missing: ClassVar[tuple[str, ...]] = ()
    ignore_on_load_unexpected: ClassVar[tuple[str, ...]] = ()
    framework: ClassVar[str] = "tf"
    main_input_name: ClassVar[str] = "input_ids"

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_plugformers_scoped", False):
            cls.__init__ = _scoped_init(init)

    def __init__(self, config: PretrainedConfig, **kwargs: Any):
        super().__init__(**kwargs)
        expected = type(self).config_class
        if expected is not None and not isinstance(config, expected):
            raise ConfigError(
                f"{type(self).__name__} needs a {expected.__name__}, got config={type(config).__name__}"
            )
        self.config = config
        self.load_report: LoadReport | None = None

    # -- Keras' reserved name `layers` ------------------------------------------------------------
    @property
    def layers(self):
        own = self.__dict__.get("layers")
        return own if own is not None else super().layers

    @layers.setter
    def layers(self, value):
        self.__dict__["layers"] = value

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: PretrainedConfig | Mapping[str, Any], *, dtype: Any = None, seed: int | None = 0,
                    custom_objects: Any = None) -> PreTrainedModel:
        """A freshly initialised model (``seed`` makes the initial weights reproducible).

        A dict ``config`` (Keras' own deserialisation path) goes through ``config_class.from_dict``.
        """
        if isinstance(config, Mapping):
            if cls.config_class is None:
                raise ConfigError(f"{cls.__name__}.config_class is not set, so a dict config cannot be read")
            config = cls.config_class.from_dict(dict(config))
        return cls._build(config, dtype=resolve_dtype(dtype, config), seed=seed, loading=False)

    @classmethod
    def _build(cls, config: PretrainedConfig, *, dtype: str | None, seed: int | None, loading: bool) -> PreTrainedModel:
        """The model; while ``loading`` its variables are left uncreated (see :mod:`.deferred`)."""
        with build_scope(loading=loading, initializer_range=getattr(config, "initializer_range", 0.02), seed=seed,
                         dtype=dtype):
            if not loading:
                return cls(config)
            with deferred_variables():
                return cls(config)

    def get_config(self) -> dict[str, Any]:
        return self.config.to_dict()

    # -- calling ----------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any):
        """Call with keyword inputs, positional ``input_ids``, or one dict of inputs (as ``fit`` does)."""
        if args and isinstance(args[0], Mapping):
            kwargs = {**args[0], **kwargs}
            args = args[1:]
        return super().__call__(*args, **kwargs)

    # -- the canonical walk -----------------------------------------------------------------------
    def _tying(self) -> dict[str, str]:
        return dict(type(self).tied_weights) if getattr(self.config, "tie_word_embeddings", False) else {}

    def canonical_variables(self) -> dict[str, CanonicalTensor]:
        """Each canonical name and the variable (with its layout transform) that holds it."""
        return canonical_variables(self)

    def canonical_state_dict(self) -> dict[str, np.ndarray]:
        """Every tensor under its Transformers-PyTorch name and layout (tied copies left out)."""
        tied = self._tying()
        return {name: tensor.to_canonical() for name, tensor in self.canonical_variables().items() if name not in tied}

    def load_canonical_state_dict(self, tensors: Mapping[str, Any], *, strict: bool = False) -> LoadReport:
        """Assign canonical tensors (NumPy or anything ``np.asarray`` takes) to the variables.

        Mis-shaped tensors are a ``CheckpointError`` naming each; with ``strict``, so are missing and
        unexpected ones. Returns the :class:`LoadReport`.
        """
        shapes = {key: tuple(np.shape(value)) for key, value in tensors.items()}
        return self._load(shapes, tensors.__getitem__, source="load_canonical_state_dict", strict=strict)

    def _load(self, shapes: Mapping[str, tuple[int, ...]], read: Callable[[str], Any], *, source: Any,
              strict: bool = False, initialise_missing: bool = False, owned: bool = False) -> LoadReport:
        """Assign what the load plan says; ``owned``: ``read`` returns fresh arrays the variables
        may adopt (``from_pretrained``). Ends with every variable created."""
        expected = self.canonical_variables()
        plan = plan_load(
            {name: tensor.shape for name, tensor in expected.items()}, shapes,
            base_model_prefix=type(self).base_model_prefix, tied=self._tying(),
            ignore_missing=type(self).ignore_on_load_missing, ignore_unexpected=type(self).ignore_on_load_unexpected,
        )
        plan.report.raise_if_errors(source, strict=strict)
        for name, key in plan.assignments.items():
            expected[name].assign_canonical(read(key), owned=owned)
        if initialise_missing:
            state = current_build_state()
            for name in plan.report.missing:
                tensor = expected[name]
                give_value(tensor.variable, fresh_value(
                    tensor.init, tuple(tensor.variable.shape), tensor.variable.dtype,
                    initializer_range=getattr(self.config, "initializer_range", 0.02),
                    seed=None if state is None else state.next_seed(),
                ))
        self.tie_weights()
        for variable in self.variables:  # what no tensor set (rng state, unsaved buffers): its own initializer
            initialize(variable)
        return plan.report

    def tie_weights(self) -> None:
        """Copy each tied source into its target when the model holds both as variables.

        TensorFlow heads normally tie through ``Embedding.attend`` and hold no target variable at
        all, in which case there is nothing to do.
        """
        tensors = self.canonical_variables()
        for target, source in self._tying().items():
            if target in tensors and source in tensors and tensors[target].variable is not tensors[source].variable:
                tensors[target].assign_canonical(tensors[source].to_canonical())

    @property
    def base_model(self):
        """The base model inside a head model (``self.bert``), or ``self``."""
        prefix = type(self).base_model_prefix
        return getattr(self, prefix, self) if prefix else self

    def _owner(self, canonical_name: str):
        """The layer holding a canonical tensor name (``model.embed_tokens.weight`` -> that Embedding), or None."""
        node: Any = self
        for part in canonical_name.split(".")[:-1]:
            if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = vars(node).get(part) if hasattr(node, "__dict__") else None
            if node is None:
                return None
        return node

    def get_input_embeddings(self):
        """The token embedding layer: the owner of the first tied source, unless overridden."""
        for source in type(self).tied_weights.values():
            owner = self._owner(source)
            if owner is not None:
                return owner
        base = self.base_model
        if base is not self and hasattr(base, "get_input_embeddings"):
            return base.get_input_embeddings()
        raise NotImplementedError(f"{type(self).__name__} must override get_input_embeddings()")

    def get_output_embeddings(self):
        """The LM output projection (the owner of the first tied target), or None (a tied TF head
        projects through ``get_input_embeddings().attend``)."""
        for target in type(self).tied_weights:
            owner = self._owner(target)
            if owner is not None:
                return owner
        return None

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Number of (distinct) parameters; tied ones count once."""
        from .layers import Embedding

        embeddings = set()
        if exclude_embeddings:
            embeddings = {id(layer.weight) for layer in self._flatten_layers() if isinstance(layer, Embedding)}
        return int(sum(
            int(np.prod(t.shape)) for t in self.canonical_variables().values()
            if (t.variable.trainable or not only_trainable) and id(t.variable) not in embeddings
        ))

    # -- checkpoints ------------------------------------------------------------------------------
    @classmethod
    @pretrained_io.gc_paused
    def from_pretrained(cls, reference: str | os.PathLike, *, config: PretrainedConfig | None = None,
                        dtype: Any = None, revision: str | None = None, token: str | bool | None = None,
                        local_files_only: bool = False, cache_dir: str | os.PathLike | None = None,
                        subfolder: str | None = None, **config_overrides: Any) -> PreTrainedModel:
        """Load a canonical checkpoint (local directory, Hub id or checkpoint-source name).

        ``dtype``: ``"float32"``, ``"bfloat16"``, ``"float16"`` or ``"auto"`` (the config's
        ``torch_dtype``). Tensors the checkpoint lacks are initialised fresh, logged and listed in
        ``model.load_report.missing``.
        """
        if cls.config_class is None:
            raise ConfigError(f"{cls.__name__}.config_class is not set")
        hub = dict(revision=revision, token=token, local_files_only=local_files_only, cache_dir=cache_dir,
                   subfolder=subfolder)
        directory, config = pretrained_io.resolve_pretrained(cls.config_class, reference, config=config,
                                                             hub_kwargs=hub, config_overrides=config_overrides)
        with pretrained_io.open_weights(directory) as reader:
            model = cls._build(config, dtype=resolve_dtype(dtype, config), seed=None, loading=True)
            with build_scope(initializer_range=getattr(config, "initializer_range", 0.02)):
                report = model._load(pretrained_io.checkpoint_shapes(reader), reader.read_numpy, source=directory,
                                     initialise_missing=True, owned=True)
        model.load_report = report
        if report.missing or report.unexpected:
            logger.warning("%s from %s: %s", cls.__name__, directory, report.describe())
        return model

    def save_pretrained(self, directory: str | os.PathLike, *, max_shard_size: int | str = "5GB") -> list:
        """Write ``config.json`` and canonical safetensors (tied tensors once), atomically."""
        return pretrained_io.save_pretrained(directory, self.config, self.canonical_state_dict(),
                                             max_shard_size=max_shard_size, dtype=self._float_dtype(),
                                             class_name=type(self).__name__)

    def _float_dtype(self) -> str | None:
        """The dtype of the model's float variables (``None`` if it holds none)."""
        for tensor in self.canonical_variables().values():
            name = keras.backend.standardize_dtype(tensor.variable.dtype)
            if name in ("float32", "bfloat16", "float16"):
                return name
        return None

    # -- export -----------------------------------------------------------------------------------
    def serving_input_signature(self) -> dict[str, Any]:
        """The inputs of the exported ``serve`` signature (override for other inputs)."""
        return default_serving_signature()

    def export(self, filepath: str | os.PathLike, format: str = "tf_saved_model", verbose: bool = False,
               input_signature: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Write a SavedModel with a ``serve`` signature taking named int32 inputs (see ``export.py``)."""
        if format != "tf_saved_model":
            return super().export(filepath, format=format, verbose=verbose, input_signature=input_signature,
                                  **kwargs)
        export_saved_model(self, filepath, input_signature, verbose=verbose)


def _scoped_init(init: Callable) -> Callable:
    """Run a model's ``__init__`` inside a build scope taking ``initializer_range`` from its config,
    unless a scope is already open (``from_config`` / ``from_pretrained``, or an outer model), and
    mark the model built. The outermost model tracks its dropout layers' shared seed generator
    (they are not Keras layers), so the generator's state is one of ``model.variables`` once."""

    @functools.wraps(init)
    def __init__(self, config, *args, **kwargs):
        with contextlib.ExitStack() as scope:
            if current_build_state() is None:
                scope.enter_context(build_scope(initializer_range=getattr(config, "initializer_range", 0.02)))
            state = current_build_state()
            state.models_building += 1
            try:
                init(self, config, *args, **kwargs)
            finally:
                state.models_building -= 1
        if state.models_building == 0 and state.dropout_seeds is not None:
            self._dropout_seed_generator = state.dropout_seeds
        self.built = True  # every variable exists now: Keras need not build on the first call

    __init__._plugformers_scoped = True
    return __init__
