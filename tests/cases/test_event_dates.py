"""Dates of events are inputs (docs/api.md): a case opened, an incident, a case closed, an action done may
each be dated in the past, checked against what they follow and never in the future; the audit entry
keeps the day of the event."""

from __future__ import annotations

import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.extensions import db


def _open(api, **fields):
    return api.post(
        "/api/v1/cases", json={"area_code": "BOL", "category": "personal", "summary": "Noise", "parties": [], **fields}
    )


def test_a_case_opened_in_the_past_takes_that_years_reference(api_client, world):
    api = api_client(world.officer)
    response = _open(api, opened_on="2019-06-03")
    assert response.status_code == 201, response.json
    assert response.json["reference"] == "BOL-2019-0001"
    assert response.json["opened_on"] == "2019-06-03"
    assert "opened_on" in _open(api, opened_on="2999-01-01").json["errors"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.summary.like("Opened case BOL-2019-0001%")))
    assert entry.changes["event_on"] == "2019-06-03"


def test_a_closed_case_takes_its_history_but_not_what_came_after(api_client, world):
    api = api_client(world.officer)
    case = _open(api, opened_on="2019-06-03").json
    early = api.post(
        f"/api/v1/cases/{case['id']}/close",
        json={"reason": "Done", "closed_on": "2019-06-01", "version": case["version"]},
    )
    assert early.status_code == 422
    assert "closed_on" in early.json["errors"]
    closed = api.post(
        f"/api/v1/cases/{case['id']}/close",
        json={"reason": "Moved away", "closed_on": "2020-01-15", "version": case["version"]},
    )
    assert closed.status_code == 200, closed.json

    def incident(occurred, reported):
        return api.post(
            f"/api/v1/cases/{case['id']}/incidents",
            json={
                "occurred_on": occurred,
                "description": "Shouting",
                "complaints": [{"reported_on": reported, "agency_code": "BDC", "reference": None}],
            },
        )

    during = incident("2019-12-01", "2019-12-02")
    assert during.status_code == 201, during.json
    after = incident("2020-02-01", "2020-02-01")
    assert after.status_code == 422
    assert "_rule" in after.json["errors"]
    reported_after = incident("2020-01-10", "2020-01-20")
    assert reported_after.status_code == 422
    assert "_rule" in reported_after.json["errors"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.object_type == "incidents"))
    assert entry.changes["event_on"] == "2019-12-01"


def test_an_action_done_on_an_earlier_day(api_client, world):
    api = api_client(world.officer)
    case = _open(api, opened_on="2025-06-03").json
    action = api.post(f"/api/v1/cases/{case['id']}/actions", json={"description": "Fit a monitor"}).json
    done = api.patch(
        f"/api/v1/actions/{action['id']}",
        json={"status": "done", "outcome": "Fitted", "completed_on": "2025-07-01", "version": action["version"]},
    )
    assert done.status_code == 200, done.json
    assert done.json["completed_on"] == "2025-07-01"
    other = api.post(f"/api/v1/cases/{case['id']}/actions", json={"description": "Visit"}).json
    for day, field in (("2999-01-01", "completed_on"), ("2025-05-01", "completed_on")):
        response = api.patch(
            f"/api/v1/actions/{other['id']}",
            json={"status": "done", "outcome": "Visited", "completed_on": day, "version": other["version"]},
        )
        assert response.status_code == 422, response.json
        assert field in response.json["errors"], response.json
