"""The renaming rules of ``plugformers new-plugin NAME --like ARCH``: explicit, not fuzzy.

A :class:`Renaming` maps the names of the plugin that is copied to the new plugin's names, in the
spirit of Transformers' ``# Copied from ... with Bert->Roberta`` convention:

1. the distribution name: ``plugformers-bert`` -> ``plugformers-acme-lm``;
2. the lower-case spelling, which is the ``model_type``, the package (``plugformers_bert``) and the
   attribute / weight prefix (``self.bert``, ``"bert.encoder..."``): ``bert`` -> ``acme_lm``;
3. the class-name prefix, found from the config class (``BertConfig`` -> ``Bert``), also after
   the framework prefixes (``TFBertModel``): ``Bert`` -> ``AcmeLm``;
4. the upper-case spelling, in prose (``BERT``) -> ``ACME_LM``.

A spelling is replaced only where it is a whole word part, by camel-case and snake-case rules:
nothing may follow it but a non-alphanumeric character or an upper-case letter (``BertModel``); a
lower-case or upper-case spelling may not follow a letter or digit (``plugformers_bert``,
``self.bert``, ``BERT's``); the class prefix may follow anything (``TFBertModel``,
``TestBertConformance``). So ``Albert``, ``roberta``, ``RoBERTa`` or ``Bertha`` are left alone. Every
occurrence is replaced in one pass, in file contents and in file names alike.

Tests: only the conformance test (``tests/test_conformance.py``) is copied, and its
``transformers_classes`` declaration is removed: the copy is a new architecture with no
Transformers twin, so the kit skips Transformers parity, saying why.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Names:
    """The names of one plugin."""

    model_type: str  # "bert", "acme_lm"
    class_prefix: str  # "Bert", "AcmeLm"
    distribution: str  # "plugformers-bert"

    @property
    def package(self) -> str:
        return "plugformers_" + self.model_type.replace("-", "_")


@dataclass(frozen=True)
class Renaming:
    """``old`` -> ``new`` by the module docstring's rules."""

    old: Names
    new: Names

    @cached_property
    def table(self) -> dict[str, str]:
        table = {self.old.model_type.upper(): self.new.model_type.upper()}
        # Later entries win where spellings coincide (GPT2 is both the upper case and the class prefix).
        table[self.old.model_type] = self.new.model_type
        table[self.old.class_prefix] = self.new.class_prefix
        table[self.old.distribution] = self.new.distribution
        return table

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        alternatives = []
        for spelling in sorted(self.table, key=len, reverse=True):  # the distribution before the bare name
            before = "" if spelling == self.old.class_prefix else r"(?<![A-Za-z0-9])"
            after = r"(?![A-Za-z0-9])" if spelling == self.old.model_type.upper() != self.old.class_prefix \
                else r"(?![a-z0-9])"
            alternatives.append(before + re.escape(spelling) + after)
        return re.compile("(" + "|".join(alternatives) + ")")

    def text(self, text: str) -> str:
        """``text`` with every old spelling replaced."""
        return self._pattern.sub(lambda match: self.table[match.group(1)], text)

    def leftovers(self, text: str) -> list[str]:
        """Old spellings still in ``text`` (a check for tests: empty after :meth:`text`)."""
        return self._pattern.findall(text)


def drop_class_assignments(source: str, names: tuple[str, ...], why: str) -> str:
    """``source`` without the class-body assignments of ``names`` (e.g. ``transformers_classes = {...}``),
    each replaced by a one-line comment giving ``why``. Found by parsing, not by pattern."""
    tree = ast.parse(source)
    cuts: list[tuple[int, int, str, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            targets = statement.targets if isinstance(statement, ast.Assign) else \
                [statement.target] if isinstance(statement, ast.AnnAssign) else []
            if any(isinstance(t, ast.Name) and t.id in names for t in targets):
                name = next(t.id for t in targets if isinstance(t, ast.Name) and t.id in names)
                cuts.append((statement.lineno, statement.end_lineno or statement.lineno, name, statement.col_offset))
    lines = source.splitlines(keepends=True)
    for start, end, name, column in sorted(cuts, reverse=True):
        lines[start - 1:end] = [" " * column + f"# {name} removed by `plugformers new-plugin --like`: {why}\n"]
    return "".join(lines)
