"""Merging two records of the same person: everything moves to the kept one in every domain, with
an audit entry, and can be undone exactly within the window; merging is refused when a case of
either is not visible to the user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.audit.models import AuditEntry
from casework.cases.models import CaseParty, Complaint, Person
from casework.extensions import db
from casework.interventions.models import Intervention
from casework.risk.models import RiskAssessment

TODAY = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def duplicate(world: Any, api_client: Any) -> dict[str, int]:
    """World's victim Vera, and a second record of her on the same case, with a complaint, a risk
    assessment and an intervention of her own."""
    client = api_client(world.officer)
    other = client.post("/api/v1/people", json={"name": "Vera Victim", "date_of_birth": "1950-01-01"})
    assert other.status_code == 201
    other_id = other.get_json()["id"]
    from casework.cases.services import add_party

    add_party(world.officer, world.case, other_id, "victim")
    db.session.commit()
    incident = client.post(
        f"/api/v1/cases/{world.case.id}/incidents",
        json={
            "occurred_on": "2027-02-01",
            "description": "Shouting",
            "complaints": [{"complainant_person_id": other_id, "reported_on": "2027-02-01", "agency_code": "BDC"}],
        },
    )
    assert incident.status_code == 201, incident.get_json()
    from tests.support.risk_answers import ALL_NO

    assessed = client.post(
        f"/api/v1/cases/{world.case.id}/risk-assessments", json={"answers": ALL_NO, "victim_person_id": other_id}
    )
    assert assessed.status_code == 201, assessed.get_json()
    issued = client.post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"kind": "warning_letter", "subject_person_id": other_id, "issued_on": "2027-02-02"},
    )
    assert issued.status_code == 201, issued.get_json()
    return {"kept": world.victim.id, "other": other_id}


def test_merging_moves_everything_and_undo_moves_it_back(world, api_client):
    with time_machine.travel(TODAY, tick=False):
        ids = duplicate(world, api_client)
        before = {
            "parties": set(db.session.scalars(sa.select(CaseParty.id).where(CaseParty.person_id == ids["other"]))),
            "complaints": set(
                db.session.scalars(sa.select(Complaint.id).where(Complaint.complainant_person_id == ids["other"]))
            ),
        }
        response = api_client(world.officer).post(
            f"/api/v1/people/{ids['kept']}/merge", json={"merged_person_id": ids["other"]}
        )
        assert response.status_code == 200, response.get_json()
        merge = response.get_json()
        db.session.expire_all()
        # Vera was a victim on the case under both records: the duplicate party row goes, the rest moves.
        assert db.session.scalars(sa.select(CaseParty).where(CaseParty.person_id == ids["other"])).all() == []
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Complaint).where(Complaint.complainant_person_id == ids["kept"])
            )
            == 1
        )
        assert db.session.scalars(sa.select(RiskAssessment.victim_person_id)).all() == [ids["kept"]]
        assert db.session.scalars(sa.select(Intervention.subject_person_id)).all() == [ids["kept"]]
        assert db.session.get(Person, ids["other"]).merged_into_id == ids["kept"]
        summaries = db.session.scalars(
            sa.select(AuditEntry.summary).where(AuditEntry.summary.like("Merged person%"))
        ).all()
        assert len(summaries) == 2
        undone = api_client(world.officer).post(f"/api/v1/person-merges/{merge['id']}/undo")
        assert undone.status_code == 200, undone.get_json()
    db.session.expire_all()
    # The duplicate party row was removed by the merge and is back (a new row, the same case and role).
    assert [
        r.value for r in db.session.scalars(sa.select(CaseParty.role).where(CaseParty.person_id == ids["other"]))
    ] == ["victim"]
    assert len(before["parties"]) == 1
    assert (
        set(db.session.scalars(sa.select(Complaint.id).where(Complaint.complainant_person_id == ids["other"])))
        == before["complaints"]
    )
    assert db.session.scalars(sa.select(RiskAssessment.victim_person_id)).all() == [ids["other"]]
    assert db.session.scalars(sa.select(Intervention.subject_person_id)).all() == [ids["other"]]
    assert db.session.get(Person, ids["other"]).merged_into_id is None


def test_a_merge_cannot_be_undone_after_the_window(world, api_client):
    with time_machine.travel(TODAY, tick=False):
        ids = duplicate(world, api_client)
        merge = (
            api_client(world.officer)
            .post(f"/api/v1/people/{ids['kept']}/merge", json={"merged_person_id": ids["other"]})
            .get_json()
        )
    with time_machine.travel(TODAY + timedelta(days=15), tick=False):
        response = api_client(world.officer).post(f"/api/v1/person-merges/{merge['id']}/undo")
    assert response.status_code == 422
    assert "passed" in " ".join(response.get_json()["errors"]["_rule"])


def test_merging_is_refused_when_a_case_of_either_is_hidden_from_the_user(world, api_client):
    with time_machine.travel(TODAY, tick=False):
        ids = duplicate(world, api_client)
        # The case passes to another agency, which does not share it: both records are the council's,
        # so the colleague still sees the people, but not their case.
        world.case.lead_agency_id = world.other.id
        world.victim.agency_id = world.council.id
        db.session.commit()
        response = api_client(world.colleague).post(
            f"/api/v1/people/{ids['kept']}/merge", json={"merged_person_id": ids["other"]}
        )
    assert response.status_code == 422
    message = " ".join(response.get_json()["errors"]["_rule"])
    assert f"held by {world.other.name}" in message
    assert "Noise" not in message  # a count and the agency, not the case's contents
    db.session.expire_all()
    assert db.session.get(Person, ids["other"]).merged_into_id is None


def test_people_on_a_restricted_case_are_not_found_for_a_merge_by_a_colleague_not_named_on_it(world, api_client):
    from casework.cases.models import CaseAccess

    with time_machine.travel(TODAY, tick=False):
        ids = duplicate(world, api_client)
        world.case.is_restricted = True
        db.session.add(CaseAccess(case_id=world.case.id, user_id=world.officer.id))
        world.victim.agency_id = world.council.id
        db.session.commit()
        hidden = api_client(world.colleague).post(
            f"/api/v1/people/{ids['kept']}/merge", json={"merged_person_id": ids["other"]}
        )
        missing = api_client(world.colleague).post(
            "/api/v1/people/999999/merge", json={"merged_person_id": ids["other"]}
        )
    # The council's records, but on a case restricted to the officer: to the colleague, as if missing.
    assert (hidden.status_code, hidden.get_json()) == (missing.status_code, missing.get_json())
    assert (hidden.status_code, hidden.get_json()["message"]) == (404, "Person not found.")
    db.session.expire_all()
    assert db.session.get(Person, ids["other"]).merged_into_id is None


def test_the_person_page_offers_the_merge_and_the_page_merges(world, api_client, page_client):
    with time_machine.travel(TODAY, tick=False):
        ids = duplicate(world, api_client)
        client = page_client(world.officer)
        page = client.get(f"/people/{ids['kept']}").get_data(as_text=True)
        assert "Possible duplicates" in page
        assert f"/people/{ids['kept']}/merge/{ids['other']}" in page
        assert client.get(f"/people/{ids['kept']}/merge/{ids['other']}").status_code == 200
        merged = client.post(f"/people/{ids['kept']}/merge/{ids['other']}", data={})
        assert merged.status_code == 302
        assert client.get(f"/people/{ids['other']}").headers["Location"].endswith(f"/people/{ids['kept']}")
        page = client.get(f"/people/{ids['kept']}").get_data(as_text=True)
        assert "Undo this merge" in page


def test_merged_records_are_anonymised_once_the_window_has_passed(world, api_client):
    from casework.data_protection.tasks import apply_retention

    with time_machine.travel(TODAY, tick=False):
        ids = duplicate(world, api_client)
        api_client(world.officer).post(f"/api/v1/people/{ids['kept']}/merge", json={"merged_person_id": ids["other"]})
    with time_machine.travel(TODAY + timedelta(days=15), tick=False):
        assert apply_retention()["people"] == 1
    db.session.expire_all()
    assert db.session.get(Person, ids["other"]).anonymised_at is not None
    assert db.session.get(Person, ids["kept"]).anonymised_at is None
