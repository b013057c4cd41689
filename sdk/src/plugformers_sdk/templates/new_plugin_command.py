"""``plugformers new-plugin NAME [--like ARCH] [--frameworks pt,tf,flax] [--tokenizer ...] [--output DIR]``.

Registered by the SDK's own plugin module (``plugformers_sdk.plugin``); renders the
``model-plugin`` template with :func:`~plugformers_sdk.templates.rendering.render_plugin`.
"""

from __future__ import annotations

import argparse

from .rendering import FRAMEWORKS, TOKENIZERS, names_for, render_plugin

NEXT_STEPS = """\
Rendered {distribution} in {output}. Next:
  pip install -e '{output}[{extras}]' pytest
  plugformers list  # shows {name}
  pytest {output}/tests             # the SDK conformance kit, before you change anything
See docs/plugin-authoring.md for the walk from here to a published package."""


def new_plugin_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="plugformers new-plugin",
        description="Create an architecture plugin from the plugformers model-plugin template (copier).")
    parser.add_argument("name", metavar="NAME", help="the model_type; the package is plugformers-NAME")
    parser.add_argument("--like", metavar="ARCH", help="start from a renamed copy of this installed architecture")
    parser.add_argument("--frameworks", metavar="pt,tf,flax",
                        help=f"comma-separated frameworks to implement (default: {','.join(FRAMEWORKS)})")
    parser.add_argument("--tokenizer", choices=TOKENIZERS, help="tokenizer algorithm to subclass (default: wordpiece)")
    parser.add_argument("--output", metavar="DIR", help="where to render (default: ./plugformers-NAME)")
    parser.add_argument("--template", metavar="SRC",
                        help="another copy of the template: a path or git URL (a tagged git repository makes "
                             "`copier update` possible); default: the template shipped with plugformers-sdk")
    args = parser.parse_args(argv)
    if args.like and (args.frameworks or args.tokenizer):
        parser.error("--frameworks and --tokenizer come from the plugin copied with --like")
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()] if args.frameworks else list(FRAMEWORKS)
    names = names_for(args.name)
    output = render_plugin(args.name, args.output or names.distribution, frameworks=frameworks,
                           tokenizer=args.tokenizer or "wordpiece", like=args.like, template=args.template)
    extras = ",".join(["torch" if f == "pt" else f for f in frameworks if f in FRAMEWORKS] + ["tokenizers"])
    print(NEXT_STEPS.format(distribution=names.distribution, output=output, extras=extras, name=args.name))
    return 0
