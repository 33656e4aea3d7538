"""Retention: anonymise closed cases and their people after the retention period."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditAction, AuditEntry
from casework.cases.models import Case, CaseEvent, CaseEventKind, Person
from casework.cases.services import ANONYMISED
from casework.data_protection.tasks import apply_retention
from casework.extensions import db


def _closed_case(api_client, world, open_case, person, closed_on, name="Vera Victim"):
    victim = person(name, date_of_birth="1950-01-01", address="1 Elm Street")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}], location="Elm Street")
    client = api_client(world.officer)
    client.post(f"/api/v1/cases/{case['id']}/notes", json={"text": "Sensitive note"})
    client.post(
        f"/api/v1/cases/{case['id']}/incidents",
        json={
            "occurred_on": "2026-01-10",
            "description": "Shouting",
            "complaints": [
                {"complainant_person_id": victim, "reported_on": "2026-01-10", "agency_code": "BDC", "reference": "R1"}
            ],
        },
    )
    response = client.post(f"/api/v1/cases/{case['id']}/close", json={"reason": "Resolved", "closed_on": closed_on})
    assert response.status_code == 200, response.json
    return case["id"], victim


def test_closed_case_is_anonymised_after_six_years_not_before(api_client, world, open_case, person):
    case_id, victim_id = _closed_case(api_client, world, open_case, person, closed_on=None)
    closed_on = db.session.get(Case, case_id).closed_on
    # The last day of the six years: kept.
    with time_machine.travel(closed_on.replace(year=closed_on.year + 6).isoformat() + " 12:00Z"):
        assert apply_retention() == {"cases": 0, "people": 0}
    db.session.expire_all()
    assert db.session.get(Case, case_id).anonymised_at is None
    day_after = closed_on.replace(year=closed_on.year + 6) + timedelta(days=1)
    with time_machine.travel(day_after.isoformat() + " 12:00Z"):
        assert apply_retention() == {"cases": 1, "people": 1}
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case.anonymised_at is not None
    assert case.summary == ANONYMISED
    assert case.location is None
    assert case.incidents[0].description == ANONYMISED
    assert case.incidents[0].complaints[0].reference is None
    person = db.session.get(Person, victim_id)
    assert person.anonymised_at is not None
    assert person.date_of_birth is None
    assert person.address is None
    assert "Vera" not in person.name
    entries = db.session.query(AuditEntry).filter_by(action=AuditAction.anonymise)
    assert {(e.object_type, e.object_id) for e in entries} == {("cases", str(case_id)), ("people", str(victim_id))}
    # Running again changes nothing.
    with time_machine.travel(day_after.isoformat() + " 13:00Z"):
        assert apply_retention() == {"cases": 0, "people": 0}


def test_an_anonymised_cases_link_events_no_longer_name_the_other_case(api_client, world, open_case, person):
    case_id, _victim_id = _closed_case(api_client, world, open_case, person, closed_on=None)
    other = open_case()
    linked = api_client(world.officer).post(f"/api/v1/cases/{other['id']}/links", json={"case_id": case_id})
    assert linked.status_code == 200, linked.json
    closed_on = db.session.get(Case, case_id).closed_on
    with time_machine.travel(closed_on.replace(year=closed_on.year + 7).isoformat() + " 12:00Z"):
        assert apply_retention()["cases"] == 1
    db.session.expire_all()
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.kind == CaseEventKind.linked)).all()
    by_case = {event.case_id: (event.related_case_id, event.summary) for event in events}
    # The timeline would show the other case's reference in place of the summary.
    assert by_case[case_id] == (None, "Linked (details removed under the retention policy)")
    assert by_case[other["id"]] == (case_id, "Linked to another case")


def test_person_on_an_open_case_is_kept(api_client, world, open_case, person):
    _case_id, victim_id = _closed_case(api_client, world, open_case, person, closed_on=None)
    open_case(parties=[{"person_id": victim_id, "role": "victim"}])
    with time_machine.travel("2040-01-01 12:00Z"):
        assert apply_retention() == {"cases": 1, "people": 0}
    db.session.expire_all()
    assert db.session.get(Person, victim_id).anonymised_at is None


def test_retention_period_is_an_area_setting(api_client, world, open_case, person, make):
    from datetime import date

    from casework.accounts.services import update_area_settings

    update_area_settings(None, world.bol, {"retention.case_years": 10}, date(2026, 1, 1))
    db.session.commit()
    _closed_case(api_client, world, open_case, person, closed_on=None)
    with time_machine.travel("2034-01-01 12:00Z"):
        assert apply_retention()["cases"] == 0
    with time_machine.travel("2037-01-01 12:00Z"):
        assert apply_retention()["cases"] == 1


def test_beat_runs_retention_daily(app):
    from casework.core.registry import registry

    entry = registry(app).beat_schedule["data_protection.apply_retention"]
    assert entry["task"] == "data_protection.apply_retention"
