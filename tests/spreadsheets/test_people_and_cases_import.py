"""Importing people and cases through the pages: the dry run writes nothing, the real run writes
everything once, a second import of the same file changes nothing, and undo removes it all."""

from __future__ import annotations

import sqlalchemy as sa

from casework.cases.models import Case, CaseParty, CaseStatus, Person
from casework.extensions import db
from casework.spreadsheets.models import ImportStatus
from tests.spreadsheets.conftest import count, problems_of

PEOPLE = [
    ["reference", "kind", "name", "date_of_birth", "address", "postcode"],
    ["P-1", "individual", "Jane Smith", "17/05/1984", "12 High Street", "S44 6BH"],
    ["P-2", "", "Dean Lowe", "1990-01-02", "14 High Street", "S44 6BH"],
    ["P-3", "unknown", "", "", "", ""],
]


def test_dry_run_writes_nothing_and_the_real_run_writes_everything(importer, world):
    job = importer.upload("people", PEOPLE)
    assert job.status == ImportStatus.checked
    assert job.problem_count == 0
    assert job.summary["created"] == {"people": 3}
    assert count(Person) == 0

    job = importer.start(job)
    assert job.status == ImportStatus.imported, job.error
    names = sorted(db.session.scalars(sa.select(Person.name)))
    assert names == ["Dean Lowe", "Jane Smith", "Unknown"]
    jane = db.session.scalar(sa.select(Person).where(Person.name == "Jane Smith"))
    assert jane.date_of_birth.isoformat() == "1984-05-17"
    assert jane.agency_id == world.bdc.id


def test_the_same_file_twice_changes_nothing(importer, world):
    importer.run("people", PEOPLE)
    again = importer.run("people", PEOPLE)
    assert again.status == ImportStatus.imported
    assert again.summary["created"] == {}
    assert again.summary["skipped"] == {"people": 3}
    assert count(Person) == 3


def test_a_reference_twice_in_one_file_is_a_problem(importer, world):
    job = importer.upload("people", [*PEOPLE, ["P-1", "individual", "Jane Smith again", "", "", ""]])
    assert problems_of(job) == [(5, "reference", "The reference P-1 is on an earlier row of this file")]


def test_cases_with_their_people_and_history(importer, world):
    importer.run("people", PEOPLE)
    cases = [
        [
            "reference",
            "area_code",
            "category",
            "summary",
            "opened_on",
            "status",
            "closed_on",
            "closure_reason",
            "victims",
            "perpetrators",
        ],
        ["C-1", "BOL", "personal", "Noise upstairs", "2019-06-03", "closed", "2020-01-15", "Moved away", "P-1", "P-2"],
        ["C-2", "bol", "nuisance", "Dogs barking", "2025-11-01", "", "", "", "P-1", ""],
    ]
    job = importer.run("cases", cases)
    assert job.status == ImportStatus.imported
    old = db.session.scalar(sa.select(Case).where(Case.summary == "Noise upstairs"))
    # The reference takes the year the case was opened.
    assert old.reference == "BOL-2019-0001"
    assert old.opened_on.isoformat() == "2019-06-03"
    assert old.status == CaseStatus.closed
    assert old.closed_on.isoformat() == "2020-01-15"
    roles = sorted(
        (p.person.name, p.role.value)
        for p in db.session.scalars(sa.select(CaseParty).where(CaseParty.case_id == old.id))
    )
    assert roles == [("Dean Lowe", "perpetrator"), ("Jane Smith", "victim")]
    assert old.owner_id == world.coordinator.id


def test_undo_removes_everything_the_import_wrote(importer, world):
    job = importer.run("people", PEOPLE)
    response = importer.client.post(f"/imports/{job.id}/undo", data={"version": job.version})
    assert response.status_code == 302
    job = importer.job(job.id)
    assert job.status == ImportStatus.undone
    assert count(Person) == 0
    # Undone, the file can be imported again.
    assert importer.run("people", PEOPLE).summary["created"] == {"people": 3}


def test_undo_is_refused_once_an_imported_record_has_changed(importer, world, api_client):
    job = importer.run("people", PEOPLE)
    jane = db.session.scalar(sa.select(Person).where(Person.name == "Jane Smith"))
    response = api_client(world.coordinator).patch(
        f"/api/v1/people/{jane.id}", json={"phone": "01246 000000", "version": jane.version}
    )
    assert response.status_code == 200, response.json
    page = importer.client.post(f"/imports/{job.id}/undo", data={"version": importer.job(job.id).version})
    assert page.status_code == 422
    assert "can no longer be undone" in page.get_data(as_text=True)
    assert importer.job(job.id).status == ImportStatus.imported
    assert count(Person) == 3


def test_a_reference_to_a_person_merged_since_names_the_record_kept(importer, world, api_client):
    """P-1 (Jane) was imported, then merged into another record of hers: a case importing P-1 as its
    victim puts the kept record on the case, never the merged one (on its way out, not a new link)."""
    importer.run("people", PEOPLE)
    jane = db.session.scalar(sa.select(Person).where(Person.name == "Jane Smith"))
    created = api_client(world.manager).post("/api/v1/people", json={"name": "Jane Smith", "postcode": "S44 6BH"})
    assert created.status_code == 201, created.json
    kept = created.json["id"]
    merged = api_client(world.manager).post(f"/api/v1/people/{kept}/merge", json={"merged_person_id": jane.id})
    assert merged.status_code == 200, merged.json
    cases = [
        ["reference", "area_code", "category", "summary", "opened_on", "victims"],
        ["C-9", "BOL", "personal", "Noise next door", "2026-01-05", "P-1"],
    ]
    job = importer.run("cases", cases)
    assert job.status == ImportStatus.imported, (job.error, problems_of(job))
    case = db.session.scalar(sa.select(Case).where(Case.summary == "Noise next door"))
    parties = [
        (p.person_id, p.role.value)
        for p in db.session.scalars(sa.select(CaseParty).where(CaseParty.case_id == case.id))
    ]
    assert parties == [(kept, "victim")]


def _left_by_a_dead_worker(job, attempts):
    """What a worker killed half-way leaves: claimed, its lease run out, its message gone, and nothing
    written (its transaction went with it)."""
    from datetime import timedelta

    from casework.core.time import now

    job.started_at = now() - timedelta(minutes=5)
    job.lease_until = now() - timedelta(seconds=1)
    job.attempts = attempts
    db.session.commit()


def test_an_import_left_by_dead_workers_on_every_attempt_is_given_up_and_its_page_says_nothing_was_imported(
    importer, world, page_client
):
    from casework.core import jobs

    job = importer.upload("people", PEOPLE)
    job.status = ImportStatus.importing
    _left_by_a_dead_worker(job, attempts=3)
    assert jobs.recover() == {"sent": 0, "failed": 1}
    job = importer.job(job.id)
    assert job.status == ImportStatus.failed
    assert count(Person) == 0
    page = page_client(world.coordinator).get(f"/imports/{job.id}").get_data(as_text=True)
    assert "The service stopped, or ran out of time, each time it worked on this import, so it was given up." in page
    assert "Nothing was imported: an import writes all its records or none." in page
    assert "match the columns again" in page


def test_a_check_left_by_a_dead_worker_is_sent_again_then_run_once(importer, world):
    from casework.core import jobs
    from casework.core.tasks_outbox import PendingTask

    job = importer.upload("people", PEOPLE)
    job.status = ImportStatus.checking
    _left_by_a_dead_worker(job, attempts=1)
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(PendingTask))
    assert jobs.recover() == {"sent": 1, "failed": 0}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingTask)) == sent + 1
    job = importer.job(job.id)
    assert job.status == ImportStatus.checked  # the eager task ran it again, as a check
    assert job.problem_count == 0
    assert job.attempts == 2
    assert count(Person) == 0
