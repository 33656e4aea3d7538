"""Bulk reassignment: every case or none, each checked (visible, led by the user's agency), each owner
change audited and on the case's timeline as an edit's is."""

from __future__ import annotations

import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.extensions import db
from tests.conftest import csrf_from


def owners(*ids: int) -> list[int | None]:
    db.session.expire_all()
    return [db.session.get(Case, i).owner_id for i in ids]


def test_api_reassigns_every_case_and_audits_each(api_client, world, open_case):
    first, second = open_case(), open_case()
    response = api_client(world.manager).post(
        "/api/v1/cases/reassign",
        json={"case_ids": [first["id"], second["id"]], "owner_email": "coordinator@bdc.example"},
    )
    assert response.status_code == 200, response.json
    assert [item["owner_email"] for item in response.json["items"]] == ["coordinator@bdc.example"] * 2
    assert owners(first["id"], second["id"]) == [world.coordinator.id] * 2
    entries = db.session.scalars(
        sa.select(AuditEntry.object_id).where(
            AuditEntry.object_type == "cases", AuditEntry.summary.like("Changed case%")
        )
    ).all()
    assert {str(first["id"]), str(second["id"])} <= {str(e) for e in entries}


def test_api_reassigns_none_when_one_case_is_refused(api_client, world, open_case):
    mine = open_case()
    theirs = open_case(user=world.other_officer, area_code="NED")
    # Shared with BDC: visible to the manager, but led by NEDDC.
    assert api_client(world.other_officer).post(
        f"/api/v1/cases/{theirs['id']}/share", json={"agency_code": "BDC"}
    ).status_code in (200, 201)
    hidden = open_case(user=world.other_officer, area_code="NED")
    client = api_client(world.manager)
    shared = client.post(
        "/api/v1/cases/reassign",
        json={"case_ids": [mine["id"], theirs["id"]], "owner_email": "coordinator@bdc.example"},
    )
    assert shared.status_code == 422
    assert theirs["reference"] in str(shared.json)
    unseen = client.post(
        "/api/v1/cases/reassign",
        json={"case_ids": [mine["id"], hidden["id"]], "owner_email": "coordinator@bdc.example"},
    )
    assert unseen.status_code == 422
    # The hidden case is refused like one that does not exist: its reference is not revealed.
    assert hidden["reference"] not in str(unseen.json)
    missing = client.post(
        "/api/v1/cases/reassign", json={"case_ids": [mine["id"], 999999], "owner_email": "coordinator@bdc.example"}
    )
    assert missing.status_code == 422
    outsider = client.post(
        "/api/v1/cases/reassign", json={"case_ids": [mine["id"]], "owner_email": "officer@neddc.example"}
    )
    assert outsider.status_code == 422
    assert client.post("/api/v1/cases/reassign", json={"case_ids": [], "owner_email": "a@b.example"}).status_code == 422
    assert owners(mine["id"]) == [world.officer.id]


def test_roles_without_edit_cannot_reassign(api_client, world, open_case):
    case = open_case()
    body = {"case_ids": [case["id"]], "owner_email": "coordinator@bdc.example"}
    assert api_client(world.partner).post("/api/v1/cases/reassign", json=body).status_code in (403, 422)
    assert api_client(world.chair).post("/api/v1/cases/reassign", json=body).status_code == 403
    assert owners(case["id"]) == [world.officer.id]


def test_the_page_reassigns_the_ticked_cases(page_client, world, open_case):
    first, second, third = open_case(), open_case(), open_case()
    client = page_client(world.manager)
    listing = client.get("/cases/").get_data(as_text=True)
    assert 'name="case_ids"' in listing
    assert "Reassign selected cases" in listing
    page = client.get(f"/cases/reassign?case_ids={first['id']}&case_ids={second['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Reassign 2 cases" in html
    assert first["reference"] in html
    assert third["reference"] not in html
    data = {"csrf_token": csrf_from(html), "case_ids": f"{first['id']},{second['id']}"}
    refused = client.post("/cases/reassign", data=data)
    assert refused.status_code == 422
    assert "Choose who the cases go to" in refused.get_data(as_text=True)
    done = client.post("/cases/reassign", data={**data, "owner_email": "coordinator@bdc.example"})
    assert done.status_code == 302
    assert owners(first["id"], second["id"], third["id"]) == [
        world.coordinator.id,
        world.coordinator.id,
        world.officer.id,
    ]
    # A partner sees no tick boxes: they cannot change cases.
    assert 'name="case_ids"' not in page_client(world.partner).get("/cases/").get_data(as_text=True)
