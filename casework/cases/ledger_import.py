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

from calendar import monthrange
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

import sqlalchemy as sa

from casework.audit.models import AuditAction
from casework.audit.services import record
from casework.cases.models import CaseParty, Complaint, Incident, PartyRole, Person
from casework.cases.services import ledger
from casework.core import lifecycle
from casework.core.time import today
from casework.extensions import db
from casework.spreadsheets import bulk

INCIDENT_COLUMNS = ("id", "case_id", "occurred_on", "description", "causes_had", "hate_motivated", "created_by_id")
COMPLAINT_COLUMNS = (
    "id",
    "incident_id",
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
    party_ids = _complainants_become_parties(items)
    record(
        actor,
        AuditAction.create,
        ("incidents", None),
        f"Recorded {len(incident_ids):,} incidents and {len(complaint_ids):,} complaints on "
        f"{len({item.case.id for item in items}):,} cases ({note})",
        {"incident_ids": incident_ids, "complaint_ids": complaint_ids},
    )
    window_start = _months_ago(today(), ledger.SECOND_REPORT_MONTHS)
    recent_pairs = {
        (item.case.id, c.complainant_person_id)
        for item in items
        for c in item.complaints
        if c.complainant_person_id is not None and c.reported_on >= window_start
    }
    if recent_pairs:
        cases = {item.case.id: item.case for item in items}
        people = {
            p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_({p for _, p in recent_pairs})))
        }
        for case_id, person_id in sorted(recent_pairs):
            ledger.check_second_report(actor, cases[case_id], people[person_id])
        lifecycle.send(lifecycle.complaint_recorded, person_ids={p for _c, p in recent_pairs}, actor=actor)
    return ledger.RecordedIncidents(incident_ids, complaint_ids, party_ids)


def _complainants_become_parties(items: Sequence[ledger.IncidentInput]) -> list[int]:
    """As ``record_incident`` makes them: a complainant not yet a party of the case becomes one."""
    wanted = {
        (item.case.id, c.complainant_person_id)
        for item in items
        for c in item.complaints
        if c.complainant_person_id is not None
    }
    if not wanted:
        return []
    existing = set(
        db.session.execute(
            sa.select(CaseParty.case_id, CaseParty.person_id).where(
                sa.tuple_(CaseParty.case_id, CaseParty.person_id).in_(sorted(wanted))
            )
        ).tuples()
    )
    missing = sorted(wanted - existing)
    if not missing:
        return []
    parties = cast(sa.Table, CaseParty.__table__)
    return list(
        db.session.execute(
            sa.insert(parties).returning(parties.c.id, sort_by_parameter_order=True),
            [{"case_id": c, "person_id": p, "role": PartyRole.complainant.value} for c, p in missing],
        ).scalars()
    )


def _months_ago(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))
