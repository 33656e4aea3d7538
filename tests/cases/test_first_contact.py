"""When the victim was first contacted: an optional date on the case, through the page and the API,
checked (not before the case opened, not in the future), shown on the case page and audited."""

from __future__ import annotations

import time_machine

from casework.audit.models import AuditAction, AuditEntry
from casework.cases.models import Case
from casework.extensions import db

TODAY = "2026-03-10 12:00:00+00:00"


def _entries(case_id):
    return (
        db.session.query(AuditEntry)
        .filter_by(object_type="cases", object_id=str(case_id), action=AuditAction.update)
        .all()
    )


@time_machine.travel(TODAY, tick=False)
def test_recorded_through_the_api_and_audited(api_client, world, open_case):
    case = open_case(opened_on="2026-03-02")
    client = api_client(world.officer)
    url = f"/api/v1/cases/{case['id']}"
    assert client.get(url).json["victim_first_contacted_on"] is None
    answer = client.patch(url, json={"version": case["version"], "victim_first_contacted_on": "2026-03-03"})
    assert answer.status_code == 200, answer.json
    assert answer.json["victim_first_contacted_on"] == "2026-03-03"
    assert db.session.get(Case, case["id"]).victim_first_contacted_on.isoformat() == "2026-03-03"
    entry = _entries(case["id"])[-1]
    assert entry.changes["victim_first_contacted_on"] == [None, "2026-03-03"]
    # With another change in the same request, both are made.
    both = client.patch(
        url, json={"version": answer.json["version"], "summary": "Changed", "victim_first_contacted_on": None}
    )
    assert both.status_code == 200, both.json
    assert (both.json["summary"], both.json["victim_first_contacted_on"]) == ("Changed", None)


@time_machine.travel(TODAY, tick=False)
def test_bad_dates_are_refused_and_write_nothing(api_client, world, open_case):
    case = open_case(opened_on="2026-03-02")
    client = api_client(world.officer)
    url = f"/api/v1/cases/{case['id']}"
    for day, message in (
        ("2026-03-01", "before the case opened"),
        ("2026-03-11", "future"),
        ("1899-12-31", "1900"),
        ("31/03/2026", "date"),
    ):
        answer = client.patch(url, json={"version": case["version"], "victim_first_contacted_on": day})
        assert answer.status_code == 422, (day, answer.json)
        assert message in str(answer.json), (day, answer.json)
    assert db.session.get(Case, case["id"]).victim_first_contacted_on is None
    assert not [e for e in _entries(case["id"]) if "victim_first_contacted_on" in (e.changes or {})]
    stale = client.patch(url, json={"version": case["version"] + 5, "victim_first_contacted_on": "2026-03-03"})
    assert stale.status_code == 409


@time_machine.travel(TODAY, tick=False)
def test_recorded_through_the_page_and_shown_on_the_case(page_client, world, open_case):
    case = open_case(opened_on="2026-03-02")
    client = page_client(world.officer)
    page = client.get(f"/cases/{case['id']}")
    assert "Victim first contacted" in page.text
    assert f"/cases/{case['id']}/first-contact" in page.text
    form = client.get(f"/cases/{case['id']}/first-contact")
    assert form.status_code == 200
    fields = {"version": str(case["version"])}
    early = client.post(
        f"/cases/{case['id']}/first-contact",
        data={
            **fields,
            "victim_first_contacted_on-day": "1",
            "victim_first_contacted_on-month": "3",
            "victim_first_contacted_on-year": "2026",
        },
    )
    assert early.status_code == 422
    assert "before the case opened" in early.text
    future = client.post(
        f"/cases/{case['id']}/first-contact",
        data={
            **fields,
            "victim_first_contacted_on-day": "11",
            "victim_first_contacted_on-month": "3",
            "victim_first_contacted_on-year": "2026",
        },
    )
    assert future.status_code == 422
    assert db.session.get(Case, case["id"]).victim_first_contacted_on is None
    done = client.post(
        f"/cases/{case['id']}/first-contact",
        data={
            **fields,
            "victim_first_contacted_on-day": "4",
            "victim_first_contacted_on-month": "3",
            "victim_first_contacted_on-year": "2026",
        },
    )
    assert done.status_code == 302
    assert "4 March 2026" in client.get(f"/cases/{case['id']}").text


def test_only_the_lead_agency_records_it(page_client, api_client, world, open_case):
    case = open_case()
    client = api_client(world.officer)
    client.post(f"/api/v1/cases/{case['id']}/share", json={"agency_code": "DERPOL"})
    assert page_client(world.partner).get(f"/cases/{case['id']}/first-contact").status_code in (403, 404)
    assert page_client(world.other_officer).get(f"/cases/{case['id']}/first-contact").status_code == 404
