"""The hooks a plugin implements. Each hands the plugin a ``register`` callback.

A plugin is a light module named by an entry point in the ``plugformers`` group::

    [project.entry-points.plugformers]
    bert = "plugformers_bert.plugin"

and that module implements any of the hooks below with ``@plugformers.hookimpl``. It must
not import a framework: everything it registers is declarative, with ``"module:Attribute"``
strings imported only on first use. Specs only ever gain arguments, so a plugin written
against an older core keeps working (pluggy passes only the arguments an implementation
names).
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "plugformers"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_architectures(register):
    """Register model architectures.

    ``register(model_type, *, config, models=None, tokenizers=None, gguf=None)``:

    - ``model_type``: the ``config.json`` ``model_type`` this architecture serves (``"bert"``).
    - ``config``: ``"module:ConfigClass"``.
    - ``models``: ``{framework: {head: "module:Class"}}`` with framework ``"pt"``, ``"tf"``,
      ``"flax"`` and head one of ``plugformers.auto.HEADS`` (``"base"``, ``"masked-lm"``,
      ``"causal-lm"``, ...) or a head of the architecture's own (``"pretraining"``, ...).
    - ``tokenizers``: ``{"slow": "module:Class", "fast": "module:Class"}``.
    - ``gguf``: ``"module:attribute"`` of the architecture's GGUF tensor-name map, if any.
    """


@hookspec
def register_frameworks(register):
    """Register frameworks (backends).

    ``register(name, *, display_name, modules, extra, tensor_types=())``: ``name`` is the
    short name used in ``framework=`` (``"pt"``); ``modules`` the top-level modules that must
    be importable for it to be available (checked without importing them); ``extra`` the pip
    extra that installs it (``plugformers[torch]``).
    """


@hookspec
def register_tasks(register):
    """Register pipeline tasks.

    ``register(name, *, pipeline, heads, default_model=None, aliases=())``: ``pipeline`` is
    ``"module:PipelineClass"``; ``heads`` the model heads the task can use, in order of
    preference; ``default_model`` a model reference used when the user gives none.
    """


@hookspec
def register_checkpoint_sources(register):
    """Register checkpoint sources: names a plugin can serve without the Hub.

    ``register(name, *, serves, resolver)``: ``serves`` the model references it answers
    (``["sentence-transformers/all-MiniLM-L6-v2"]``); ``resolver`` is ``"module:function"``,
    called with the reference and returning a local directory (``pathlib.Path``) or ``None``
    when the source cannot serve it on this machine (the next source, then the Hub, is tried).
    """


@hookspec
def register_commands(register):
    """Register ``plugformers`` CLI subcommands.

    ``register(name, *, entry, help)``: ``entry`` is ``"module:function"``, called with the
    remaining command-line arguments (a list of strings) and returning an exit status.
    """
