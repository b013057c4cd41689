"""``plugformers COMMAND [ARGS]``: dispatch to a registered command."""

from __future__ import annotations

import sys

from ..errors import PlugformersError
from ..records import load_object
from ..registry import get_registry


def _usage(registry) -> str:
    lines = ["usage: plugformers COMMAND [ARGS...]", "", "commands:"]
    width = max((len(n) for n in registry.commands), default=8)
    for name in sorted(registry.commands):
        lines.append(f"  {name.ljust(width)}  {registry.commands[name].help}")
    lines.append("")
    lines.append("Run 'plugformers COMMAND --help' for a command's options.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    registry = get_registry()
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage(registry))
        return 0
    if argv[0] in ("-V", "--version"):
        from .. import __version__

        print(f"plugformers {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    record = registry.commands.get(name)
    if record is None:
        print(f"plugformers: unknown command {name!r}\n\n{_usage(registry)}", file=sys.stderr)
        return 2
    try:
        function = load_object(record.entry)
        return int(function(rest) or 0)
    except PlugformersError as err:
        print(f"plugformers {name}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
