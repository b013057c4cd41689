"""Scaffolding new architecture plugins from the copier template ``templates/model-plugin``.

- :func:`~plugformers_sdk.templates.rendering.render_plugin`: render the template (or, with
  ``like=``, a renamed copy of an installed plugin) into a directory; what the
  ``plugformers new-plugin`` command (:mod:`.new_plugin_command`) calls.
- :mod:`.renaming`: the explicit renaming rules of ``--like``.
- :func:`~plugformers_sdk.templates.location.template_path`: where the template is.

Importing this package imports neither copier nor a framework.
"""
