"""Chat templates rendered in a Jinja2 sandbox.

A template comes from a file (``chat_template.jinja`` or ``tokenizer_config.json``), so it is
untrusted: it is rendered by an ``ImmutableSandboxedEnvironment`` that refuses unsafe attributes
(anything starting with ``_``, function internals ...) by raising instead of rendering nothing,
and cannot mutate the objects it is given. The globals and filters are those Transformers gives
templates: ``raise_exception``, ``strftime_now`` and a ``tojson`` that keeps non-ASCII text.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..errors import TokenizerError


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None,
            separators: tuple[str, str] | None = None, sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(format: str) -> str:  # noqa: A002 - the name templates use
    return datetime.now().strftime(format)


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import TemplateError, ext
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class StrictSandbox(ImmutableSandboxedEnvironment):
        """Raise on unsafe attribute access instead of quietly rendering an empty value."""

        def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
            raise SecurityError(f"access to attribute {attribute!r} of a {type(obj).__name__} is not allowed")

    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    env = StrictSandbox(trim_blocks=True, lstrip_blocks=True, extensions=[ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env


@lru_cache(maxsize=32)
def _compile(template: str) -> Any:
    from jinja2 import TemplateError

    try:
        return _environment().from_string(template)
    except TemplateError as error:
        raise TokenizerError(f"the chat template does not parse: {error}") from None


def render_chat_template(template: str, **variables: Any) -> str:
    """Render ``template`` with ``variables`` in the sandbox; any template failure is a TokenizerError."""
    from jinja2 import TemplateError

    compiled = _compile(template)
    try:
        return compiled.render(**variables)
    except TemplateError as error:  # includes SecurityError, UndefinedError, raise_exception
        raise TokenizerError(f"the chat template failed: {type(error).__name__}: {error}") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError, OverflowError) as error:
        raise TokenizerError(f"the chat template failed: {type(error).__name__}: {error}") from None


def select_chat_template(templates: str | dict[str, str] | None, chat_template: str | None,
                         tools: Any = None) -> str:
    """Pick the template to render: an explicit one, a named one, or the tokenizer's default.

    ``templates`` is the tokenizer's template, or a dict of named templates (Transformers' list
    form ``[{"name": ..., "template": ...}]`` is turned into that dict when loading).
    ``chat_template`` may be a template string or the name of one of ``templates``.
    """
    if isinstance(templates, dict):
        if chat_template is not None and chat_template in templates:
            return templates[chat_template]
        if chat_template is not None:
            return chat_template
        if tools is not None and "tool_use" in templates:
            return templates["tool_use"]
        if "default" in templates:
            return templates["default"]
        raise TokenizerError(
            f"this tokenizer has named chat templates {sorted(templates)} and no 'default'; "
            "pass chat_template=<name>"
        )
    if chat_template is not None:
        return chat_template
    if templates is None:
        raise TokenizerError(
            "this tokenizer has no chat template: pass chat_template=... or set tokenizer.chat_template"
        )
    return templates


def cut_after_final_message(rendered: str, conversation: list[dict[str, Any]]) -> str:
    """For ``continue_final_message``: drop what the template wrote after the last message's text."""
    content = conversation[-1].get("content") if conversation else None
    if isinstance(content, list):  # multimodal parts: use the last text part
        texts = [part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text"]
        content = texts[-1] if texts else None
    if not isinstance(content, str) or not content.strip():
        raise TokenizerError("continue_final_message=True needs a final message with text content")
    position = rendered.rfind(content.strip())
    if position < 0:
        raise TokenizerError("continue_final_message=True: the final message's text is not in the rendered template")
    return rendered[: position + len(content.strip())]
