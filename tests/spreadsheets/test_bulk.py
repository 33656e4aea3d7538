"""The bulk paths of an import (casework/spreadsheets/bulk.py, casework/cases/ledger_import.py): COPY with
ids from the sequences on PostgreSQL, a batched INSERT on SQLite; the rows written are the same."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.cases import ledger_import, services
from casework.cases.models import Case, CaseParty, Complaint, Incident, Person
from casework.extensions import db
from casework.spreadsheets import bulk
from casework.spreadsheets.models import ImportJob, ImportSourceKey
from tests.spreadsheets.conftest import problems_of
from tests.spreadsheets.test_ledger_import import HEADER, _world


def _items(world: Any) -> list[services.IncidentInput]:
    case = db.session.scalar(sa.select(Case))
    person = db.session.scalar(sa.select(Person).where(Person.name == "Sam Third"))
    return [
        services.IncidentInput(
            case=case,
            occurred_on=date(2026, 3, 1),
            description="  Music until 3am ",
            complaints=[
                services.ComplaintInput(date(2026, 3, 2), world.bdc.id, person.id, "BDC-1"),
                services.ComplaintInput(date(2026, 3, 1), world.police.id, None, ""),
            ],
        ),
        services.IncidentInput(case=case, occurred_on=date(2025, 1, 5), description="Shouting", hate_motivated=True),
        services.IncidentInput(
            case=case,
            occurred_on=date(2025, 2, 5),
            description="Threats",
            causes_had=False,
            complaints=[services.ComplaintInput(date(2025, 2, 6), world.police.id, None, "LOG-1")],
        ),
    ]


def _written(recorded: services.RecordedIncidents) -> dict[str, Any]:
    """What a call wrote, without its ids and times."""
    db.session.expire_all()
    incidents = {i.id: i for i in db.session.scalars(sa.select(Incident).where(Incident.id.in_(recorded.incident_ids)))}
    order = {incident_id: n for n, incident_id in enumerate(recorded.incident_ids)}
    complaints = db.session.scalars(sa.select(Complaint).where(Complaint.id.in_(recorded.complaint_ids))).all()
    parties = db.session.scalars(sa.select(CaseParty).where(CaseParty.id.in_(recorded.party_ids))).all()
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.object_type == "incidents").order_by(AuditEntry.id.desc())
    )
    return {
        "incidents": [
            (i.case_id, i.occurred_on, i.description, i.causes_had, i.hate_motivated, i.created_by_id)
            for i in (incidents[incident_id] for incident_id in recorded.incident_ids)
        ],
        "complaints": sorted(
            (
                order[c.incident_id],
                c.complainant_person_id or 0,
                c.reported_on,
                c.agency_id,
                c.reference or "",
                c.created_by_id,
                c.created_at is not None,
            )
            for c in complaints
        ),
        "parties": sorted((p.case_id, p.person_id, p.role.value) for p in parties),
        "audit": entry is not None and entry.id,
    }


def test_record_incidents_writes_what_record_incidents_bulk_writes(importer, world):
    """On PostgreSQL by COPY, on SQLite through record_incidents_bulk itself: the same rows either way
    (each call in a SAVEPOINT rolled back, so both start from the same data)."""
    _world(importer)
    importer.run("people", [["reference", "name"], ["P-3", "Sam Third"]])
    actor = db.session.merge(world.coordinator)
    results = []
    for record in (services.record_incidents_bulk, ledger_import.record_incidents):
        savepoint = db.session.begin_nested()
        before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
        recorded = record(actor, _items(world), note="test")
        assert len(recorded.incident_ids) == 3
        assert len(recorded.complaint_ids) == 3
        written = _written(recorded)
        assert written["audit"] > before  # one audit entry names them
        written.pop("audit")
        results.append(written)
        savepoint.rollback()
    assert results[0] == results[1]
    assert results[1]["incidents"][0][2] == "Music until 3am"
    assert results[1]["parties"] != []  # Sam Third, not on the case, became a complainant of it


def test_copy_rows_reports_a_clash_as_an_integrity_error(importer, world):
    """A row's SAVEPOINT turns the clash into that row's problem, as for an INSERT."""
    _world(importer)
    job = db.session.scalar(sa.select(ImportJob))
    table = cast(sa.Table, ImportSourceKey.__table__)
    columns = ("agency_id", "record_kind", "source_reference", "table_name", "object_id", "job_id")
    row = (world.bdc.id, "test", "REF-1", "people", 1, job.id)
    savepoint = db.session.begin_nested()
    assert bulk.copy_rows(table, columns, [row]) == 1
    inner = db.session.begin_nested()
    with pytest.raises(sa.exc.IntegrityError):
        bulk.copy_rows(table, columns, [row])
    inner.rollback()
    written = db.session.scalar(
        sa.select(sa.func.count()).select_from(ImportSourceKey).where(ImportSourceKey.record_kind == "test")
    )
    assert written == 1
    savepoint.rollback()


def test_among_finds_every_value_of_a_long_list(importer, world):
    _world(importer)
    case = db.session.scalar(sa.select(Case))
    values = [f"NOT-{n}" for n in range(2500)] + [case.reference]
    conditions = bulk.among(Case.reference, values)
    assert len(conditions) == (1 if bulk.is_postgresql() else 3)
    found = [i for condition in conditions for i in db.session.scalars(sa.select(Case.id).where(condition))]
    assert found == [case.id]
    assert bulk.among(Case.reference, []) == []
    statements = bulk.joined_to(sa.select(Case.id), Case.reference.op("||")(""), values)
    assert len(statements) == (1 if bulk.is_postgresql() else 3)
    assert [i for statement in statements for i in db.session.scalars(statement)] == [case.id]


@pytest.mark.postgresql_only
def test_next_ids_come_from_the_sequence(importer, world):
    table = cast(sa.Table, Incident.__table__)
    ids = bulk.next_ids(table, 5)
    assert len(set(ids)) == 5
    assert bulk.next_ids(table, 1)[0] > max(ids)
    assert bulk.next_ids(table, 0) == []


def test_a_case_not_found_is_reported_in_every_batch(importer, world, monkeypatch):
    """Cases are kept from one batch to the next, the ones not found too: each of their rows is reported."""
    from casework.cases import spreadsheets

    monkeypatch.setattr(spreadsheets, "INCIDENT_BATCH", 2)
    _world(importer)
    rows = [
        HEADER,
        ["I-1", "C-404", "2025-06-01", "Music", "", "", "", "", "", ""],
        ["I-2", "C-1", "2025-07-01", "Shouting", "", "", "", "", "", ""],
        ["I-3", "C-404", "2025-07-02", "Shouting", "", "", "", "", "", ""],
        ["I-4", "C-1", "2025-07-03", "Threats", "", "", "", "", "", ""],
    ]
    job = importer.upload("incidents", rows)
    assert problems_of(job) == [
        (2, "case_reference", "There is no case C-404, or you cannot see it"),
        (4, "case_reference", "There is no case C-404, or you cannot see it"),
    ]
    fixed = importer.run("incidents", [row for row in rows if row[1] != "C-404"])
    assert fixed.summary["created"]["incidents"] == 2


def test_undo_of_an_incidents_import_deletes_every_row_it_wrote(importer, world, monkeypatch):
    """The ledger written by COPY (or INSERT on SQLite) names every incident, complaint and party, across
    batches, including a complaint added in a later batch to an incident of an earlier one."""
    from casework.cases import spreadsheets
    from casework.spreadsheets.models import ImportRecord, ImportStatus
    from tests.spreadsheets.conftest import count

    monkeypatch.setattr(spreadsheets, "INCIDENT_BATCH", 2)
    _world(importer)
    importer.run("people", [["reference", "name"], ["P-3", "Sam Third"]])
    before = (count(Incident), count(Complaint), count(CaseParty))
    rows = [
        HEADER,
        ["I-1", "C-1", "2026-03-01", "Music", "", "", "P-3", "2026-03-02", "BDC", "BDC-1"],
        ["I-2", "C-1", "2026-03-03", "Shouting", "", "", "", "2026-03-03", "DERPOL", "LOG-1"],
        ["I-3", "C-1", "2026-03-04", "Threats", "", "", "", "", "", ""],
        ["I-1", "C-1", "2026-03-01", "Music", "", "", "", "2026-03-05", "DERPOL", "LOG-2"],
    ]
    job = importer.run("incidents", rows)
    assert job.status == ImportStatus.imported, problems_of(job)
    assert (count(Incident), count(Complaint), count(CaseParty)) == (before[0] + 3, before[1] + 3, before[2] + 1)
    ledger = dict(
        db.session.execute(
            sa.select(ImportRecord.table_name, sa.func.count())
            .where(ImportRecord.job_id == job.id)
            .group_by(ImportRecord.table_name)
        )
        .tuples()
        .all()
    )
    assert ledger == {"incidents": 3, "complaints": 3, "case_parties": 1}
    response = importer.client.post(f"/imports/{job.id}/undo", data={"version": job.version})
    assert response.status_code == 302
    assert importer.job(job.id).status == ImportStatus.undone
    assert (count(Incident), count(Complaint), count(CaseParty)) == before
