"""People: kinds, vulnerability, consent, likely duplicates, search, the subject access export."""

from __future__ import annotations

from casework.audit.models import AuditAction, AuditEntry
from casework.cases.models import Person
from casework.extensions import db


def test_create_person_with_vulnerability_and_consent(api_client, world):
    response = api_client(world.officer).post(
        "/api/v1/people",
        json={
            "name": "  Vera   Victim ",
            "date_of_birth": "1950-05-01",
            "address": "12 High Street, Bolsover",
            "postcode": "s44 6nr",
            "is_personally_vulnerable": True,
            "personal_vulnerability_notes": "Hearing impairment",
            "consent_given": True,
            "consent_on": "2026-01-05",
            "consent_scope": "Police and housing",
        },
    )
    assert response.status_code == 201
    body = response.json
    assert body["kind"] == "individual"
    assert body["postcode"] == "S44 6NR"
    assert body["vulnerability"]["personal"] == {"is_vulnerable": True, "notes": "Hearing impairment"}
    assert body["vulnerability"]["situational"]["is_vulnerable"] is False
    assert body["consent"] == {"given": True, "on": "2026-01-05", "scope": "Police and housing"}
    assert body["warnings"] == []


def test_person_input_is_checked(api_client, world):
    client = api_client(world.officer)
    count = db.session.query(Person).count()
    assert client.post("/api/v1/people", json={"name": ""}).status_code == 422
    future = client.post("/api/v1/people", json={"name": "A", "date_of_birth": "2999-01-01"})
    assert future.status_code == 422
    assert "date_of_birth" in future.json["errors"]
    consent = client.post("/api/v1/people", json={"name": "A", "consent_given": False})
    assert consent.status_code == 422
    assert "consent_on" in consent.json["errors"]
    assert client.post("/api/v1/people", json={"name": "A", "kind": "alien"}).status_code == 422
    assert db.session.query(Person).count() == count
    unknown = client.post("/api/v1/people", json={"kind": "unknown"})
    assert unknown.status_code == 201
    assert unknown.json["name"] == "Unknown"


def test_likely_duplicates_are_named_on_create(api_client, world, person):
    first = person("Percy Perp", date_of_birth="1990-01-01")
    home = person("Hilda Home", address="12 High Street", postcode="S44 6NR")
    client = api_client(world.officer)
    same_name = client.post("/api/v1/people", json={"name": "percy  PERP", "date_of_birth": "1990-01-01"})
    assert same_name.status_code == 201
    assert same_name.json["likely_duplicate_ids"] == [first]
    assert same_name.json["warnings"][0]["person_id"] == first
    same_address = client.post(
        "/api/v1/people", json={"name": "Harold Home", "address": "12, high street.", "postcode": "s446nr"}
    )
    assert same_address.json["likely_duplicate_ids"] == [home]
    different = client.post("/api/v1/people", json={"name": "Percy Perp", "date_of_birth": "1991-01-01"})
    assert different.json["warnings"] == []


def test_duplicates_from_agencies_you_cannot_see_are_not_named(api_client, world, person):
    person("Percy Perp", date_of_birth="1990-01-01", user=world.other_officer)
    response = api_client(world.officer).post(
        "/api/v1/people", json={"name": "Percy Perp", "date_of_birth": "1990-01-01"}
    )
    assert response.json["warnings"] == []


def test_search_people(api_client, world, person):
    a = person("Anna Smith", date_of_birth="1980-02-02", postcode="S44 6NR")
    b = person("John Smithson", postcode="S40 1AA")
    person("Other Person", user=world.other_officer)
    client = api_client(world.officer)

    def ids(**params):
        return {p["id"] for p in client.get("/api/v1/people", query_string=params).json["items"]}

    assert ids(name="smith") == {a, b}
    assert ids(name="anna") == {a}
    assert ids(date_of_birth="1980-02-02") == {a}
    assert ids(postcode="s40") == {b}
    assert ids(name="other") == set()


def test_update_person_with_version(api_client, world, person):
    victim = person()
    client = api_client(world.officer)
    ok = client.patch(f"/api/v1/people/{victim}", json={"version": 1, "phone": "01234 567890"})
    assert ok.status_code == 200
    assert ok.json["phone"] == "01234 567890"
    assert client.patch(f"/api/v1/people/{victim}", json={"version": 1, "phone": "x"}).status_code == 409


def test_subject_access_export_is_for_managers_and_audited(api_client, world, person, open_case):
    victim = person("Vera Victim")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}])
    api_client(world.officer).post(
        f"/api/v1/cases/{case['id']}/incidents",
        json={
            "occurred_on": "2026-01-10",
            "description": "Shouting",
            "complaints": [{"complainant_person_id": victim, "reported_on": "2026-01-10", "agency_code": "BDC"}],
        },
    )
    api_client(world.officer).post(f"/api/v1/cases/{case['id']}/notes", json={"text": "Visited"})
    response = api_client(world.manager).get(f"/api/v1/people/{victim}/export")
    assert response.status_code == 200
    export = response.json
    assert export["person"]["name"] == "Vera Victim"
    [exported_case] = export["cases"]
    assert exported_case["reference"] == case["reference"]
    assert exported_case["roles"] == ["victim"]
    assert exported_case["incidents"][0]["complaints"][0]["by_this_person"] is True
    assert exported_case["notes"][0]["text"] == "Visited"
    # Every domain's part is in the document (the actions, risk, interventions and Case Review
    # domains answer for their own records; see tests/lifecycle/test_subject_access.py).
    for section in ("actions", "risk_assessments", "interventions", "case_review_applications", "emails", "views"):
        assert section in export, section
    assert db.session.query(AuditEntry).filter_by(action=AuditAction.export, object_id=str(victim)).count() == 1
    for user in (world.officer, world.coordinator, world.partner, world.admin):
        assert api_client(user).get(f"/api/v1/people/{victim}/export").status_code == 403
    full = api_client(world.manager).post(f"/api/v1/people/{victim}/export/full", json={"reason": "x"})
    assert full.status_code == 403


def test_export_needs_the_person_visible(api_client, world, person, make):
    victim = person()
    neddc_manager = make.user("manager", agency=world.neddc)
    assert api_client(neddc_manager).get(f"/api/v1/people/{victim}/export").status_code == 404


def test_people_search_runs_a_fixed_number_of_queries(api_client, world, person, count_queries):
    client = api_client(world.officer)

    def counted() -> int:
        with count_queries() as counter:
            response = client.get("/api/v1/people?name=smith&per_page=100")
        assert response.status_code == 200
        return counter.count

    for n in range(2):
        person(f"Sam Smith {n}")
    small = counted()
    for n in range(30):
        person(f"Sam Smith {n + 2}")
    assert counted() == small


def test_a_name_with_a_line_break_is_refused(api_client, world):
    response = api_client(world.officer).post("/api/v1/people", json={"name": "Dear Sir\nPay at evil.example"})
    assert response.status_code == 422
    assert response.json["errors"] == {"name": ["Enter this on one line, without line breaks"]}
