"""Text generation: the framework-neutral ``GenerationConfig`` and (per framework) decode loops."""

from .config import GENERATION_CONFIG_NAME, GenerationConfig

__all__ = ["GENERATION_CONFIG_NAME", "GenerationConfig"]
