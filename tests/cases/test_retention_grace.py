"""A closing date years back (a mistyped year) does not let the next retention run erase a live case:
retention waits until the closure has been on record for the grace period (30 days by default),
whichever way the case was closed (the page, the API, an import)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
import time_machine
from flask import url_for

from casework.cases.models import Case, Person
from casework.core.templating import format_date
from casework.core.time import today
from casework.data_protection.retention import anonymisation_date, years_before
from casework.data_protection.tasks import apply_retention
from casework.extensions import db
from tests.spreadsheets.conftest import Importer


def _at(day: date) -> time_machine.travel:
    return time_machine.travel(day.isoformat() + " 12:00 +00:00", tick=False)


def _state(case_id: int, person_id: int) -> tuple[bool, bool]:
    db.session.expire_all()
    case, person = db.session.get(Case, case_id), db.session.get(Person, person_id)
    return case.anonymised_at is not None, person.anonymised_at is not None


def _closed_through_the_api(api_client, world, open_case, person, opened_on: date, closed_on: date):
    victim = person("Vera Victim", address="1 Elm Street")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}], opened_on=opened_on.isoformat())
    response = api_client(world.officer).post(
        f"/api/v1/cases/{case['id']}/close", json={"reason": "Resolved", "closed_on": closed_on.isoformat()}
    )
    assert response.status_code == 200, response.json
    return case["id"], victim


def _closed_through_an_import(page_client, world, opened_on: date, closed_on: date):
    importer = Importer(page_client, world.coordinator)
    importer.run("people", [["reference", "name", "address"], ["P-1", "Ivy Imported", "2 Oak Road"]])
    header = ["reference", "area_code", "category", "summary", "opened_on", "status", "closed_on", "closure_reason"]
    row = ["C-1", "BOL", "personal", "Noise upstairs", opened_on.isoformat(), "closed", closed_on.isoformat(), "Moved"]
    job = importer.run("cases", [[*header, "victims"], [*row, "P-1"]])
    assert job.error is None
    assert job.problem_count == 0
    case = db.session.scalar(sa.select(Case).where(Case.summary == "Noise upstairs"))
    victim = db.session.scalar(sa.select(Person).where(Person.name == "Ivy Imported"))
    return case.id, victim.id


def test_a_case_closed_seven_years_back_is_kept_for_the_grace_period(api_client, page_client, world, open_case, person):
    day = today()
    opened_on, closed_on = years_before(day, 8), years_before(day, 7)
    by_api = _closed_through_the_api(api_client, world, open_case, person, opened_on, closed_on)
    by_import = _closed_through_an_import(page_client, world, opened_on, closed_on)
    assert db.session.get(Case, by_import[0]).closed_on == closed_on

    # The run that night, and every run until the closure has been on record for 30 days: nothing goes.
    for later in (0, 1, 29):
        with _at(day + timedelta(days=later)):
            assert apply_retention() == {"cases": 0, "people": 0}
        assert _state(*by_api) == (False, False)
        assert _state(*by_import) == (False, False)
    assert anonymisation_date(db.session.get(Case, by_api[0])) == day + timedelta(days=30)

    # Thirty days after the closure was recorded, the case and its people are anonymised.
    with _at(day + timedelta(days=30)):
        assert apply_retention() == {"cases": 2, "people": 2}
    assert _state(*by_api) == (True, True)
    assert _state(*by_import) == (True, True)


def test_a_reopened_case_closed_again_counts_from_its_last_closure(api_client, world, open_case, person):
    day = today()
    case_id, victim_id = _closed_through_the_api(
        api_client, world, open_case, person, years_before(day, 8), years_before(day, 7)
    )
    with _at(day + timedelta(days=20)):
        client = api_client(world.officer)
        assert client.post(f"/api/v1/cases/{case_id}/reopen", json={"reason": "Wrong date"}).status_code == 200
        closed = client.post(
            f"/api/v1/cases/{case_id}/close",
            json={"reason": "Resolved", "closed_on": years_before(day, 7).isoformat()},
        )
        assert closed.status_code == 200, closed.json
    # Thirty days after the first closure, but not after the last.
    with _at(day + timedelta(days=31)):
        assert apply_retention() == {"cases": 0, "people": 0}
    assert _state(case_id, victim_id) == (False, False)
    with _at(day + timedelta(days=50)):
        assert apply_retention() == {"cases": 1, "people": 1}
    assert _state(case_id, victim_id) == (True, True)


def test_a_case_closed_with_no_closed_event_gets_the_grace_too(api_client, world, open_case, person):
    """A closed case whose timeline has no ``closed`` event (written closed by a path that wrote none, or
    before closures were put on the timeline) counts its grace from when its row was last written."""
    from casework.cases.models import CaseEvent, CaseEventKind, CaseStatus

    day = today()
    victim = person("Nell No-Event", address="3 Ash Lane")
    case_id = open_case(parties=[{"person_id": victim, "role": "victim"}], opened_on=years_before(day, 8).isoformat())[
        "id"
    ]
    case = db.session.get(Case, case_id)
    case.status, case.closed_on, case.closure_reason = CaseStatus.closed, years_before(day, 7), "Resolved"
    db.session.commit()
    assert not db.session.scalar(
        sa.select(sa.func.count()).where(CaseEvent.case_id == case_id, CaseEvent.kind == CaseEventKind.closed)
    )

    with _at(day + timedelta(days=29)):
        assert apply_retention() == {"cases": 0, "people": 0}
    assert _state(case_id, victim) == (False, False)
    assert anonymisation_date(db.session.get(Case, case_id)) == day + timedelta(days=30)
    with _at(day + timedelta(days=30)):
        assert apply_retention() == {"cases": 1, "people": 1}
    assert _state(case_id, victim) == (True, True)


def test_a_later_edit_does_not_restart_the_grace_of_a_case_closed_with_no_closed_event(
    api_client, world, open_case, person
):
    """The first retention run to see such a case closed records when its row was last written then
    (``Case.closure_seen_at``): its grace counts from that, not from an edit made to the case since."""
    from casework.cases.models import CaseStatus

    day = today()
    victim = person("Nell No-Event", address="3 Ash Lane")
    case_id = open_case(parties=[{"person_id": victim, "role": "victim"}], opened_on=years_before(day, 8).isoformat())[
        "id"
    ]
    case = db.session.get(Case, case_id)
    case.status, case.closed_on, case.closure_reason = CaseStatus.closed, years_before(day, 7), "Resolved"
    db.session.commit()
    with _at(day + timedelta(days=1)):
        assert apply_retention() == {"cases": 0, "people": 0}
    with _at(day + timedelta(days=20)):
        db.session.get(Case, case_id).location = "Corrected: 3 Ash Lane"
        db.session.commit()
        db.session.expire_all()
        assert anonymisation_date(db.session.get(Case, case_id)) == day + timedelta(days=30)
    with _at(day + timedelta(days=30)):
        assert apply_retention() == {"cases": 1, "people": 1}
    assert _state(case_id, victim) == (True, True)


def test_a_case_seen_closed_with_no_event_then_reopened_and_closed_again_counts_from_the_closed_event(
    api_client, world, open_case, person
):
    """A run saw it closed with no ``closed`` event (``closure_seen_at``); reopened and closed again
    through the service, it has one now: the day it will be anonymised, as the held-back list and the
    case page give it, counts from that event, as the run's grace does, not from the older sighting."""
    from casework.cases.models import CaseStatus
    from casework.data_protection.retention import held_back_cases

    day = today()
    victim = person("Nell No-Event", address="3 Ash Lane")
    case_id = open_case(parties=[{"person_id": victim, "role": "victim"}], opened_on=years_before(day, 8).isoformat())[
        "id"
    ]
    case = db.session.get(Case, case_id)
    case.status, case.closed_on, case.closure_reason = CaseStatus.closed, years_before(day, 7), "Resolved"
    db.session.commit()
    with _at(day + timedelta(days=1)):
        assert apply_retention() == {"cases": 0, "people": 0}
    assert db.session.get(Case, case_id).closure_seen_at is not None
    with _at(day + timedelta(days=20)):
        client = api_client(world.officer)
        assert client.post(f"/api/v1/cases/{case_id}/reopen", json={"reason": "Wrong date"}).status_code == 200
        closed = client.post(
            f"/api/v1/cases/{case_id}/close", json={"reason": "Resolved", "closed_on": years_before(day, 7).isoformat()}
        )
        assert closed.status_code == 200, closed.json
    db.session.expire_all()
    assert anonymisation_date(db.session.get(Case, case_id)) == day + timedelta(days=50)
    with _at(day + timedelta(days=31)):
        assert [(held.id, on) for held, on in held_back_cases()] == [(case_id, day + timedelta(days=50))]
        assert apply_retention() == {"cases": 0, "people": 0}
    with _at(day + timedelta(days=50)):
        assert apply_retention() == {"cases": 1, "people": 1}
    assert _state(case_id, victim) == (True, True)


def test_the_grace_is_a_setting(app, api_client, world, open_case, person, monkeypatch):
    assert app.config["CASEWORK"]["RETENTION_CLOSURE_GRACE_DAYS"] == 30
    monkeypatch.setitem(app.config["CASEWORK"], "RETENTION_CLOSURE_GRACE_DAYS", 60)
    day = today()
    case_id, victim_id = _closed_through_the_api(
        api_client, world, open_case, person, years_before(day, 8), years_before(day, 7)
    )
    with _at(day + timedelta(days=59)):
        assert apply_retention() == {"cases": 0, "people": 0}
    with _at(day + timedelta(days=60)):
        assert apply_retention() == {"cases": 1, "people": 1}
    assert _state(case_id, victim_id) == (True, True)


def _close_page_data(case: dict, closed_on: date, **extra: str) -> dict[str, str]:
    return {
        "reason": "Resolved",
        "version": str(case["version"]),
        "closed_on-day": str(closed_on.day),
        "closed_on-month": str(closed_on.month),
        "closed_on-year": str(closed_on.year),
        **extra,
    }


def test_the_close_page_asks_to_confirm_a_closing_date_past_the_retention_period(page_client, world, open_case):
    day = today()
    case = open_case(opened_on=years_before(day, 8).isoformat())
    client = page_client(world.officer)
    assert "The closing date is right" not in client.get(f"/cases/{case['id']}/close").get_data(as_text=True)

    seven_years_back = years_before(day, 7)
    response = client.post(f"/cases/{case['id']}/close", data=_close_page_data(case, seven_years_back))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "govuk-warning-text" in page
    assert "is already past its 6-year retention period" in page
    assert "Confirm the closing date is right, or correct it" in page
    assert 'name="confirm_closed_on"' in page
    db.session.expire_all()
    assert db.session.get(Case, case["id"]).closed_on is None

    confirmed = _close_page_data(case, seven_years_back, confirm_closed_on="y")
    assert client.post(f"/cases/{case['id']}/close", data=confirmed).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case["id"]).closed_on == seven_years_back


def test_the_close_page_does_not_ask_about_a_date_within_the_retention_period(page_client, world, open_case):
    day = today()
    case = open_case(opened_on=years_before(day, 8).isoformat())
    response = page_client(world.officer).post(
        f"/cases/{case['id']}/close", data=_close_page_data(case, years_before(day, 5))
    )
    assert response.status_code == 302


def test_the_retention_reports_show_a_case_the_grace_keeps_with_its_day(
    app, api_client, page_client, world, open_case, person
):
    day = today()
    case_id, _victim_id = _closed_through_the_api(
        api_client, world, open_case, person, years_before(day, 8), years_before(day, 7)
    )
    reference = db.session.get(Case, case_id).reference
    with app.test_request_context():
        href = url_for("staff.data_protection.retention_report")
    page = page_client(world.admin).get(href)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    held_back = text[text.index("Not yet due") : text.index("Runs")]
    assert reference in held_back
    assert format_date(day + timedelta(days=30)) in held_back


def test_the_data_protection_officers_home_says_how_many_cases_the_grace_keeps(
    api_client, page_client, world, open_case, person, make
):
    dpo = make.user("dpo", agency=world.bdc, email="dpo@bdc.example")
    assert "past the retention period" not in page_client(dpo).get("/").get_data(as_text=True)
    day = today()
    _closed_through_the_api(api_client, world, open_case, person, years_before(day, 8), years_before(day, 7))
    home = page_client(dpo).get("/").get_data(as_text=True)
    assert "1 closed case is past the retention period" in home
    assert f"the first to be anonymised on {format_date(day + timedelta(days=30))}" in home


def test_the_case_page_says_when_a_case_closed_with_an_old_date_will_be_anonymised(
    api_client, page_client, world, open_case, person
):
    day = today()
    case_id, _victim_id = _closed_through_the_api(
        api_client, world, open_case, person, years_before(day, 8), years_before(day, 7)
    )
    page = page_client(world.officer).get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"will be anonymised under the retention policy on {format_date(day + timedelta(days=30))}" in page

    recent_id, _other = _closed_through_the_api(
        api_client, world, open_case, person, years_before(day, 8), years_before(day, 5)
    )
    page = page_client(world.officer).get(f"/cases/{recent_id}").get_data(as_text=True)
    assert "will be anonymised under the retention policy" not in page
