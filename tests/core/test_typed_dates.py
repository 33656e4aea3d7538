"""What a person types in the GOV.UK date input (three boxes): a real date or a clear message.

Every date of every page form is ``casework.core.forms.GovukDateField`` (``tests/test_code_shape.py``
``test_one_date_field_and_one_error_helper_outside_core`` refuses any other), so this table is every
form's. ``int`` read more than digits: "1_5" became the 15th, "+3" March, and full-width or Arabic-Indic
digits (U+FF11 U+FF15) a date; now each box holds ASCII digits (spaces around them aside) or the date is not a
real date.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from werkzeug.datastructures import MultiDict

#: The clock stands at 12:00 London on 1 August 2026 (BST).
NOW = "2026-08-01T11:00:00+00:00"


def _read(app, day: str, month: str, year: str, *, planned: bool = False) -> tuple[date | None, list[str]]:
    from casework.core.forms import FlaskForm, GovukDateField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        when = GovukDateField("Date received", planned=planned)

    with app.test_request_context(), time_machine.travel(NOW, tick=False):
        form = Form(MultiDict({"when-day": day, "when-month": month, "when-year": year}))
        valid = form.validate()
    return (form.when.data if valid else None), list(form.when.errors)


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("30", "4", "2026", date(2026, 4, 30)),
        ("31", "4", "2026", "Date received must be a real date"),
        ("29", "2", "2026", "Date received must be a real date"),
        ("29", "2", "2024", date(2024, 2, 29)),
        ("0", "1", "2026", "Date received must be a real date"),
        ("1", "0", "2026", "Date received must be a real date"),
        ("32", "1", "2026", "Date received must be a real date"),
        ("1", "13", "2026", "Date received must be a real date"),
        ("1", "1", "26", "Date received must be a real date"),
        ("1", "1", "0026", "Date received must be a real date"),
        ("1", "1", "1899", "Date received must be on or after 1 January 1900"),
        (" 1 ", " 8 ", " 2026 ", date(2026, 8, 1)),
        ("01", "08", "2026", date(2026, 8, 1)),
        ("\t1", "8\u00a0", "2026", date(2026, 8, 1)),
        # Not digits, though ``int`` reads them.
        ("\uff11", "\uff18", "\uff12\uff10\uff12\uff16", "Date received must be a real date"),
        ("1", "8", "\u0662\u0660\u0662\u0666", "Date received must be a real date"),
        ("1_5", "7", "2026", "Date received must be a real date"),
        ("+1", "7", "2026", "Date received must be a real date"),
        ("1", "-7", "2026", "Date received must be a real date"),
        ("1", "7", "2_026", "Date received must be a real date"),
        ("1", "7", "2026.0", "Date received must be a real date"),
        ("1 5", "7", "2026", "Date received must be a real date"),
        # Today in London is the last day an event can have happened.
        ("1", "8", "2026", date(2026, 8, 1)),
        ("2", "8", "2026", "Date received must be today or in the past"),
        ("", "8", "2026", "Date received must include a day"),
    ],
)
def test_each_typed_date_is_a_real_date_or_a_clear_message(app, day, month, year, expected):
    data, errors = _read(app, day, month, year)
    if isinstance(expected, date):
        assert (data, errors) == (expected, [])
    else:
        assert (data, errors) == (None, [expected])


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("2", "8", "2026", date(2026, 8, 2)),
        ("31", "12", "2099", date(2099, 12, 31)),
        ("1", "1", "2100", "Date received must be between 1 January 1900 and 31 December 2099"),
        ("\uff11", "\uff18", "\uff12\uff10\uff12\uff17", "Date received must be a real date"),
    ],
)
def test_each_typed_planned_date_is_a_real_date_or_a_clear_message(app, day, month, year, expected):
    data, errors = _read(app, day, month, year, planned=True)
    if isinstance(expected, date):
        assert (data, errors) == (expected, [])
    else:
        assert (data, errors) == (None, [expected])
