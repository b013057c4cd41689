"""plugformers-sdk: what architecture plugins are built from."""

__version__ = "0.1.0"
