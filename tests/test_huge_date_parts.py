"""A huge number in a GOV.UK date input used to answer 500 on every page form, whatever the
database.

``core.forms.GovukDateField.process`` turned the three boxes into ``date(year, month, day)`` and caught
``ValueError`` only; ``int("99999999999999999999")`` is a fine int, and ``date()`` raises
``OverflowError`` ("Python int too large to convert to C long") for it. The field now refuses a day or
month of more than 2 digits and a year of more than 4 (leading zeros aside) with a form error, and
catches OverflowError too. ``tests/test_bad_input.py`` sends such numbers to every page form.
Every page form's date is this field: the public Case Review form (no sign-in), the victim's diary,
every staff form, and the search forms read from the query string (the audit log's ``date_from``).
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_from
from tests.interventions.world import world  # noqa: F401

HUGE = "99999999999999999999"


@pytest.fixture
def no_propagation(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def test_public_case_review_form_with_a_huge_year_is_a_form_error(app, client, world, no_propagation):  # noqa: F811
    page = client.get("/case-review/apply")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    stem = re.search(r'name="([^"]+)-year"', html).group(1)
    answer = client.post(
        "/case-review/apply",
        data={"csrf_token": csrf_from(html), f"{stem}-day": "1", f"{stem}-month": "1", f"{stem}-year": HUGE},
    )
    assert answer.status_code in (200, 422), answer.status_code
    assert "govuk-error-summary" in answer.get_data(as_text=True)


def test_audit_search_with_a_huge_year_is_a_form_error(world, page_client, no_propagation):  # noqa: F811
    answer = page_client(world.admin).get(
        "/admin/audit", query_string={"date_from-day": "1", "date_from-month": "1", "date_from-year": HUGE}
    )
    assert answer.status_code in (200, 422), answer.status_code
    assert "Date from must have a year of 4 numbers" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("1", "1", "99999999999999999999", "must have a year of 4 numbers"),
        ("99999999999999999999", "1", "2026", "must be a real date"),
        ("1", "123", "2026", "must be a real date"),
        ("01", "001", "02026", None),
    ],
)
def test_date_boxes_with_too_many_digits_are_a_form_error(app, day, month, year, message):
    from werkzeug.datastructures import MultiDict

    from casework.core.forms import FlaskForm, GovukDateField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        when = GovukDateField("Date from")

    with app.test_request_context():
        form = Form(MultiDict({"when-day": day, "when-month": month, "when-year": year}))
        valid = form.validate()
    if message is None:
        assert valid
        assert form.when.data.isoformat() == "2026-01-01"
    else:
        assert not valid
        assert form.when.errors == [f"Date from {message}"]
