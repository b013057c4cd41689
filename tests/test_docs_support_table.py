"""docs/support-table.md is generated from the live registry; it must not be stale."""

from pathlib import Path

from plugformers.support_table import render_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "support-table.md"


def test_support_table_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/support-table.md is stale: regenerate it with `nox -s docs` "
        "(or `plugformers list --markdown > docs/support-table.md`)"
    )
