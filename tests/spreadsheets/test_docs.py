"""docs/imports.md is written from the layouts (``casework.spreadsheets.docs``): it must be current."""

from __future__ import annotations

from casework.app import PROJECT_ROOT
from casework.spreadsheets.docs import render_markdown


def test_the_imports_document_is_current(app):
    written = (PROJECT_ROOT / "docs" / "imports.md").read_text(encoding="utf-8")
    assert written == render_markdown(app), "run: .venv/bin/python -m casework.spreadsheets.docs > docs/imports.md"
