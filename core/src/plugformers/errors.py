"""The exceptions plugformers raises. Every message names the file, field or argument at fault."""

from __future__ import annotations


class PlugformersError(Exception):
    """Base class of every error plugformers raises on purpose."""


class ConfigError(PlugformersError, ValueError):
    """A configuration value has the wrong type or an impossible value (the message names the key)."""


class CheckpointError(PlugformersError, OSError):
    """A checkpoint file is missing, truncated, corrupt or inconsistent (the message names the file)."""


class ModelReferenceError(PlugformersError, OSError):
    """A model reference (directory, Hub id, checkpoint-source name) cannot be resolved."""


class TokenizerError(PlugformersError, ValueError):
    """A tokenizer file is missing or corrupt, or a tokenizer argument is invalid."""


class PluginError(PlugformersError):
    """A plugin failed to import, raised inside a hook, or registered a malformed record."""


class MissingDependencyError(PlugformersError, ImportError):
    """A plugin or framework needed for the request is not installed; the message says what to pip install."""


class ModelInputError(PlugformersError, ValueError):
    """A model was called with inputs of the wrong shape, type or combination (the message names the argument)."""


class PipelineError(PlugformersError, ValueError):
    """A pipeline got an input of the wrong type, an empty input, or an over-long one."""


class GenerationError(PlugformersError, ValueError):
    """A generation argument or generation_config.json value is invalid."""
