"""Retention leaves nothing behind: a marker planted in every free-text and personal
field of a case and its people is found nowhere in the database once the case and the people have
reached their retention date; a report lists what was anonymised."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from tests.lifecycle.planting import CALLER_BORN, CLOSING, plant, scan_database


def test_every_marker_is_somewhere_before_retention_and_nowhere_after(world, api_client, make):
    from casework.audit.models import AuditEntry
    from casework.data_protection.models import RetentionRun
    from casework.data_protection.tasks import apply_retention

    planted = plant(world, api_client, make)
    # A personal date is personal data too: the police caller's date of birth.
    markers = [*planted.markers.values(), CALLER_BORN.isoformat()]
    before = scan_database(markers)
    assert f"queued_police_reports.caller_date_of_birth: {CALLER_BORN.isoformat()}" in before
    # Planted where the service keeps it: every field's marker is found in its own column.
    everywhere = scan_database(list(planted.fields))
    for marker, (_owner, where) in planted.fields.items():
        assert f"{where}: {marker}" in everywhere, where
    assert any(f.startswith("audit_values.") for f in before)
    assert any(f.startswith("outbox_emails.") for f in before)
    assert any(f.startswith("trigger_letters.") for f in before)
    assert any(f.startswith("deadlines.") for f in before)
    entries_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        counts = apply_retention()
    # The victim, the perpetrator, and the second record of the victim merged into hers.
    assert counts == {"cases": 1, "people": 3}

    assert scan_database(markers) == []
    # The audit log keeps every entry (who, when, what kind), only without the values.
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) > entries_before
    run = db.session.scalars(sa.select(RetentionRun)).one()
    assert (run.counts["cases"], run.counts["people"]) == (1, 3)
    for table in (
        "incidents",
        "actions",
        "interventions",
        "trigger_applications",
        "trigger_letters",
        "audit_entries",
        "outbox_emails",
    ):
        assert run.counts.get(table, 0) > 0, table
    assert {planted.victim_id, planted.perpetrator_id} < set(run.person_ids)


def test_every_column_not_declared_retained_is_erased_in_every_table(world, api_client, make):
    """The mechanism, not the fields known today: a marker written into every text, JSON and binary
    column that no model declares retained, in every row of every table about a case, a person or a
    Case Review, is found nowhere once every case and person has reached the retention date."""
    from casework.data_protection.tasks import apply_retention
    from tests.lifecycle.planting import new_marker, plant_everywhere

    plant(world, api_client, make)
    with time_machine.travel(CLOSING, tick=False):
        response = api_client(world.officer).post(f"/api/v1/cases/{world.case.id}/close", json={"reason": "Done"})
        assert response.status_code == 200, response.get_json()
    db.session.commit()
    marker = new_marker("all")[:10]
    written = plant_everywhere(marker)
    # The tables the domains hold about cases and people, found from the metadata.
    for table in ("people", "interventions", "intervention_reviews", "trigger_pcc_reviews", "deadlines"):
        assert any(w.startswith(f"{table}.") for w in written), table
    assert scan_database([marker])
    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        apply_retention()
    assert scan_database([marker, CALLER_BORN.isoformat()]) == []


def test_every_table_outside_the_walk_says_how_personal_details_leave_it(app):
    """The walk above plants in every table about a case, a person or a Case Review, found through their
    foreign keys. Every other table is listed in ``OUTSIDE_THE_WALK`` with what it holds and how a
    person's details leave it: a table added later, which names people by text alone (a saved search,
    an uploaded file), fails here until someone says how retention or a sweep reaches it."""
    from tests.lifecycle.planting import NOTHING_PERSONAL, OUTSIDE_THE_WALK, models_about_cases_and_people

    walked = {model.__tablename__ for model in models_about_cases_and_people()}
    every = {table.name for table in db.metadata.sorted_tables}
    unaccounted = every - walked - NOTHING_PERSONAL - set(OUTSIDE_THE_WALK)
    assert unaccounted == set(), f"say how personal details leave these tables (OUTSIDE_THE_WALK): {unaccounted}"
    # Listed but gone, or walked after all: the list says only what is true.
    assert set(OUTSIDE_THE_WALK) <= every - walked, set(OUTSIDE_THE_WALK) - (every - walked)


def test_an_anonymised_case_names_no_one_who_lives_on_in_another_case(world, api_client, page_client, make):
    """A party of the anonymised case who is still on an open case keeps their record, but the
    anonymised case no longer names them: not on its page, not on their page, not in a case search for
    their name, not in the case search's copy of their name (``case_parties.person_name``)."""
    from casework.cases.models import Case, CaseParty, Complaint, Incident, PartyRole
    from casework.data_protection.tasks import apply_retention
    from tests.lifecycle.planting import new_marker

    planted = plant(world, api_client, make)
    marker = new_marker("zen")
    name = f"Zenobia {marker}"
    response = api_client(world.officer).post("/api/v1/people", json={"name": name})
    assert response.status_code == 201, response.get_json()
    zenobia = response.get_json()["id"]
    # A victim on the planted case (closed) and on the world's case (open), who complained on both.
    db.session.add(CaseParty(case_id=planted.case_id, person_id=zenobia, role=PartyRole.victim))
    db.session.add(CaseParty(case_id=world.case.id, person_id=zenobia, role=PartyRole.victim))
    complaint = db.session.scalars(
        sa.select(Complaint).join(Incident).where(Incident.case_id == planted.case_id).limit(1)
    ).one()
    complaint.complainant_person_id = zenobia
    db.session.commit()
    anonymised = db.session.get(Case, planted.case_id)
    reference = anonymised.reference
    assert "case_parties.person_name" in {f.split(":")[0] for f in scan_database([marker])}

    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        counts = apply_retention()
        # She lives on (her open case): the planted case's three people only.
        assert counts == {"cases": 1, "people": 3}
        db.session.expire_all()
        rows = db.session.execute(
            sa.select(CaseParty.person_id, CaseParty.person_name).where(CaseParty.case_id == planted.case_id)
        ).all()
        assert zenobia not in {person_id for person_id, _name in rows}
        assert not any(marker.lower() in (person_name or "").lower() for _id, person_name in rows)
        assert db.session.get(Complaint, complaint.id).complainant_person_id is None
        # Still on her open case, under her name.
        assert db.session.scalar(
            sa.select(CaseParty.person_name).where(CaseParty.case_id == world.case.id, CaseParty.person_id == zenobia)
        )

        coordinator = page_client(world.coordinator)
        case_page = coordinator.get(f"/cases/{planted.case_id}")
        assert case_page.status_code == 200
        assert marker not in case_page.get_data(as_text=True)
        person_page = coordinator.get(f"/people/{zenobia}")
        assert person_page.status_code == 200
        assert marker in person_page.get_data(as_text=True)
        assert reference not in person_page.get_data(as_text=True)
        search = api_client(world.coordinator).get("/api/v1/cases", query_string={"q": marker})
        assert search.status_code == 200, search.get_json()
        found = [item["id"] for item in search.get_json()["items"]]
        assert planted.case_id not in found
        assert world.case.id in found
        answer = api_client(world.coordinator).get(f"/api/v1/cases/{planted.case_id}")
        assert answer.status_code == 200
        assert marker not in answer.get_data(as_text=True)
