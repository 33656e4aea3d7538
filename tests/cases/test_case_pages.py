"""The casework pages: list, case page, forms with their errors, people, admin categories, dashboard."""

from __future__ import annotations

import re

import time_machine

from casework.audit.models import AuditAction, AuditEntry
from casework.cases.models import Case, CaseCategory, Incident, Person
from casework.extensions import db


def test_open_a_case_through_the_form(page_client, world):
    client = page_client(world.officer)
    page = client.get("/cases/new")
    assert page.status_code == 200
    assert "Open a case" in page.text
    missing = client.post("/cases/new", data={"area_code": "BOL", "category": "personal", "summary": ""})
    assert missing.status_code == 422
    assert "There is a problem" in missing.text
    assert "Enter a summary of the case" in missing.text
    done = client.post(
        "/cases/new",
        data={"area_code": "BOL", "category": "nuisance", "summary": "Loud music", "location": "Elm Street"},
    )
    assert done.status_code == 302
    case = db.session.query(Case).one()
    assert done.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.category == "nuisance"
    assert case.owner_id == world.officer.id


def test_case_page_shows_parties_ledger_sections_and_timeline(page_client, api_client, world, person, open_case):
    victim = person("Vera Victim")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    api_client(world.officer).post(
        f"/api/v1/cases/{case['id']}/incidents",
        json={
            "occurred_on": "2026-01-10",
            "description": "Shouting at the door",
            "complaints": [
                {
                    "complainant_person_id": victim,
                    "reported_on": "2026-01-11",
                    "agency_code": "DERPOL",
                    "reference": "LOG-9",
                }
            ],
        },
    )
    page = page_client(world.officer).get(f"/cases/{case['id']}")
    assert page.status_code == 200
    text = page.text
    assert case["reference"] in text
    assert "Vera Victim" in text
    assert "Shouting at the door" in text
    assert "LOG-9" in text
    assert "Timeline" in text
    assert "Case opened by Olive Officer" in text
    assert text.count("<h1") == 1
    assert db.session.query(AuditEntry).filter_by(action=AuditAction.view, object_type="cases").count() == 1


def test_case_page_is_404_for_other_agencies(page_client, world, open_case):
    case = open_case()
    assert page_client(world.other_officer).get(f"/cases/{case['id']}").status_code == 404
    assert page_client(world.admin).get(f"/cases/{case['id']}").status_code == 403


def test_case_list_page_filters(page_client, world, open_case):
    open_case(summary="Dog barking")
    open_case(summary="Fly-tipping behind the shops")
    client = page_client(world.officer)
    text = client.get("/cases/?q=barking").text
    assert "Dog barking" in text
    assert "Fly-tipping" not in text
    assert "Fly-tipping" in client.get("/cases/?status=open").text


def test_record_an_incident_and_a_further_report(page_client, world, person, open_case):
    victim = person("Vera Victim")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    with time_machine.travel("2026-03-02 12:00Z"):
        # The CSRF token is dated: sign in on the travelled day.
        client = page_client(world.officer)
        bad = client.post(
            f"/cases/{case['id']}/incidents/new",
            data={
                "occurred_on-day": "10",
                "occurred_on-month": "2",
                "occurred_on-year": "2026",
                "description": "Banging",
                "causes_had": "y",
                "complainant_person_id": str(victim),
                "reported_on-day": "9",
                "reported_on-month": "2",
                "reported_on-year": "2026",
                "agency_code": "BDC",
            },
        )
        assert bad.status_code == 422
        assert "cannot be before the behaviour happened" in bad.text
        invalid = client.post(
            f"/cases/{case['id']}/incidents/new",
            data={"occurred_on-day": "31", "occurred_on-month": "2", "occurred_on-year": "2026", "description": "x"},
        )
        assert invalid.status_code == 422
        assert "Enter a real date" in invalid.text
        assert db.session.query(Incident).count() == 0
        ok = client.post(
            f"/cases/{case['id']}/incidents/new",
            data={
                "occurred_on-day": "10",
                "occurred_on-month": "2",
                "occurred_on-year": "2026",
                "description": "Banging",
                "causes_had": "y",
                "complainant_person_id": str(victim),
                "reported_on-day": "10",
                "reported_on-month": "2",
                "reported_on-year": "2026",
                "agency_code": "BDC",
                "reference": "BDC-7",
            },
        )
        assert ok.status_code == 302
        incident = db.session.query(Incident).one()
        more = client.post(
            f"/cases/{case['id']}/incidents/{incident.id}/complaints/new",
            data={
                "complainant_person_id": str(victim),
                "reported_on-day": "11",
                "reported_on-month": "2",
                "reported_on-year": "2026",
                "agency_code": "DERPOL",
                "reference": "LOG-1",
            },
        )
        assert more.status_code == 302
    db.session.expire_all()
    assert [c.agency.code for c in db.session.query(Incident).one().complaints] == ["BDC", "DERPOL"]


def test_second_report_task_shows_and_is_recorded(page_client, api_client, world, person, open_case):
    victim = person("Vera Victim")
    case = open_case()
    client = api_client(world.officer)
    for day in ("2026-01-10", "2026-02-10"):
        client.post(
            f"/api/v1/cases/{case['id']}/incidents",
            json={
                "occurred_on": day,
                "description": "x",
                "complaints": [{"complainant_person_id": victim, "reported_on": day, "agency_code": "BDC"}],
            },
        )
    page = page_client(world.officer).get(f"/cases/{case['id']}").text
    assert "Explain the Case Review (Community Trigger) to Vera Victim" in page
    link = re.search(r'href="(/cases/\d+/explanations/\d+)"', page).group(1)
    done = page_client(world.officer).post(
        link,
        data={"explained_on-day": "12", "explained_on-month": "2", "explained_on-year": "2026", "method": "in_person"},
    )
    assert done.status_code == 302
    page = page_client(world.officer).get(f"/cases/{case['id']}").text
    assert "Case Review explained" in page
    assert "Record that you explained it" not in page


def test_close_and_reopen_pages(page_client, world, open_case):
    case = open_case()
    client = page_client(world.officer)
    assert client.post(f"/cases/{case['id']}/close", data={"reason": "", "version": "1"}).status_code == 422
    assert client.post(f"/cases/{case['id']}/close", data={"reason": "Resolved", "version": "1"}).status_code == 302
    stale = client.post(f"/cases/{case['id']}/reopen", data={"reason": "Again", "version": "1"})
    assert stale.status_code == 409
    current = db.session.get(Case, case["id"]).version
    assert (
        client.post(f"/cases/{case['id']}/reopen", data={"reason": "Again", "version": str(current)}).status_code == 302
    )


def test_share_page(page_client, world, open_case):
    case = open_case()
    client = page_client(world.officer)
    assert client.post(f"/cases/{case['id']}/share", data={"agency_code": "DERPOL"}).status_code == 302
    assert page_client(world.partner).get(f"/cases/{case['id']}").status_code == 200
    assert client.post(f"/cases/{case['id']}/unshare/DERPOL").status_code == 302
    assert page_client(world.partner).get(f"/cases/{case['id']}").status_code == 404
    assert page_client(world.partner).get(f"/cases/{case['id']}/share").status_code == 404


def test_add_person_warns_of_likely_duplicates_and_asks_to_confirm(page_client, world, person):
    existing = person("Percy Perp", date_of_birth="1990-01-01")
    client = page_client(world.officer)
    data = {
        "kind": "individual",
        "name": "Percy Perp",
        "date_of_birth-day": "1",
        "date_of_birth-month": "1",
        "date_of_birth-year": "1990",
        "consent_given": "unknown",
    }
    warned = client.post("/people/new", data=data)
    assert warned.status_code == 200
    assert "This person may already be recorded" in warned.text
    assert f"/people/{existing}" in warned.text
    assert db.session.query(Person).count() == 1
    confirmed = client.post("/people/new", data={**data, "confirm_not_duplicate": "yes"})
    assert confirmed.status_code == 302
    assert db.session.query(Person).count() == 2


def test_person_page_search_and_export(page_client, world, person, open_case):
    victim = person("Vera Victim", postcode="S44 6NR")
    open_case(parties=[{"person_id": victim, "role": "victim"}])
    officer = page_client(world.officer)
    assert "Vera Victim" in officer.get("/people/?name=vera").text
    page = officer.get(f"/people/{victim}")
    assert page.status_code == 200
    assert "BOL-" in page.text
    assert "Subject access" not in page.text
    assert officer.get(f"/people/{victim}/export").status_code == 403
    manager = page_client(world.manager)
    assert "Subject access request" in manager.get(f"/people/{victim}").text
    printable = manager.get(f"/people/{victim}/export")
    assert printable.status_code == 200
    assert "Vera Victim" in printable.text
    as_json = manager.get(f"/people/{victim}/export?format=json")
    assert as_json.json["person"]["name"] == "Vera Victim"
    assert page_client(world.other_officer).get(f"/people/{victim}").status_code == 404


def test_admin_adds_a_local_category(page_client, world, open_case):
    client = page_client(world.admin)
    assert client.get("/admin/case-categories").status_code == 200
    assert (
        client.post("/admin/case-categories", data={"code": "personal", "name": "Dup", "area_code": ""}).status_code
        == 422
    )
    assert (
        client.post(
            "/admin/case-categories", data={"code": "fly_tipping", "name": "Fly-tipping", "area_code": "BOL"}
        ).status_code
        == 302
    )
    assert db.session.query(CaseCategory).filter_by(code="fly_tipping").one().area_id == world.bol.id
    assert open_case(category="fly_tipping")["category"] == "fly_tipping"
    assert page_client(world.officer).get("/admin/case-categories").status_code == 403


def test_dashboards(page_client, api_client, world, open_case, person):
    mine = open_case(summary="My noisy neighbours")
    shared = open_case(summary="Shared with police", shared_with=["DERPOL"])
    victim = person()
    client = api_client(world.officer)
    for day in ("2026-01-10", "2026-02-10"):
        client.post(
            f"/api/v1/cases/{mine['id']}/incidents",
            json={
                "occurred_on": day,
                "description": "x",
                "complaints": [{"complainant_person_id": victim, "reported_on": day, "agency_code": "BDC"}],
            },
        )
    home = page_client(world.officer).get("/").text
    assert mine["reference"] in home
    assert "My noisy neighbours" in home
    assert "Explain the Case Review" in home
    partner_home = page_client(world.partner).get("/").text
    assert shared["reference"] in partner_home
    assert mine["reference"] not in partner_home


def test_case_list_page_runs_a_fixed_number_of_queries(page_client, world, open_case, count_queries):
    client = page_client(world.officer)

    def counted() -> int:
        with count_queries() as counter:
            assert client.get("/cases/").status_code == 200
        return counter.count

    for _ in range(3):
        open_case()
    small = counted()
    for _ in range(22):
        open_case()
    assert counted() == small


def test_edit_a_person(page_client, world, person):
    victim = person("Vera Victim")
    client = page_client(world.officer)
    page = client.get(f"/people/{victim}/edit")
    assert page.status_code == 200
    assert 'value="Vera Victim"' in page.text
    data = {
        "kind": "individual",
        "name": "Vera Victor",
        "consent_given": "yes",
        "consent_on-day": "1",
        "consent_on-month": "2",
        "consent_on-year": "2026",
        "version": "1",
    }
    assert client.post(f"/people/{victim}/edit", data=data).status_code == 302
    assert db.session.get(Person, victim).name == "Vera Victor"
    assert client.post(f"/people/{victim}/edit", data=data).status_code == 409
    assert page_client(world.other_officer).get(f"/people/{victim}/edit").status_code == 404


def test_case_page_per_role(page_client, world, open_case):
    case = open_case()
    restricted = open_case(is_restricted=True)
    expected = {
        "officer": (200, 200),
        "manager": (200, 404),
        "coordinator": (200, 404),
        "other_officer": (404, 404),
        "partner": (404, 404),
        "police_officer": (404, 404),
        "chair": (403, 403),
        "admin": (403, 403),
    }
    for who, (plain, named_only) in expected.items():
        client = page_client(getattr(world, who))
        assert client.get(f"/cases/{case['id']}").status_code == plain, who
        assert client.get(f"/cases/{restricted['id']}").status_code == named_only, who
