"""An import keeps the source's own reference for each record it brought in (``import_source_keys``:
ECINS's person or case number, a police log's reference), so a second import skips it. Once the record
is anonymised, that reference would still name it in the source system, where the person is known by
name: it goes with the record's anonymisation (``records_anonymised``)."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from casework.core.time import now
from casework.extensions import db
from tests.lifecycle.planting import new_marker, scan_database


def test_the_source_reference_of_an_anonymised_record_is_forgotten(importer, world):
    from casework.cases.models import Person
    from casework.data_protection.tasks import apply_retention
    from casework.spreadsheets.services import delete_waiting_files

    reference, name = new_marker("ref"), new_marker("nam")
    job = importer.run("people", [["reference", "name"], [f"ECINS-{reference}", f"Zebedee {name}"]])
    assert job.status.value == "imported", job.error
    assert "import_source_keys.source_reference" in {f.split(":")[0] for f in scan_database([reference])}

    with time_machine.travel(now() + timedelta(days=7 * 366), tick=False):
        # The import's own sweep has long since deleted what it held of the file.
        delete_waiting_files()
        apply_retention()
        db.session.commit()
    db.session.expire_all()
    person = db.session.scalars(db.select(Person).where(Person.anonymised_at.is_not(None))).one()
    assert name not in person.name
    assert scan_database([reference, name]) == []
