"""Templates build HTML for the GOV.UK macros' ``html`` parameters in ``{% set %}`` blocks, never by
joining strings with ``~``.

With autoescaping, ``'<br><strong>' ~ (reference | e)`` escapes the literal markup (one operand is
already escaped, so the join escapes the others), and the page shows ``<br><strong>`` as text; without
the ``| e`` the join is not escaped at all, and the macro's ``| safe`` lets any value through as HTML.
A ``{% set name %}...{% endset %}`` block escapes exactly the values and keeps the markup. The browser
crawl (tests/browser/test_service.py) also checks that no page shows markup as text.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: An ``html`` (or ``titleHtml``...) parameter whose value joins strings with ``~`` and has markup in a literal.
JOINED_MARKUP = re.compile(r"""['"](html|\w+Html)['"]\s*:[^}]*~[^}]*['"][^'"]*<[a-z/]""")


def test_no_template_joins_markup_into_an_html_parameter() -> None:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if JOINED_MARKUP.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:120]}")
    assert not found, "Build the HTML in a {% set %} block instead:\n" + "\n".join(found)


def test_the_check_finds_the_pattern() -> None:
    assert JOINED_MARKUP.search(
        """{{ govukPanel({'html': 'Your reference<br><strong>' ~ (reference | e) ~ '</strong>'}) }}"""
    )
    assert not JOINED_MARKUP.search("""{{ govukPanel({'html': reference_html}) }}""")
