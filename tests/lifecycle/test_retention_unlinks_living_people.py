"""An anonymised case leads to no one who lives on in the service: when a case reaches
its retention date while people on it are still on a case that is kept, every row of the anonymised
case loses its link to them (a party, a complaint, a risk assessment's victim, an intervention's
subject, a second-report task, a diary entry) and their own records lose their links to it (the
victim page's next step, the threshold watch), whatever table the link is in: the tables referring to
a person are found from the metadata, so a table added later is checked without being listed."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from tests.conftest import csrf_from
from tests.lifecycle.planting import CLOSING, plant
from tests.support.mail import sent_text

RETENTION = CLOSING + timedelta(days=7 * 366)


def person_columns() -> list[sa.Column[Any]]:
    """Every column of every table that refers to a person, from the metadata."""
    return [
        fk.parent
        for table in db.metadata.sorted_tables
        if table.name != "people"
        for fk in table.foreign_keys
        if fk.column.table.name == "people"
    ]


def about_case(table: sa.Table, case_id: int, seen: frozenset[str] = frozenset()) -> Any | None:
    """A condition on ``table``'s rows: they name the case, directly or through the rows they refer
    to (a complaint through its incident), in any column, nullable or not. None if none can."""
    conditions = []
    for fk in table.foreign_keys:
        target = fk.column.table
        if target.name == "cases":
            conditions.append(fk.parent == case_id)
        elif target.name not in seen and target is not table and target.name != "people":
            parent = about_case(target, case_id, seen | {table.name})
            if parent is not None:
                conditions.append(fk.parent.in_(sa.select(fk.column).where(parent)))
    return sa.or_(*conditions) if conditions else None


def links(case_id: int, person_ids: set[int]) -> dict[str, int]:
    """table.column -> how many rows about the case name one of the people in that column."""
    found = {}
    for column in person_columns():
        condition = about_case(column.table, case_id)
        if condition is None:
            continue
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(column.table).where(condition, column.in_(person_ids))
        )
        if count:
            found[f"{column.table.name}.{column.name}"] = count
    return found


def report(world: Any, person_id: int, day: date) -> None:
    from casework.cases import services as case_services
    from casework.cases.models import Case

    case_services.record_incident(
        world.officer,
        db.session.get(Case, world.case.id),
        occurred_on=day,
        description="Shouting at night",
        complaints=[{"reported_on": day, "agency_code": world.council.code, "complainant_person_id": person_id}],
    )
    db.session.commit()


def sign_in_to_victim_page(app: Any, email: str) -> Any:
    from casework.notifications.models import OutboxEmail

    client = app.test_client()
    page = client.get("/my-case/sign-in")
    client.post("/my-case/sign-in", data={"email": email, "csrf_token": csrf_from(page.text)})
    db.session.expire_all()
    row = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.subject == "Your link to sign in").order_by(OutboxEmail.id.desc())
    ).first()
    path = re.search(r"(/my-case/sign-in/link/\S+)", sent_text(row)).group(1)
    page = client.get(path)
    assert page.status_code == 200
    answer = client.post(path, data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 302, answer.text
    return client


def test_an_anonymised_case_keeps_no_link_to_anyone_who_lives_on(app, world, api_client, page_client, make):
    from casework.cases.models import Case, CaseParty, PartyRole, Person
    from casework.data_protection.tasks import apply_retention
    from casework.interventions.models import Intervention
    from casework.risk.models import RiskAssessment
    from casework.threshold_watch.models import WatchEntry
    from casework.victims.models import VictimAccess

    planted = plant(world, api_client, make)
    case_id = planted.case_id
    victim, perpetrator = planted.victim_id, planted.perpetrator_id
    people = {victim, perpetrator}
    # Both live on: they are on the world's case, which stays open.
    db.session.add(CaseParty(case_id=world.case.id, person_id=victim, role=PartyRole.victim))
    db.session.add(CaseParty(case_id=world.case.id, person_id=perpetrator, role=PartyRole.perpetrator))
    db.session.commit()
    reference = db.session.get(Case, case_id).reference
    access = db.session.scalars(sa.select(VictimAccess).where(VictimAccess.person_id == victim)).one()
    next_step, email = access.next_step, access.email
    interventions = db.session.scalars(sa.select(Intervention.id).where(Intervention.case_id == case_id)).all()
    assert interventions

    before = links(case_id, people)
    # Every kind of link the planted case has to them, found by the walk.
    for link in (
        "case_parties.person_id",
        "complaints.complainant_person_id",
        "risk_assessments.victim_person_id",
        "interventions.subject_person_id",
        "case_review_explanations.person_id",
        "victim_diary_entries.person_id",
        "victim_accesses.person_id",
    ):
        assert link in before, (link, before)

    with time_machine.travel(RETENTION - timedelta(days=20), tick=False):
        # Two recent reports on her open case: one short of the threshold, on the watch with both cases.
        report(world, victim, (RETENTION - timedelta(days=25)).date())
        report(world, victim, (RETENTION - timedelta(days=21)).date())
        db.session.expire_all()
        entry = db.session.scalars(sa.select(WatchEntry).where(WatchEntry.person_id == victim)).one()
        assert case_id in entry.case_ids

    with time_machine.travel(RETENTION, tick=False):
        apply_retention()
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Case, case_id).anonymised_at is not None
        for person_id in people:
            assert db.session.get(Person, person_id).anonymised_at is None

        assert links(case_id, people) == {}
        # The records stay (for the counts), naming no one.
        assert db.session.scalars(
            sa.select(RiskAssessment.victim_person_id).where(RiskAssessment.case_id == case_id)
        ).all() == [None]
        assert set(
            db.session.scalars(sa.select(Intervention.subject_person_id).where(Intervention.case_id == case_id))
        ) == {None}

        coordinator = page_client(world.coordinator)
        # The anonymised case's own pages still show, naming no one.
        for path in (
            f"/cases/{case_id}",
            f"/cases/{case_id}/risk-assessments",
            *(f"/interventions/{i}" for i in interventions),
        ):
            assert coordinator.get(path).status_code == 200, path
        assert api_client(world.coordinator).get(f"/api/v1/cases/{case_id}").status_code == 200
        for person_id in people:
            page = coordinator.get(f"/people/{person_id}")
            assert page.status_code == 200
            text = page.get_data(as_text=True)
            assert reference not in text
            assert f"/cases/{case_id}" not in text
            for intervention_id in interventions:
                assert f'/interventions/{intervention_id}"' not in text
            export = api_client(world.manager).get(f"/api/v1/people/{person_id}/export")
            assert export.status_code == 200, export.get_json()
            assert reference not in json.dumps(export.get_json())

        # The threshold watch no longer counts or lists the anonymised case.
        entry = db.session.scalars(sa.select(WatchEntry).where(WatchEntry.person_id == victim)).one()
        assert case_id not in entry.case_ids
        assert entry.task_case_id != case_id
        board = coordinator.get("/threshold-watch/")
        assert board.status_code == 200
        assert reference not in board.get_data(as_text=True)
        answer = api_client(world.coordinator).get("/api/v1/threshold-watch", query_string={"area": "BOL"})
        assert answer.status_code == 200, answer.get_json()
        assert reference not in answer.get_data(as_text=True)

        # Her victim page: still hers, without the next step written on the anonymised case.
        victim_page = sign_in_to_victim_page(app, email)
        home = victim_page.get("/my-case/")
        assert home.status_code == 200
        text = home.get_data(as_text=True)
        assert next_step not in text
        assert reference not in text


def test_a_person_kept_past_the_case_and_put_on_a_new_case_is_unlinked_by_the_next_run(world, api_client, make):
    """With people kept longer than cases, the case is anonymised while its people are on no other
    case: they keep their links (they reach their own retention date through them). Put on a new case
    later, they live on, and the next run takes them off the anonymised case."""
    from casework.accounts.models import Area
    from casework.accounts.services import update_area_settings
    from casework.cases.models import Case, CaseParty, PartyRole, Person
    from casework.data_protection.tasks import apply_retention

    planted = plant(world, api_client, make)
    case_id, victim = planted.case_id, planted.victim_id
    update_area_settings(None, db.session.get(Area, world.area.id), {"retention.person_years": 9}, date(2026, 1, 1))
    db.session.commit()

    with time_machine.travel(RETENTION, tick=False):
        apply_retention()
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Case, case_id).anonymised_at is not None
        assert db.session.get(Person, victim).anonymised_at is None
        # On no kept case: still linked, so her own retention date comes through the case.
        assert "case_parties.person_id" in links(case_id, {victim})

    with time_machine.travel(RETENTION + timedelta(days=30), tick=False):
        db.session.add(CaseParty(case_id=world.case.id, person_id=victim, role=PartyRole.victim))
        db.session.commit()
        apply_retention()
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Person, victim).anonymised_at is None
        assert links(case_id, {victim}) == {}


def orphaned_deadlines() -> list[tuple[str, int]]:
    """Deadlines whose record (named by table and id: ``subject_type``, ``subject_id``) is gone."""
    from casework.reminders.models import Deadline

    found = []
    for subject_type in db.session.scalars(sa.select(Deadline.subject_type).distinct()):
        table = db.metadata.tables.get(subject_type)
        assert table is not None, subject_type
        (key,) = table.primary_key.columns
        found += db.session.execute(
            sa.select(Deadline.subject_type, Deadline.subject_id).where(
                Deadline.subject_type == subject_type, Deadline.subject_id.not_in(sa.select(key))
            )
        ).tuples()
    return found


def test_a_record_deleted_when_its_case_is_anonymised_leaves_no_deadline_behind(world, api_client, make):
    from casework.cases.models import CaseParty, CaseReviewExplanation, PartyRole
    from casework.data_protection.tasks import apply_retention
    from casework.reminders.models import Deadline

    planted = plant(world, api_client, make)
    tasks = db.session.scalars(
        sa.select(CaseReviewExplanation.id).where(CaseReviewExplanation.case_id == planted.case_id)
    ).all()
    assert tasks
    assert db.session.scalars(
        sa.select(Deadline.id).where(
            Deadline.subject_type == "case_review_explanations", Deadline.subject_id.in_(tasks)
        )
    ).all()
    # Both live on (on the world's open case): the second-report task about the victim is deleted.
    db.session.add(CaseParty(case_id=world.case.id, person_id=planted.victim_id, role=PartyRole.victim))
    db.session.add(CaseParty(case_id=world.case.id, person_id=planted.perpetrator_id, role=PartyRole.perpetrator))
    db.session.commit()
    assert orphaned_deadlines() == []

    with time_machine.travel(RETENTION, tick=False):
        apply_retention()
        db.session.commit()
        db.session.expire_all()

    assert (
        db.session.scalars(sa.select(CaseReviewExplanation.id).where(CaseReviewExplanation.id.in_(tasks))).all() == []
    )
    assert orphaned_deadlines() == []


def test_deadlines_whose_record_is_gone_are_deleted_by_the_next_run(world, api_client, make):
    """A database upgraded from before retention runs took a deleted row's deadlines with it still holds
    deadlines about nothing: the next run deletes them, whatever kind of record they were about, and
    keeps every deadline whose record is there."""
    from casework.data_protection.tasks import apply_retention
    from casework.reminders.models import Deadline, DeadlineStatus

    plant(world, api_client, make)
    deadlines = db.session.execute(sa.select(Deadline.id, Deadline.subject_type, Deadline.subject_id)).all()
    kinds = {subject_type for _id, subject_type, _subject in deadlines}
    assert {"case_parties", "case_review_explanations", "interventions", "actions"} <= kinds, kinds
    # One record of each kind deleted behind its deadlines' back (where nothing else needs it), as the
    # runs before did, with one of its deadlines still open and one done.
    gone: set[tuple[str, int]] = set()
    for subject_type in sorted(kinds):
        table = db.metadata.tables[subject_type]
        (key,) = table.primary_key.columns
        for _id, kind, subject_id in deadlines:
            if kind != subject_type:
                continue
            try:
                with db.session.begin_nested():
                    db.session.execute(sa.delete(table).where(key == subject_id))
            except sa.exc.IntegrityError:
                continue
            gone.add((subject_type, subject_id))
            break
    assert {"case_parties", "case_review_explanations"} <= {kind for kind, _subject in gone}, gone
    db.session.execute(
        sa.update(Deadline)
        .where(Deadline.subject_type == "case_review_explanations")
        .values(status=DeadlineStatus.done)
    )
    db.session.commit()
    # (A record's own children may have gone with it, and their deadlines are orphaned too.)
    orphaned = set(orphaned_deadlines())
    assert gone <= orphaned
    orphans = {row[0] for row in deadlines if (row[1], row[2]) in orphaned}
    kept = {row[0] for row in deadlines} - orphans
    assert kept

    with time_machine.travel(CLOSING + timedelta(days=1), tick=False):
        apply_retention()
        db.session.commit()
        db.session.expire_all()

    assert orphaned_deadlines() == []
    assert set(db.session.scalars(sa.select(Deadline.id))) >= kept
    assert not set(db.session.scalars(sa.select(Deadline.id))) & orphans


def test_an_assessment_whose_victim_was_unlinked_is_in_no_other_victims_export(world, api_client, make):
    """With people kept longer than cases, a victim still on a kept case is unlinked from the anonymised
    one (her assessment there names no victim any more), while the other victim, on no kept case,
    keeps her party and exports the case: the assessment was not about her, so it is not in her export
    (an assessment naming no victim on an anonymised case cannot be told from one whose victim was
    unlinked). The one who lives on does not export it either: the case is no longer hers."""
    from casework.accounts.models import Area
    from casework.accounts.services import update_area_settings
    from casework.cases.models import Case, CaseParty, CaseStatus, PartyRole
    from casework.data_protection.tasks import apply_retention
    from casework.risk.models import RiskAssessment

    answers = {
        "threats_of_violence": "no",
        "hate_motivated": "no",
        "vulnerable_victim": "yes",
        "repeat_victim": "no",
        "health_affected": "yes",
        "afraid": "yes",
        "children_affected": "no",
        "isolated": "no",
        "personally_targeted": "no",
        "frequency": "once",
        "considering_moving": "no",
    }
    case = world.new_case(reference="BOL-2026-0050")
    ann = world.person("Ann Unlinked", None, on_case=False)
    bea = world.person("Bea Kept", None, on_case=False)
    for person in (ann, bea):
        db.session.add(CaseParty(case_id=case.id, person_id=person.id, role=PartyRole.victim))
    # Ann is also a victim on the world's case, which stays open: she lives on.
    db.session.add(CaseParty(case_id=world.case.id, person_id=ann.id, role=PartyRole.victim))
    db.session.commit()
    with time_machine.travel(CLOSING - timedelta(days=30), tick=False):
        made = api_client(world.officer).post(
            f"/api/v1/cases/{case.id}/risk-assessments", json={"answers": answers, "victim_person_id": ann.id}
        )
        assert made.status_code == 201, made.get_json()
    assessment_id = made.get_json()["id"]
    closed = db.session.get(Case, case.id)
    closed.status, closed.closed_on = CaseStatus.closed, CLOSING.date()
    update_area_settings(None, db.session.get(Area, world.area.id), {"retention.person_years": 9}, date(2026, 1, 1))
    db.session.commit()

    def exported(person_id: int) -> dict[str, Any]:
        answer = api_client(world.manager).get(f"/api/v1/people/{person_id}/export")
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    # Before the run, Ann's assessment is in her export and not in Bea's.
    assert len(exported(ann.id)["risk_assessments"]) == 1
    assert exported(bea.id)["risk_assessments"] == []

    with time_machine.travel(RETENTION, tick=False):
        apply_retention()
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Case, case.id).anonymised_at is not None
        assert db.session.get(RiskAssessment, assessment_id).victim_person_id is None
        bea_export = exported(bea.id)
        # Bea keeps her party: the anonymised case is still in her export, without Ann's assessment.
        assert case.reference in json.dumps(bea_export)
        assert bea_export["risk_assessments"] == []
        assert exported(ann.id)["risk_assessments"] == []
