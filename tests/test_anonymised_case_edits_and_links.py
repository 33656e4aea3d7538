"""A case anonymised under the retention policy used to take new personal data and new links
to living people.

docs/rules.md ("Retention and data protection"): a closed case's free text is anonymised after its
period, and "an anonymised case keeps no link to a person who lives on in the service". Reopening an
anonymised case is refused (``reopen_case``) and so are documents (``documents.policies``), but the
case's other writes did not ask: its summary and location could be typed again, notes and incidents
added, and a living person added as a party. The retention run skips a case it already anonymised
(``anonymised_at``), so whatever was written then would be kept for ever. Every write to or under such a
case (and a link to an anonymised Case Review application) is now refused with a 422; the walk over every
write route is tests/test_anonymised_case_writes.py.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.cases.models import Case, CaseNote, CaseParty, CaseStatus, Incident, PartyRole
from casework.core.time import now
from casework.extensions import db
from tests.conftest import csrf_from
from tests.interventions.world import world  # noqa: F401
from tests.support.case_review import anonymise_application, apply_for_a_case_review


def _anonymise(w) -> Case:
    case = db.session.get(Case, w.case.id)
    case.status = CaseStatus.closed
    case.closed_on = date(2019, 6, 1)
    case.closure_reason = "[removed]"
    case.summary = "[removed]"
    case.location = None
    case.anonymised_at = now()
    db.session.execute(sa.delete(CaseParty).where(CaseParty.case_id == case.id))
    db.session.commit()
    return case


def test_anonymised_case_summary_cannot_be_rewritten(world, api_client):  # noqa: F811
    case = _anonymise(world)
    answer = api_client(world.officer).patch(
        f"/api/v1/cases/{case.id}",
        json={"version": case.version, "summary": "Vera Victim, 4 Elm Road, moved to the Leeds refuge"},
    )
    db.session.expire_all()
    assert answer.status_code in (403, 404, 409, 422), answer.status_code
    assert "Vera" not in db.session.get(Case, case.id).summary


def test_anonymised_case_takes_no_notes_or_incidents(world, api_client):  # noqa: F811
    case = _anonymise(world)
    api = api_client(world.officer)
    note = api.post(f"/api/v1/cases/{case.id}/notes", json={"text": "Vera Victim rang from 4 Elm Road"})
    incident = api.post(
        f"/api/v1/cases/{case.id}/incidents",
        json={"occurred_on": "2019-01-02", "description": "Vera Victim threatened at 4 Elm Road"},
    )
    db.session.expire_all()
    notes = db.session.scalar(sa.select(sa.func.count()).select_from(CaseNote).where(CaseNote.case_id == case.id))
    incidents = db.session.scalar(sa.select(sa.func.count()).select_from(Incident).where(Incident.case_id == case.id))
    assert (note.status_code, incident.status_code, notes, incidents) == (422, 422, 0, 0)


def test_anonymised_case_takes_no_link_to_a_living_person(world, page_client):  # noqa: F811
    case = _anonymise(world)
    # Adam lives on: he is a party to another, open case of the same officer.
    kept = world.new_case(reference="BOL-2026-0002")
    db.session.add(CaseParty(case_id=kept.id, person_id=world.adult.id, role=PartyRole.perpetrator))
    db.session.commit()
    client = page_client(world.officer)
    page = client.get(f"/cases/{case.id}/parties/new")
    token = csrf_from(page.get_data(as_text=True)) if page.status_code == 200 else ""
    client.post(
        f"/cases/{case.id}/parties/new",
        data={"csrf_token": token, "person_id": str(world.adult.id), "role": "perpetrator"},
    )
    db.session.expire_all()
    linked = db.session.scalar(sa.select(sa.func.count()).select_from(CaseParty).where(CaseParty.case_id == case.id))
    assert linked == 0


def test_anonymised_application_takes_no_link_to_a_live_case(world, api_client):  # noqa: F811
    from casework.community_triggers.models import ApplicationStatus, TriggerApplication

    api = api_client(world.coordinator)
    made = apply_for_a_case_review(world, api_client)
    assert made.status_code == 201, made.get_json()
    application = db.session.get(TriggerApplication, made.get_json()["id"])
    # As the retention run leaves an application that was decided "not met" years ago.
    anonymise_application(application, ApplicationStatus.threshold_not_met)
    db.session.commit()
    answer = api.post(f"/api/v1/triggers/{application.id}/cases", json={"case_ids": [world.case.id]})
    db.session.expire_all()
    assert answer.status_code == 422, answer.status_code
    assert db.session.get(TriggerApplication, application.id).cases == []
