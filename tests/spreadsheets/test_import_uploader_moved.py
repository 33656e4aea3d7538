"""An import runs for the agency it was uploaded for, as its uploader: one started before its uploader
moved to another agency (or lost the role that imports, or had their account closed) and run after is
refused, with a status that says why, and writes nothing. Before, it ran with the uploader's new agency:
the people and cases went to that agency."""

from __future__ import annotations

import pytest

from casework.accounts import services as accounts
from casework.cases.models import Person
from casework.core.db import commit
from casework.spreadsheets import services
from casework.spreadsheets.models import ImportStatus
from tests.spreadsheets.conftest import count
from tests.spreadsheets.test_people_and_cases_import import PEOPLE

CHANGES = {
    "moved to another agency": ({"agency": "neddc"}, services.NO_LONGER_OF_THE_AGENCY),
    "role that imports taken away": ({"roles": ["officer"]}, services.NO_LONGER_IMPORTS),
    "account closed": ({"is_active": False}, services.NO_LONGER_IMPORTS),
}


def _change(world, changes):
    if "agency" in changes:
        changes = {**changes, "agency": getattr(world, changes["agency"])}
    accounts.update_user(world.admin, world.coordinator, **changes)


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "check"])
@pytest.mark.parametrize(("changes", "why"), list(CHANGES.values()), ids=list(CHANGES))
def test_an_import_started_before_its_uploader_left_is_refused(
    importer, world, page_client, make, changes, why, dry_run
):
    job = importer.upload("people", PEOPLE)
    assert job.status == ImportStatus.checked
    if dry_run:
        services.set_mapping(world.coordinator, job, dict(job.mapping or {}))
    else:
        services.start_import(world.coordinator, job)
    _change(world, changes)
    commit()  # the run (the eager task) starts once this commits: after the change
    job = importer.job(job.id)
    assert job.status == ImportStatus.failed
    assert job.error == why
    assert count(Person) == 0
    # The agency's other importers read why on the job's page.
    other = make.user("coordinator", agency=world.bdc, email="coordinator2@bdc.example")
    page = page_client(other).get(f"/imports/{job.id}").get_data(as_text=True)
    assert why.split(".")[0] in page.replace("&#39;", "'")


def test_an_import_whose_uploader_stayed_runs_for_their_agency(importer, world):
    job = importer.upload("people", PEOPLE)
    services.start_import(world.coordinator, job)
    accounts.update_user(world.admin, world.coordinator, name="Cora Coordinator-Smith")
    commit()
    job = importer.job(job.id)
    assert job.status == ImportStatus.imported, job.error
    assert count(Person, Person.agency_id == world.bdc.id) == 3
