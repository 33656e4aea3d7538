"""Who sees which case, and which person (policies.py)."""

from __future__ import annotations

import pytest

from casework.audit.models import AuditAction, AuditEntry
from casework.extensions import db


def _sees(api_client, user, case_id) -> bool:
    status = api_client(user).get(f"/api/v1/cases/{case_id}").status_code
    assert status in (200, 403, 404)
    return status == 200


def _listed(api_client, user, case_id) -> bool:
    response = api_client(user).get("/api/v1/cases")
    if response.status_code == 403:
        return False
    return case_id in {item["id"] for item in response.json["items"]}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("officer", True),
        ("manager", True),
        ("coordinator", True),
        ("other_officer", False),
        ("partner", False),
        ("police_officer", False),
        ("chair", False),
        ("admin", False),
    ],
)
def test_who_sees_an_unshared_case(api_client, world, open_case, who, expected):
    case = open_case()
    user = getattr(world, who)
    assert _sees(api_client, user, case["id"]) is expected
    assert _listed(api_client, user, case["id"]) is expected


def test_sharing_opens_the_case_to_the_other_agencys_officers_and_partners(api_client, world, open_case):
    case = open_case()
    shared = api_client(world.officer).post(f"/api/v1/cases/{case['id']}/share", json={"agency_code": "DERPOL"})
    assert shared.status_code == 200
    assert shared.json["shared_with"] == ["DERPOL"]
    assert _sees(api_client, world.partner, case["id"])
    assert _sees(api_client, world.police_officer, case["id"])
    assert not _sees(api_client, world.other_officer, case["id"])
    # Partners contribute (notes, incidents) but do not manage the case.
    partner = api_client(world.partner)
    assert partner.post(f"/api/v1/cases/{case['id']}/notes", json={"text": "PCSO visited"}).status_code == 201
    assert partner.post(f"/api/v1/cases/{case['id']}/close", json={"reason": "x"}).status_code == 403
    assert partner.patch(f"/api/v1/cases/{case['id']}", json={"version": 1, "summary": "x"}).status_code == 403
    # Unsharing closes it again.
    api_client(world.officer).post(f"/api/v1/cases/{case['id']}/unshare", json={"agency_code": "DERPOL"})
    assert not _sees(api_client, world.partner, case["id"])
    kinds = [e["kind"] for e in api_client(world.officer).get(f"/api/v1/cases/{case['id']}").json["timeline"]]
    assert "case_shared" in kinds
    assert "case_unshared" in kinds


def test_shared_on_creation(api_client, world, open_case):
    case = open_case(shared_with=["DERPOL"])
    assert _sees(api_client, world.partner, case["id"])
    assert _listed(api_client, world.partner, case["id"])


def test_restricted_case_is_visible_only_to_named_users(api_client, world, open_case):
    case = open_case(is_restricted=True, shared_with=["DERPOL"])
    assert case["named_users"] == ["officer@bdc.example"]
    assert _sees(api_client, world.officer, case["id"])
    for user in (world.manager, world.coordinator, world.partner, world.police_officer, world.other_officer):
        assert not _sees(api_client, user, case["id"])
        assert not _listed(api_client, user, case["id"])
    granted = api_client(world.officer).post(
        f"/api/v1/cases/{case['id']}/access", json={"email": "manager@bdc.example"}
    )
    assert granted.status_code == 200
    assert _sees(api_client, world.manager, case["id"])
    assert not _sees(api_client, world.coordinator, case["id"])


def test_restricted_owner_is_named_automatically(api_client, world, open_case):
    case = open_case(user=world.manager, is_restricted=True, owner_email="officer@bdc.example")
    assert case["named_users"] == ["manager@bdc.example", "officer@bdc.example"]


def test_other_agencies_cannot_act_on_a_case_they_cannot_see(api_client, world, open_case):
    case = open_case()
    client = api_client(world.other_officer)
    assert client.post(f"/api/v1/cases/{case['id']}/notes", json={"text": "x"}).status_code == 404
    assert (
        client.post(
            f"/api/v1/cases/{case['id']}/incidents", json={"occurred_on": "2026-01-01", "description": "x"}
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/cases/{case['id']}/close", json={"reason": "x"}).status_code == 404


def test_partner_cannot_open_a_case_and_chair_admin_cannot_list(api_client, world):
    body = {"area_code": "BOL", "category": "personal", "summary": "x"}
    assert api_client(world.partner).post("/api/v1/cases", json=body).status_code == 403
    assert api_client(world.chair).post("/api/v1/cases", json=body).status_code == 403
    assert api_client(world.admin).get("/api/v1/cases").status_code == 403
    assert api_client(None).get("/api/v1/cases").status_code == 401


# --- people ----------------------------------------------------------------------------------------------


def test_person_visible_to_own_agency_and_through_visible_cases(api_client, world, person, open_case):
    victim = person("Vera Victim")
    assert api_client(world.manager).get(f"/api/v1/people/{victim}").status_code == 200
    assert api_client(world.partner).get(f"/api/v1/people/{victim}").status_code == 404
    assert api_client(world.other_officer).get(f"/api/v1/people/{victim}").status_code == 404
    assert api_client(world.admin).get(f"/api/v1/people/{victim}").status_code == 403
    open_case(parties=[{"person_id": victim, "role": "victim"}], shared_with=["DERPOL"])
    assert api_client(world.partner).get(f"/api/v1/people/{victim}").status_code == 200
    assert api_client(world.other_officer).get(f"/api/v1/people/{victim}").status_code == 404


def test_party_on_a_restricted_case_is_not_revealed(api_client, world, person, open_case):
    victim = person("Rita Restricted", user=world.police_officer)
    open_case(user=world.police_officer, is_restricted=True, parties=[{"person_id": victim, "role": "victim"}])
    # Not created by BDC and only on a case BDC cannot see.
    assert api_client(world.officer).get(f"/api/v1/people/{victim}").status_code == 404


def test_every_view_of_a_person_is_audited(api_client, world, person):
    victim = person()
    api_client(world.officer).get(f"/api/v1/people/{victim}")
    api_client(world.officer).get(f"/api/v1/people/{victim}")
    views = db.session.query(AuditEntry).filter_by(action=AuditAction.view, object_type="people", object_id=str(victim))
    assert views.count() == 2
