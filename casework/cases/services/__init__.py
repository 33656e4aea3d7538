"""People, cases and the incident ledger: every change goes through here. Never commits.

Each function takes the acting user and plain values, validates them, changes the session, flushes,
writes its audit entries and raises domain errors (``InvalidInput`` for bad values, ``RuleViolation``
for procedural blocks, ``Forbidden``/``NotFound`` for access).

One module a part: ``fields`` (the fields of people and cases, normalising and checking values),
``people``, ``cases`` (categories, references, opening to closing, sharing, links, parties, notes),
``ledger`` (incidents and complaints, one at a time or from an import; the second-report rule),
``reading`` (the case record, its journal and timeline) and ``personal_data`` (subject access,
retention and merging: the cases domain's part). The names other modules use are re-exported here, so
callers keep ``from casework.cases import services`` and ``services.create_case(...)``.
"""

from __future__ import annotations

from casework.cases.services.cases import (
    REASSIGN_LIMIT,
    add_note,
    add_party,
    allocate_reference,
    categories_for,
    check_case_actions,
    close_case,
    create_case,
    create_category,
    grant_access,
    handover_user,
    link_cases,
    reassign_cases,
    reopen_case,
    share_case,
    unshare_case,
    update_case,
    view_case,
)
from casework.cases.services.fields import (
    ANONYMISED,
    normalise_name,
    normalise_postcode,
)
from casework.cases.services.ledger import (
    ComplaintInput,
    IncidentInput,
    add_complaint,
    get_explanation,
    get_incident,
    incident_problems,
    rearm_explanations,
    record_explanation,
    record_incident,
    record_incidents_bulk,
)
from casework.cases.services.people import (
    create_person,
    find_likely_duplicates,
    person_cases,
    update_person,
    view_person,
)
from casework.cases.services.personal_data import (
    anonymise_case,
    anonymise_person,
    export_sections,
    move_person_records,
    restore_person_records,
)
from casework.cases.services.reading import (
    case_journal,
    load_case_record,
    timeline,
)

__all__ = [
    "ANONYMISED",
    "REASSIGN_LIMIT",
    "ComplaintInput",
    "IncidentInput",
    "add_complaint",
    "add_note",
    "add_party",
    "allocate_reference",
    "anonymise_case",
    "anonymise_person",
    "case_journal",
    "categories_for",
    "check_case_actions",
    "close_case",
    "create_case",
    "create_category",
    "create_person",
    "export_sections",
    "find_likely_duplicates",
    "get_explanation",
    "get_incident",
    "grant_access",
    "handover_user",
    "incident_problems",
    "link_cases",
    "load_case_record",
    "move_person_records",
    "normalise_name",
    "normalise_postcode",
    "person_cases",
    "rearm_explanations",
    "reassign_cases",
    "record_explanation",
    "record_incident",
    "record_incidents_bulk",
    "reopen_case",
    "restore_person_records",
    "share_case",
    "timeline",
    "unshare_case",
    "update_case",
    "update_person",
    "view_case",
    "view_person",
]
