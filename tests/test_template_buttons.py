"""Every GOV.UK button written out in a template (not through the ``govukButton`` macro, which marks it
itself) is marked ``data-module="govuk-button"``: only a marked button ignores the second click of a
double click (``casework/static/js/app.mjs``), and a button that is not would send its form twice."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
BUTTON = re.compile(r"<button\b[^>]*>", re.DOTALL)


def test_every_govuk_button_in_a_template_ignores_a_double_click() -> None:
    unmarked = [
        f"{path.relative_to(TEMPLATES)}: {tag}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for tag in BUTTON.findall(path.read_text())
        if re.search(r'class="[^"]*\bgovuk-button\b', tag)
        and 'type="button"' not in tag  # sends no form
        and 'data-module="govuk-button"' not in tag
    ]
    assert unmarked == []
