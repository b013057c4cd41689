"""Special-token templates: where a tokenizer puts its special tokens around one or two sequences.

A template is written like the ``tokenizers`` TemplateProcessing strings, with ``{name}`` standing
for one of the tokenizer's special tokens: BERT is ``"{cls_token} $A {sep_token}"`` and
``"{cls_token} $A {sep_token} $B:1 {sep_token}:1"``, GPT-2 is ``"$A"`` / ``"$A $B"``. The suffix
``:n`` is the token type id. One template drives slow tokenizers (``build_inputs_with_special_tokens``,
``create_token_type_ids_from_sequences``, ``get_special_tokens_mask``) and the post-processor
the converters give fast tokenizers, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import TokenizerError


@dataclass(frozen=True)
class TemplateItem:
    """``kind`` "seq" (``value`` 0 for $A, 1 for $B) or "token" (``value`` the token text)."""

    kind: str
    value: Any
    type_id: int


def parse_template(template: str, resolve: Callable[[str], str | None]) -> list[TemplateItem]:
    """Parse a template string, looking up ``{name}`` placeholders with ``resolve``."""
    items: list[TemplateItem] = []
    for piece in template.split():
        body, _, type_id = piece.partition(":")
        try:
            tid = int(type_id) if type_id else 0
        except ValueError:
            raise TokenizerError(f"special-token template {template!r}: bad type id in {piece!r}") from None
        if body in ("$A", "$0", "$"):
            items.append(TemplateItem("seq", 0, tid))
        elif body in ("$B", "$1"):
            items.append(TemplateItem("seq", 1, tid))
        elif body.startswith("{") and body.endswith("}"):
            token = resolve(body[1:-1])
            if token is None:
                raise TokenizerError(
                    f"special-token template {template!r} uses {body} but the tokenizer has no {body[1:-1]}"
                )
            items.append(TemplateItem("token", token, tid))
        else:
            items.append(TemplateItem("token", body, tid))
    return items


def template_from_post_processor(processor: dict[str, Any] | None) -> tuple[list[TemplateItem], list[TemplateItem]] | None:
    """Read the (single, pair) templates from a ``tokenizer.json`` post-processor, if it has one."""
    if not processor:
        return [TemplateItem("seq", 0, 0)], [TemplateItem("seq", 0, 0), TemplateItem("seq", 1, 1)]
    kind = processor.get("type")
    if kind == "Sequence":
        for inner in processor.get("processors", []):
            if inner.get("type") in ("TemplateProcessing", "BertProcessing", "RobertaProcessing"):
                return template_from_post_processor(inner)
        return template_from_post_processor(None)
    if kind == "ByteLevel":
        return template_from_post_processor(None)
    if kind == "TemplateProcessing":
        def convert(entries: list[dict[str, Any]]) -> list[TemplateItem]:
            result = []
            for entry in entries:
                if "Sequence" in entry:
                    seq = entry["Sequence"]
                    result.append(TemplateItem("seq", 0 if seq["id"] == "A" else 1, seq.get("type_id", 0)))
                else:
                    special = entry["SpecialToken"]
                    tokens = processor.get("special_tokens", {}).get(special["id"], {}).get("tokens", [special["id"]])
                    result.extend(TemplateItem("token", t, special.get("type_id", 0)) for t in tokens)
            return result

        return convert(processor.get("single", [])), convert(processor.get("pair", []))
    if kind in ("BertProcessing", "RobertaProcessing"):
        cls, sep = processor["cls"][0], processor["sep"][0]
        single = [TemplateItem("token", cls, 0), TemplateItem("seq", 0, 0), TemplateItem("token", sep, 0)]
        if kind == "BertProcessing":
            pair = single + [TemplateItem("seq", 1, 1), TemplateItem("token", sep, 1)]
        else:
            pair = single + [TemplateItem("token", sep, 0), TemplateItem("seq", 1, 0), TemplateItem("token", sep, 0)]
        return single, pair
    return None


def template_to_processing_strings(items: list[TemplateItem]) -> str:
    """Write parsed items back as a ``tokenizers.processors.TemplateProcessing`` string."""
    parts = []
    for item in items:
        body = ("$A" if item.value == 0 else "$B") if item.kind == "seq" else item.value
        parts.append(f"{body}:{item.type_id}")
    return " ".join(parts)
