"""``PreTrainedModel`` for PyTorch: construction, initialisation, canonical weights, loading, saving.

An architecture's model classes subclass it::

    class BertForMaskedLM(PreTrainedModel):
        config_class = BertConfig
        base_model_prefix = "bert"
        tied_weights = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight"}

        def __init__(self, config):
            super().__init__(config)
            self.bert = BertModel(config)   # a plain module tree: it IS the canonical tree
            self.cls = ...
            self.post_init()                 # initialise weights, tie embeddings

``from_pretrained`` builds the model on the meta device (no memory, no initialisation), assigns
the memory-mapped checkpoint tensors with ``load_state_dict(assign=True)`` (cast per tensor to the
requested dtype), re-ties tied weights, recomputes computed buffers
(:func:`~plugformers_sdk.torch.buffers.register_computed_buffer`), and only materialises and
initialises the tensors the checkpoint lacked. No second copy of the weights is ever made.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from plugformers.configuration import PretrainedConfig
from plugformers.errors import CheckpointError, ConfigError, PluginError

from .. import pretrained_io
from ..weights import LoadReport, plan_load, resolve_dtype
from .buffers import rebuild_computed_buffers
from .generation import TorchGenerationMixin
from .host_memory import keep_freed_buffers
from .layers import Conv1D, RMSNorm

logger = logging.getLogger("plugformers_sdk.torch")

TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def torch_dtype(dtype: Any, config: PretrainedConfig | None = None) -> torch.dtype | None:
    """``"float32" | "bfloat16" | "float16" | "auto" | torch.dtype | None`` -> torch dtype or None."""
    name = resolve_dtype(dtype, config)
    return None if name is None else TORCH_DTYPES[name]


def as_torch(value: Any) -> torch.Tensor:
    """A torch tensor from a torch tensor, NumPy array (bfloat16 included), JAX array or TF tensor."""
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.name == "bfloat16":
        return torch.from_numpy(np.array(array.view(np.uint16), order="C")).view(torch.bfloat16)
    return torch.from_numpy(np.array(array, order="C"))


def _split_name(name: str) -> tuple[str, str]:
    owner, _, leaf = name.rpartition(".")
    return owner, leaf


class PreTrainedModel(TorchGenerationMixin, nn.Module):
    """Base class of every PyTorch model of a plugformers architecture.

    Class attributes a subclass sets:

    - ``config_class``: its ``PretrainedConfig`` subclass.
    - ``base_model_prefix``: attribute holding the base model in head classes (``"bert"``).
    - ``tied_weights``: canonical name of a tied output tensor -> its source, applied when
      ``config.tie_word_embeddings``; only the source is saved.
    - ``ignore_on_load_missing`` / ``ignore_on_load_unexpected``: regexes of names left out of
      the load report.
    - ``main_input_name``: the first forward argument (``"input_ids"``).
    """

    config_class: ClassVar[type[PretrainedConfig]] = PretrainedConfig
    base_model_prefix: ClassVar[str] = ""
    tied_weights: ClassVar[dict[str, str]] = {}
    ignore_on_load_missing: ClassVar[tuple[str, ...]] = ()
    ignore_on_load_unexpected: ClassVar[tuple[str, ...]] = ()
    main_input_name: ClassVar[str] = "input_ids"
    framework: ClassVar[str] = "pt"

    def __init__(self, config: PretrainedConfig):
        super().__init__()
        if not isinstance(config, self.config_class):
            raise ConfigError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(config).__name__}"
            )
        self.config = config
        self.load_report: LoadReport | None = None
        self._weights_initialised = False
        keep_freed_buffers()  # once per process: activations' CPU buffers are reused, not faulted in again

    # -- initialisation ---------------------------------------------------------------------
    def post_init(self) -> None:
        """Call at the end of a subclass ``__init__``: initialise weights (skipped on the meta
        device) and tie the tied weights."""
        if not any(p.is_meta for p in self.parameters()):
            self._initialise(skip_done=True)
        self.tie_weights()

    def init_weights(self) -> None:
        """(Re-)initialise every weight with :meth:`_init_weights`, then tie."""
        self._initialise(skip_done=False)

    def _initialise(self, *, skip_done: bool) -> None:
        # A nested model (the base inside a head) already initialised its modules in its own
        # post_init; with skip_done they are not initialised a second time.
        with torch.no_grad():
            for module in self.modules():
                if skip_done and module.__dict__.get("_plugformers_initialised"):
                    continue
                self._init_weights(module)
                module.__dict__["_plugformers_initialised"] = True
        self._weights_initialised = True
        self.tie_weights()

    def _init_weights(self, module: nn.Module) -> None:
        """Transformers' initialisation: normal(0, ``config.initializer_range``) for linear and
        embedding weights, zero biases and padding rows, ones/zeros for norms. Override to
        extend, calling ``super()._init_weights(module)``."""
        std = getattr(self.config, "initializer_range", 0.02)
        if isinstance(module, (nn.Linear, Conv1D)):
            module.weight.normal_(0.0, std)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.normal_(0.0, std)
            if module.padding_idx is not None:
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            if module.weight is not None:
                module.weight.fill_(1.0)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, RMSNorm):
            module.weight.fill_(1.0)

    # -- structure --------------------------------------------------------------------------
    @property
    def base_model(self) -> nn.Module:
        """The base model inside a head model (``self.bert``), or ``self``."""
        return getattr(self, self.base_model_prefix, self) if self.base_model_prefix else self

    @property
    def dtype(self) -> torch.dtype:
        for tensor in self.parameters():
            if tensor.is_floating_point():
                return tensor.dtype
        return torch.float32

    @property
    def device(self) -> torch.device:
        first = next(self.parameters(), None)
        return first.device if first is not None else torch.device("cpu")

    def active_tied_weights(self) -> dict[str, str]:
        """``tied_weights`` restricted to what this model has, empty unless ``tie_word_embeddings``."""
        if not getattr(self.config, "tie_word_embeddings", False) or not self.tied_weights:
            return {}
        names = dict(self.named_parameters(remove_duplicate=False))
        return {t: s for t, s in self.tied_weights.items() if t in names and s in names}

    def tie_weights(self) -> None:
        """Make every active tied target the very same ``Parameter`` as its source."""
        for target, source in self.active_tied_weights().items():
            owner, leaf = _split_name(target)
            setattr(self.get_submodule(owner), leaf, self.get_parameter(source))

    def get_input_embeddings(self) -> nn.Module:
        """The token embedding module: the owner of the first tied source, unless overridden."""
        for source in self.tied_weights.values():
            owner, _ = _split_name(source)
            try:
                return self.get_submodule(owner)
            except AttributeError:
                continue
        raise NotImplementedError(f"{type(self).__name__} must override get_input_embeddings()")

    def get_output_embeddings(self) -> nn.Module | None:
        """The LM output projection (the owner of the first tied target), or None."""
        for target in self.tied_weights:
            owner, _ = _split_name(target)
            try:
                return self.get_submodule(owner)
            except AttributeError:
                continue
        return None

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Number of (distinct) parameters; tied ones count once."""
        embedding_params = set()
        if exclude_embeddings:
            embedding_params = {id(m.weight) for m in self.modules() if isinstance(m, nn.Embedding)}
        return sum(
            p.numel() for p in self.parameters()
            if (p.requires_grad or not only_trainable) and id(p) not in embedding_params
        )

    # -- canonical weights ------------------------------------------------------------------
    def canonical_state_dict(self) -> dict[str, torch.Tensor]:
        """Canonical name -> tensor (Transformers' PyTorch names and layouts): the state dict."""
        return {name: tensor.detach() for name, tensor in self.state_dict().items()}

    def _expected_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: tuple(tensor.shape) for name, tensor in self.state_dict().items()}

    def _non_persistent_buffer_names(self) -> list[str]:
        return [
            f"{prefix}.{name}" if prefix else name
            for prefix, module in self.named_modules()
            for name in module._non_persistent_buffers_set
        ]

    def _plan(self, shapes: Mapping[str, tuple[int, ...]]):
        # Older checkpoints saved buffers that are computed now (BERT's position_ids, rotary
        # inv_freq): finding one is not "unexpected".
        computed = tuple(f"^{re.escape(name)}$" for name in self._non_persistent_buffer_names())
        return plan_load(
            self._expected_shapes(), shapes, base_model_prefix=self.base_model_prefix,
            tied=self.active_tied_weights(), ignore_missing=self.ignore_on_load_missing,
            ignore_unexpected=tuple(self.ignore_on_load_unexpected) + computed,
        )

    def load_canonical_state_dict(self, tensors: Mapping[str, Any], *, strict: bool = False) -> LoadReport:
        """Copy canonical tensors (torch, NumPy, JAX or TF arrays) into this built model.

        Mis-shaped tensors are a ``CheckpointError``; with ``strict`` so are missing and unexpected
        ones. Returns the :class:`LoadReport` (also stored as ``self.load_report``).
        """
        plan = self._plan({name: tuple(np.shape(value)) for name, value in tensors.items()})
        plan.report.raise_if_errors("load_canonical_state_dict", strict=strict)
        targets = self.state_dict(keep_vars=True)
        with torch.no_grad():
            for model_name, source_name in plan.assignments.items():
                targets[model_name].copy_(as_torch(tensors[source_name]))
        self.tie_weights()
        self.load_report = plan.report
        return plan.report

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: PretrainedConfig, *, dtype: Any = None, seed: int = 0,
                    device: str | torch.device | None = None) -> PreTrainedModel:
        """A freshly initialised model (deterministic for a given ``seed``, without touching the
        global RNG), in eval mode."""
        target = torch_dtype(dtype, config)
        with torch.random.fork_rng(devices=[]), torch.device(device or "cpu"):
            torch.manual_seed(seed)
            model = cls(config)
            if not model._weights_initialised:
                model.init_weights()
        if target is not None:
            model.to(target)
        return model.eval()

    @classmethod
    @pretrained_io.gc_paused
    def from_pretrained(
        cls,
        reference: str | os.PathLike[str],
        *,
        config: PretrainedConfig | None = None,
        dtype: Any = None,
        device: str | torch.device | None = None,
        revision: str | None = None,
        token: str | bool | None = None,
        local_files_only: bool = False,
        cache_dir: str | os.PathLike[str] | None = None,
        subfolder: str | None = None,
        **config_overrides: Any,
    ) -> PreTrainedModel:
        """Load ``reference`` (local directory, checkpoint-source name or Hub id) in eval mode.

        ``dtype``: float32 (default), bfloat16, float16, or "auto" (the config's ``torch_dtype``).
        ``device``: where the tensors go (``"meta"`` builds the model without reading any data).
        Extra keyword arguments override config fields. ``model.load_report`` tells what was
        missing (newly initialised, also logged), unexpected or mis-shaped (an error).
        """
        directory, config = pretrained_io.resolve_pretrained(
            cls.config_class, reference, config=config, config_overrides=config_overrides,
            hub_kwargs=dict(revision=revision, token=token, local_files_only=local_files_only or None,
                            cache_dir=cache_dir, subfolder=subfolder),
        )
        target_dtype = torch_dtype(dtype, config) or torch.float32
        device = torch.device(device if device is not None else "cpu")
        with torch.device("meta"):
            model = cls(config)
        reader = pretrained_io.open_weights(directory)
        try:
            plan = model._plan(pretrained_io.checkpoint_shapes(reader))
            plan.report.raise_if_errors(reader.path)
            if device.type != "meta":
                model._assign_checkpoint(reader, plan.assignments, target_dtype, device)
        except BaseException:
            reader.close()
            raise
        if device.type == "meta" or not plan.assignments:
            reader.close()
        # Otherwise the reader is not closed: the loaded tensors are views of its memory map,
        # which stays mapped until the last of them is freed (closing would unmap it under them).
        model.tie_weights()
        if device.type != "meta":
            rebuild_computed_buffers(model, device)
            model._materialise_missing(target_dtype, device)
            model._check_no_meta_tensors()
        model._weights_initialised = True
        model.load_report = plan.report
        if plan.report.missing:
            logger.warning(
                "Some weights of %s were not in the checkpoint at %s and are newly initialized: %s. "
                "You should probably train this model before using it.",
                cls.__name__, directory, ", ".join(plan.report.missing),
            )
        if plan.report.unexpected:
            logger.info("Some weights of the checkpoint at %s were not used by %s: %s",
                        directory, cls.__name__, ", ".join(plan.report.unexpected))
        return model.eval()

    def _assign_checkpoint(self, reader: Any, assignments: Mapping[str, str], dtype: torch.dtype,
                           device: torch.device) -> None:
        expected = self.state_dict(keep_vars=True)
        state: dict[str, torch.Tensor] = {}
        for model_name, source_name in assignments.items():
            tensor = reader.get_torch(source_name)
            wanted = dtype if expected[model_name].is_floating_point() else expected[model_name].dtype
            state[model_name] = tensor.to(device=device, dtype=wanted)
        self.load_state_dict(state, strict=False, assign=True)

    def _materialise_missing(self, dtype: torch.dtype, device: torch.device) -> None:
        """Give data to the tensors the checkpoint lacked, initialised by ``_init_weights``,
        without re-initialising their module's loaded tensors."""
        for module in self.modules():
            params = [(n, p) for n, p in module._parameters.items() if p is not None]
            buffers = [(n, b) for n, b in module._buffers.items()
                       if b is not None and n not in module._non_persistent_buffers_set]
            if not any(t.is_meta for _, t in params + buffers):
                continue
            loaded = {n: p for n, p in params if not p.is_meta}
            for n, p in params:  # scratch tensors so _init_weights cannot touch loaded data
                module._parameters[n] = nn.Parameter(torch.empty(p.shape, dtype=torch.float32, device=device),
                                                     requires_grad=p.requires_grad)
            for n, b in buffers:
                if b.is_meta:
                    module._buffers[n] = torch.zeros(b.shape, dtype=b.dtype, device=device)
            with torch.no_grad():
                self._init_weights(module)
            for n, p in params:
                if n in loaded:
                    module._parameters[n] = loaded[n]
                else:
                    fresh = module._parameters[n]
                    module._parameters[n] = nn.Parameter(fresh.data.to(dtype), requires_grad=p.requires_grad)
        self.tie_weights()

    def _check_no_meta_tensors(self) -> None:
        for name, tensor in list(self.named_parameters()) + list(self.named_buffers()):
            if tensor.is_meta:
                raise PluginError(
                    f"{type(self).__name__}: {name} has no data after loading; a non-persistent buffer must "
                    f"be registered with plugformers_sdk.torch.register_computed_buffer so it can be rebuilt"
                )

    # -- saving -----------------------------------------------------------------------------
    def save_pretrained(self, directory: str | os.PathLike[str], *, max_shard_size: int | str = "5GB") -> list[Path]:
        """Write ``config.json`` and canonical safetensors (tied copies omitted) into ``directory``."""
        tied_targets = set(self.active_tied_weights())
        tensors = {}
        for name, tensor in self.canonical_state_dict().items():
            if name in tied_targets:
                continue
            if tensor.is_meta:
                raise CheckpointError(f"save_pretrained({directory}): {name} is on the meta device (no data)")
            tensors[name] = tensor.cpu().contiguous()
        dtype_name = str(self.dtype).removeprefix("torch.")
        return pretrained_io.save_pretrained(directory, self.config, tensors, max_shard_size=max_shard_size,
                                             dtype=dtype_name, class_name=type(self).__name__)
