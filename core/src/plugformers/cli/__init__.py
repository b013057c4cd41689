"""The ``plugformers`` command line. Subcommands are registered through ``register_commands``."""
