"""Core's own CLI commands, registered through ``register_commands`` like any plugin's."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def register_commands(register):
    register("list", entry="plugformers.cli.info_commands:list_command", help="the support table of installed architectures")
    register("doctor", entry="plugformers.cli.info_commands:doctor_command", help="broken plugins, missing frameworks, conflicts")
    register("run", entry="plugformers.cli.run_command:run_command", help="run a pipeline task on inputs")
    register("env", entry="plugformers.cli.info_commands:env_command", help="versions, for bug reports")
