"""probe22: a huge number in a GOV.UK date input answers 500 on every page form, whatever the database.

``core.forms.GovukDateField.process`` turns the three boxes into ``date(year, month, day)`` and catches
``ValueError`` only; ``int("99999999999999999999")`` is a fine int, and ``date()`` raises
``OverflowError`` ("Python int too large to convert to C long") for it. Every page form's date is this
field: the public Case Review form (no sign-in), the victim's diary, every staff form, and the search
forms read from the query string (the audit log's ``date_from``).
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


@pytest.mark.xfail(strict=True, reason="probe22 #5: a huge year in a date input answers 500 (OverflowError)")
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


@pytest.mark.xfail(strict=True, reason="probe22 #5: a huge year in a date input answers 500 (OverflowError)")
def test_audit_search_with_a_huge_year_is_a_form_error(world, page_client, no_propagation):  # noqa: F811
    answer = page_client(world.admin).get(
        "/admin/audit", query_string={"date_from-day": "1", "date_from-month": "1", "date_from-year": HUGE}
    )
    assert answer.status_code in (200, 422), answer.status_code
