"""An uploaded import file holds personal data: it is kept only while it can still be imported. A check
or a run that found problems deletes it at once, an import deletes it when done, and a file left
waiting (never checked, checked and never imported) is deleted by the daily sweep once nothing has been
done with it for ``CASEWORK_IMPORT_FILE_DAYS``. On the same clock the sweep deletes what the job holds of
the file's contents: the problems (their messages quote its cells), its column names, its name and the
personal values of the job's audit entries; the job and its ledger stay."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from casework.extensions import db
from casework.spreadsheets.models import ImportFileChunk, ImportStatus
from tests.spreadsheets.conftest import count

PEOPLE = [
    ["reference", "kind", "name", "date_of_birth", "address", "postcode"],
    ["P-1", "individual", "Zelda Uploadmarker", "17/05/1984", "12 High Street", "S44 6BH"],
]


def held(job) -> int:
    return count(ImportFileChunk, ImportFileChunk.job_id == job.id)


def test_a_check_that_finds_problems_deletes_the_file(importer, world):
    job = importer.upload("people", [*PEOPLE, ["P-1", "individual", "Zelda Again", "", "", ""]])
    assert job.status == ImportStatus.checked
    assert job.problem_count
    assert held(job) == 0
    # Matching the columns again needs the file: it says to upload it again instead of failing later.
    page = importer.client.get(f"/imports/{job.id}")
    assert "the uploaded file has been deleted" in page.get_data(as_text=True)
    chosen = {f"column_{key}": ("-" if index is None else str(index)) for key, index in (job.mapping or {}).items()}
    response = importer.client.post(f"/imports/{job.id}/columns", data={**chosen, "version": job.version})
    assert response.status_code == 422
    assert "no longer held" in response.get_data(as_text=True)
    assert importer.job(job.id).status == ImportStatus.checked


def test_an_import_deletes_the_file_and_a_clean_check_keeps_it_until_imported(importer, world):
    job = importer.upload("people", PEOPLE)
    assert job.status == ImportStatus.checked
    assert job.problem_count == 0
    assert held(job) > 0
    job = importer.start(job)
    assert job.status == ImportStatus.imported
    assert held(job) == 0


def test_a_file_left_waiting_is_deleted_after_the_set_days(importer, world, app, today, page_client):
    from casework.spreadsheets.tasks import delete_waiting_files
    from tests.spreadsheets.conftest import Importer

    days = app.config["CASEWORK"]["IMPORT_FILE_DAYS"]
    assert days == 7
    checked = importer.upload("people", PEOPLE)
    assert held(checked) > 0
    today.shift(timedelta(days=days - 1))
    # Touched since: its days count from then.
    recent = Importer(page_client, world.coordinator).upload("people", PEOPLE)
    assert delete_waiting_files.run() == 0
    assert held(checked) > 0

    today.shift(timedelta(days=1, minutes=1))
    assert delete_waiting_files.run() == 1
    db.session.expire_all()
    assert held(checked) == 0
    assert held(recent) > 0
    # The job stays (who uploaded what, when, its checksum), without the file.
    assert importer.job(checked.id).sha256 == checked.sha256
    today.shift(timedelta(days=days))
    assert delete_waiting_files.run() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportFileChunk)) == 0


# --- what the job says about the file goes with it ------------------------------------------------------

MARKER = "Quillon Problemmarker"
MARKED = [
    ["reference", "kind", "name", "date_of_birth", "address", "postcode"],
    [MARKER, "individual", "Zelda Uploadmarker", "17/05/1984", "12 High Street", "S44 6BH"],
    [MARKER, "individual", "Zelda Again", "", "", ""],
]
MARKED_NAME = "Problemmarker family complaints.csv"


def audit_text(job) -> str:
    from casework.audit.models import AuditEntry

    db.session.expire_all()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "import_jobs", AuditEntry.object_id == str(job.id))
    )
    return " ".join(f"{entry.summary} {entry.changes}" for entry in entries)


def test_the_problems_and_the_name_go_once_the_file_has_been_gone_for_the_set_days(
    importer, world, app, today, page_client
):
    from casework.spreadsheets.models import ImportProblem
    from casework.spreadsheets.tasks import delete_waiting_files
    from tests.spreadsheets.conftest import Importer

    days = app.config["CASEWORK"]["IMPORT_FILE_DAYS"]
    job = importer.upload("people", MARKED, filename=MARKED_NAME)
    assert job.problem_count
    assert held(job) == 0
    # The problems quote the file's cells (here the reference): the user needs them to correct it.
    problems = count(ImportProblem, ImportProblem.job_id == job.id)
    assert problems
    page = importer.client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert MARKER in page
    assert "Problemmarker family" in page
    assert "Problemmarker" in audit_text(job)

    today.shift(timedelta(days=days, minutes=1))
    assert delete_waiting_files.run() == 1
    db.session.expire_all()
    job = importer.job(job.id)
    # Nothing of the file's contents or of its name is left: not the problems, not its column names.
    assert count(ImportProblem, ImportProblem.job_id == job.id) == 0
    importer = Importer(page_client, world.coordinator)  # signed in again, days later
    assert "Problemmarker" not in job.filename
    assert job.filename.endswith(".csv")
    assert job.header == []
    assert "Problemmarker" not in audit_text(job)
    # The job stays, with how many problems there were.
    assert job.problem_count == problems
    assert job.sha256
    page = importer.client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert "Problemmarker" not in page
    assert f"deleted {days} days after" in page
    assert "problems with the file" not in page
    listing = importer.client.get("/imports").get_data(as_text=True)
    assert "Problemmarker" not in listing
    assert job.filename in listing
    # Matching the columns again is not offered: the file and its column names are gone.
    response = importer.client.get(f"/imports/{job.id}/columns")
    assert response.status_code == 302
    # A second sweep finds nothing more to do.
    assert delete_waiting_files.run() == 0


def test_an_imported_file_keeps_its_name_while_recent_and_can_still_be_undone_after(
    importer, world, app, today, page_client
):
    from casework.cases.models import Person
    from casework.spreadsheets.tasks import delete_waiting_files
    from tests.spreadsheets.conftest import Importer

    days = app.config["CASEWORK"]["IMPORT_FILE_DAYS"]
    job = importer.run("people", PEOPLE, filename=MARKED_NAME.replace(".csv", ".xlsx"))
    assert job.status == ImportStatus.imported
    assert job.filename == MARKED_NAME.replace(".csv", ".xlsx")
    today.shift(timedelta(days=days, minutes=1))
    assert delete_waiting_files.run() == 1
    job = importer.job(job.id)
    assert "Problemmarker" not in job.filename
    assert job.filename.endswith(".xlsx")
    assert "Problemmarker" not in audit_text(job)
    importer = Importer(page_client, world.coordinator)  # signed in again, days later
    page = importer.client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert "Undo this import" in page
    # The ledger stays: the import can still be undone as a whole.
    response = importer.client.post(f"/imports/{job.id}/undo", data={"version": job.version})
    assert response.status_code == 302
    assert importer.job(job.id).status == ImportStatus.undone
    assert count(Person, Person.name == "Zelda Uploadmarker") == 0


def test_the_demo_import_is_not_made_again_once_its_file_name_is_gone(world, make, app, today):
    from casework.demo import DEMO_DOMAIN
    from casework.spreadsheets.demo import load_imports
    from casework.spreadsheets.models import ImportJob
    from casework.spreadsheets.tasks import delete_waiting_files

    make.user("coordinator", agency=world.bdc, email=f"coordinator@{DEMO_DOMAIN}")
    load_imports("")
    assert count(ImportJob, ImportJob.kind == "police_log") == 1
    today.shift(timedelta(days=app.config["CASEWORK"]["IMPORT_FILE_DAYS"], minutes=1))
    assert delete_waiting_files.run() == 1
    load_imports("")
    assert count(ImportJob, ImportJob.kind == "police_log") == 1


def test_an_undone_import_leaves_nothing_of_the_people_it_wrote_after_the_next_retention_run(importer, world):
    """Undo deletes the people the import wrote; their audit entries (``Added person <name>``, with
    every value) are the last copy of them, and no run could anonymise a record that is gone: the next
    retention run erases them (``audit.services.erase_values_of_deleted_records``)."""
    from casework.data_protection.tasks import apply_retention
    from tests.lifecycle.planting import new_marker, scan_database

    marker = new_marker("undo")
    job = importer.run(
        "people",
        [PEOPLE[0], ["P-9", "individual", f"Ophelia {marker}", "17/05/1984", f"5 {marker} Mews", "S44 6BH"]],
    )
    assert job.status == ImportStatus.imported
    response = importer.client.post(f"/imports/{job.id}/undo", data={"version": job.version})
    assert response.status_code == 302
    assert importer.job(job.id).status == ImportStatus.undone
    assert "audit_values.changes" in {f.split(":")[0] for f in scan_database([marker])}

    apply_retention()
    db.session.commit()
    assert scan_database([marker]) == []
