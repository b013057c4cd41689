"""The SDK's own plugin module (entry point ``sdk`` in the ``plugformers`` group): registers the
``plugformers new-plugin`` command. Registration only; imports neither copier nor a framework."""

from __future__ import annotations

from plugformers import hookimpl


@hookimpl
def register_commands(register):
    register("new-plugin", entry="plugformers_sdk.templates.new_plugin_command:new_plugin_command",
             help="create an architecture plugin from the model-plugin template")
