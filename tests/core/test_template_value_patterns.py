"""A value typed by anyone (a case summary, a name) that an admin's template passes to a filter is
checked for format widths (``%09999d``, ``{:>99999}``) by a pattern that must not backtrack: the
template's time limit is checked between operations, never inside one, so a pattern that took half a
minute over 20,000 characters would hold the worker for all of it, and then refuse a fair letter.

No timed assertion: the render must finish inside the template's own limits and give the letter."""

from __future__ import annotations

import pytest
from jinja2.exceptions import UndefinedError

from casework.core.safe_templates import LimitedSandbox, TemplateLimitExceeded, render_document


def test_a_value_of_one_brace_and_many_colons_is_rendered_within_the_limits() -> None:
    value = "{" + ":" * 15_000
    assert LimitedSandbox().render_limited("{{ summary | upper }}", {"summary": value}) == value


def test_a_width_too_long_to_be_a_number_is_refused_as_too_large() -> None:
    with pytest.raises(TemplateLimitExceeded):
        LimitedSandbox().render_limited("{{ summary | upper }}", {"summary": "{:" + "9" * 5000 + "}"})


def test_a_letter_loses_trailing_spaces_on_each_line_and_keeps_the_rest() -> None:
    from casework.core.safe_templates import DEFAULT_LIMITS

    heading, body = render_document(
        LimitedSandbox(),
        "Dear {{ name }}",
        "Dear {{ name }},  \n\n{{ note }}\t \nYours{{ tail }}",
        {"name": "Ann", "note": "x" + " " * 50_000 + "y", "tail": " " * 50_000},
        DEFAULT_LIMITS,
        DEFAULT_LIMITS,
    )
    assert heading == "Dear Ann"
    assert body == "Dear Ann,\n\nx" + " " * 50_000 + "y\nYours\n"


def test_a_template_cannot_call_for_paragraphs_of_lorem_ipsum() -> None:
    """``lipsum(n)`` wrote n paragraphs in one call, which the limits saw only once it had finished."""
    with pytest.raises(UndefinedError):
        LimitedSandbox().render_limited("{{ lipsum(30000, False, 99, 100)[:10] }}", {})


@pytest.mark.parametrize(
    "call",
    [
        "('{:.150000f}' * 2).format(1.0, 2.0)",
        "'%.150000f%.150000f' % (1.0, 2.0)",
        "'{:5.250000f}'.format(1.0)",
        # A width after a mapping key, or taken from the arguments: each was built whole before any limit.
        "'%(a)150000s%(a)150000s' % {'a': 1}",
        "'%*d%*d' % (150000, 1, 150000, 1)",
        "'%.*f%.*f' % (150000, 1.0, 150000, 2.0)",
        "('{:{}}' * 2).format(1, 150000, 2, 150000)",
        "'{a:{w}}{a:{w}}'.format(a=1, w=150000)",
        "'{a:{w}}{a:{w}}'.format_map({'a': 1, 'w': 150000})",
    ],
)
def test_widths_and_precisions_count_together_before_the_call(call: str) -> None:
    """Each under the limit alone, together over it: refused before the text is built, even where the
    text itself is never written out (a test, a comparison), so no limit would look at it after."""
    with pytest.raises(TemplateLimitExceeded, match="more than 200,000 characters"):
        LimitedSandbox().render_limited("{% if " + call + " %}built{% endif %}", {})
