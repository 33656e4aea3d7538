"""An uploaded import file holds personal data: it is kept only while it can still be imported. A check
or a run that found problems deletes it at once, an import deletes it when done, and a file left
waiting (never checked, checked and never imported) is deleted by the daily sweep once nothing has been
done with it for ``CASEWORK_IMPORT_FILE_DAYS``."""

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
