"""Recording an import's incidents and complaints at the scale of a partnership's history.

``record_incidents`` is ``ledger.record_incidents_bulk`` with its rows written by ``COPY`` on
PostgreSQL: the ids come from the tables' sequences in one statement each, so the incidents and their
complaints are written without ``RETURNING`` and without statements of thousands of parameters (what
bench/import_bench.py found the time going to). Everything else is as there, with the same rules
(the caller passes only items without ``ledger.incident_problems``): complainants become parties of
the case, one audit entry names the incidents recorded together, the second-report task is checked for
complainants with a recent report, and the other domains hear whose complaints were recorded.

Elsewhere (SQLite) it is ``ledger.record_incidents_bulk`` itself. tests/spreadsheets/test_bulk.py
checks that both write the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa

from casework.cases.models import Complaint, Incident
from casework.cases.services import ledger
from casework.spreadsheets import bulk

INCIDENT_COLUMNS = ("id", "case_id", "occurred_on", "description", "causes_had", "hate_motivated", "created_by_id")
COMPLAINT_COLUMNS = (
    "id",
    "incident_id",
    "case_id",
    "complainant_person_id",
    "reported_on",
    "agency_id",
    "reference",
    "created_by_id",
)


def record_incidents(actor: Any, items: Sequence[ledger.IncidentInput], *, note: str) -> ledger.RecordedIncidents:
    """Record ``items`` (already checked) and their complaints; see the module's docstring."""
    if not bulk.is_postgresql():
        return ledger.record_incidents_bulk(actor, items, note=note)
    if not items:
        return ledger.RecordedIncidents([], [], [])
    incidents = cast(sa.Table, Incident.__table__)
    complaints = cast(sa.Table, Complaint.__table__)
    incident_ids = bulk.next_ids(incidents, len(items))
    bulk.copy_rows(
        incidents,
        INCIDENT_COLUMNS,
        (
            (
                incident_id,
                item.case.id,
                item.occurred_on,
                item.description.strip(),
                item.causes_had,
                item.hate_motivated,
                actor.id,
            )
            for item, incident_id in zip(items, incident_ids, strict=True)
        ),
    )
    complaint_ids = bulk.next_ids(complaints, sum(len(item.complaints) for item in items))
    ids = iter(complaint_ids)
    bulk.copy_rows(
        complaints,
        COMPLAINT_COLUMNS,
        (
            (
                next(ids),
                incident_id,
                item.case.id,
                complaint.complainant_person_id,
                complaint.reported_on,
                complaint.agency_id,
                complaint.reference or None,
                actor.id,
            )
            for item, incident_id in zip(items, incident_ids, strict=True)
            for complaint in item.complaints
        ),
    )
    party_ids = ledger.finish_recorded_incidents(actor, items, incident_ids, complaint_ids, note=note)
    return ledger.RecordedIncidents(incident_ids, complaint_ids, party_ids)
