"""plugformers: Transformers as a plugin ecosystem."""

__version__ = "0.1.0"
