"""Every date read from a query string takes one form, ``YYYY-MM-DD`` in ASCII digits (a calendar's month:
``YYYY-MM``), read by one helper (``casework.core.inputs.iso_day``, ``iso_month``): full-width digits,
``20260105`` and the ISO week date ``2026-W02-1`` (all read by ``date.fromisoformat`` as 5 January 2026)
get a clear 4xx or the page's form error, never a list filtered by a date nobody wrote.

The API's query schemas are found in the code (every ``use_args(..., location="query")``), and every
date field of each is tried; every other ``fromisoformat`` in the service is listed below with why it
reads no query string, so a new date read from one cannot pass unseen.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from marshmallow import ValidationError, fields

from casework.app import PROJECT_ROOT
from casework.core.inputs import iso_day, iso_month

#: Full-width digits (as a Japanese keyboard types them), a day with no dashes, an ISO week date, an ordinal.
BAD_DAYS = ("\uff12\uff10\uff12\uff16-01-05", "2026-01-0\uff15", "20260105", "2026-W02-1", "2026-005")
BAD_MONTHS = ("\uff12\uff10\uff12\uff16-04", "202604", "2026-W02", "2026-04-01", "2026-4")

#: ``fromisoformat`` left in the service, none of it reading a query string.
NOT_FROM_A_QUERY = {
    "casework/core/inputs.py",  # the helper itself, after its own check of the form
    "casework/reminders/services.py",  # the due moment inside an outbox key the service wrote
    "casework/cases/queries.py",  # the value inside a list's cursor, which the service wrote and signs
    "casework/config.py",  # a setting from the environment
    "casework/interventions/notices.py",  # stored details the service wrote
    "casework/interventions/services.py",  # stored details the service wrote
    "casework/interventions/models.py",  # stored details the service wrote
    "casework/community_triggers/views/staff.py",  # a template filter over stored evaluations
    "casework/accounts/views/admin.py",  # rows of a form the page built, after the form's date fields
    "casework/spreadsheets/columns.py",  # spreadsheet cells, checked by their own reader first
    "casework/core/safe_templates.py",  # a name in the list of what templates may not call
}


def test_the_helpers_take_one_form_only() -> None:
    assert iso_day("2026-01-05") is not None
    assert iso_month("2026-04") is not None
    for bad in BAD_DAYS:
        assert iso_day(bad) is None, bad
    for bad in BAD_MONTHS:
        assert iso_month(bad) is None, bad


def test_no_other_code_reads_a_date_with_fromisoformat() -> None:
    found = {
        str(path.relative_to(PROJECT_ROOT))
        for path in Path(PROJECT_ROOT, "casework").rglob("*.py")
        if "fromisoformat(" in path.read_text(encoding="utf-8") or '"fromisoformat"' in path.read_text(encoding="utf-8")
    }
    assert found <= NOT_FROM_A_QUERY, "read the date with casework.core.inputs.iso_day"


def _query_schemas() -> list[tuple[str, type]]:
    """Every schema an API view loads from the query string, by module and name, found in the code."""
    schemas = []
    for path in Path(PROJECT_ROOT, "casework").rglob("*.py"):
        for name in re.findall(r'use_args\((\w+), location="query"\)', path.read_text(encoding="utf-8")):
            module = importlib.import_module(".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts))
            schemas.append((f"{module.__name__}.{name}", getattr(module, name)))
    return schemas


def test_every_date_in_an_api_query_takes_one_form(app) -> None:
    dated = 0
    with app.test_request_context("/"):
        for label, schema in _query_schemas():
            for name, field in schema().fields.items():
                if not isinstance(field, fields.Date):
                    continue
                dated += 1
                for bad in BAD_DAYS:
                    with pytest.raises(ValidationError):
                        field.deserialize(bad)
                    assert schema().validate({name: bad}).get(name), (label, name, bad)
    assert dated >= 6  # cases opened from/to, a person's date of birth, reports' and statistics' periods


@pytest.fixture
def staff(make):
    area = make.area("BOL", "Bolsover")
    agency = make.agency("BOLC", areas=[area])
    return {role: make.user(role, agency=agency) for role in ("manager", "officer")}


def _api_queries(bad: str) -> list[str]:
    return [
        f"/api/v1/cases?opened_from={bad}",
        f"/api/v1/cases?opened_to={bad}",
        f"/api/v1/people?name=Smith&date_of_birth={bad}",
        f"/api/v1/statistics?area=BOL&period_start={bad}&period_end=2026-03-31",
        f"/api/v1/statistics?area=BOL&period_start=2025-04-01&period_end={bad}",
        f"/api/v1/statistics/versions?area=BOL&period_start={bad}&period_end=2026-03-31",
        f"/api/v1/reports/partnership?area=BOL&period_start={bad}&period_end=2026-03-31",
        f"/api/v1/reports/partnership?area=BOL&period_start=2025-04-01&period_end={bad}",
    ]


def _page_queries(bad: str) -> list[str]:
    return [
        f"/reports/statistics/?area=BOL&period_start={bad}&period_end=2026-03-31",
        f"/reports/statistics/?area=BOL&period_start=2025-04-01&period_end={bad}",
        f"/reports/statistics/?area=BOL&period={bad}",
        f"/reports/partnership/?area=BOL&period_start={bad}&period_end=2026-03-31",
        f"/reports/partnership/?area=BOL&period_start=2025-04-01&period_end={bad}",
    ]


@pytest.mark.parametrize("bad", BAD_DAYS)
def test_every_date_in_a_query_string_is_refused_in_another_form(staff, api_client, page_client, bad) -> None:
    api = api_client(staff["manager"])
    for url in _api_queries(bad):
        answer = api.get(url)
        assert answer.status_code in (400, 422), (url, answer.status_code)
    pages = page_client(staff["manager"])
    for url in _page_queries(bad):
        answer = pages.get(url)
        assert answer.status_code in (400, 422), (url, answer.status_code)
        assert "YYYY-MM-DD" in answer.get_data(as_text=True), url
    for name, label in (("opened_from", "Opened from"), ("opened_to", "Opened to")):
        answer = pages.get(f"/cases/?{name}={bad}")
        assert answer.status_code == 200
        assert f"{label} must be a real date, written as YYYY-MM-DD" in answer.get_data(as_text=True), (name, bad)


@pytest.mark.parametrize("bad", BAD_MONTHS)
def test_a_calendar_month_in_another_form_is_refused(staff, page_client, bad) -> None:
    answer = page_client(staff["officer"]).get(f"/deadlines/calendar?month={bad}")
    assert answer.status_code == 422
    assert "Enter the month as YYYY-MM" in answer.get_data(as_text=True)


def test_the_one_form_is_read(staff, api_client, page_client) -> None:
    api = api_client(staff["manager"])
    for url in _api_queries("2025-04-01"):
        assert api.get(url).status_code in (200, 202), url
    pages = page_client(staff["manager"])
    for url in _page_queries("2025-04-01"):
        assert pages.get(url).status_code == 200, url
    assert page_client(staff["officer"]).get("/deadlines/calendar?month=2026-04").status_code == 200
