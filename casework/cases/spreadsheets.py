"""What the casework domain brings in from spreadsheets and lets out to them.

Imports (each a documented layout with a template, ``docs/imports.md``): people, cases, incidents with
their complaints, and a police incident log. Exports: the case list with its filters.

Every row goes through the same services as the API (``casework.cases.services``), with the importing
user's visibility: a case or person a row names must be one the user could open. The one bulk path,
incidents, is ``ledger_import.record_incidents`` (``services.record_incidents_bulk``'s rules, written by
``COPY`` on PostgreSQL; measured in bench/import_bench.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, AgencyKind, Area, agency_areas
from casework.cases import ledger_import, listing, queries, services
from casework.cases.models import Case, CaseCategory, CaseStatus, Incident, PartyRole, Person, PersonKind
from casework.cases.policies import visible_cases_clause, visible_people_clause
from casework.core.permissions import Permission
from casework.extensions import db
from casework.spreadsheets import bulk
from casework.spreadsheets import columns as c
from casework.spreadsheets.columns import Column, Layout
from casework.spreadsheets.kinds import Export, ExportList, ImportKind, ImportOption, ParsedRow, known_code, tracking

IMPORTERS = frozenset({Permission.IMPORT_RECORDS})

REFERENCE_HELP = (
    "Your own reference for the record in the system it comes from (its ID in ECINS or a spreadsheet). "
    "A record whose reference was imported before is skipped, so importing the same file twice changes "
    "nothing."
)


def _reference(description: str = REFERENCE_HELP, **kwargs: Any) -> Column:
    return Column("reference", "Reference", c.text_value(100), description, required=True, **kwargs)


# --- people ------------------------------------------------------------------------------------------

PEOPLE = Layout(
    key="people",
    title="People",
    description="Victims, perpetrators, witnesses and complainants: one row per person.",
    columns=(
        _reference(example="P-1001", aliases=("person reference", "person id", "id")),
        Column(
            "kind",
            "Kind",
            c.choice([k.value for k in PersonKind]),
            "individual (the default), business, group or unknown",
            example="individual",
        ),
        Column(
            "name", "Name", c.text_value(200), "Full name (may be empty for an unknown person)", example="Jane Smith"
        ),
        Column(
            "date_of_birth",
            "Date of birth",
            c.event_date,
            "Where known: ages decide which powers apply",
            example="1984-05-17",
            aliases=("dob",),
        ),
        Column(
            "address", "Address", c.text_value(500), "Address, without the postcode", example="12 High Street, Bolsover"
        ),
        Column("postcode", "Postcode", c.text_value(10), "", example="S44 6BH"),
        Column("email", "Email address", c.email, "", aliases=("email",)),
        Column("phone", "Phone number", c.text_value(40), "", aliases=("phone", "telephone")),
        Column("personally_vulnerable", "Personally vulnerable", c.yes_no, "yes or no (who they are)"),
        Column("situationally_vulnerable", "Situationally vulnerable", c.yes_no, "yes or no (their circumstances)"),
    ),
)

_PERSON_FIELDS = {k: k for k in ("name", "date_of_birth", "address", "postcode", "email", "phone", "kind")}


def _first_time(context: Any, row: ParsedRow, record_kind: str, reference: str, label: str) -> bool:
    """True when ``reference`` is new. A reference imported before is skipped (counted); one used by an
    earlier row of this file is a problem."""
    known = context.find(record_kind, [reference]).get(reference)
    if known is None:
        return True
    if known.job_id == context.job_id:
        context.problem(row.number, "reference", f"The reference {reference} is on an earlier row of this file")
        context.row_done()
    else:
        context.skip(label)
    return False


def run_people(context: Any, rows: Iterator[ParsedRow]) -> None:
    for row in rows:
        if context.cell_problems(row):
            context.row_done()
            continue
        values = row.values
        if not _first_time(context, row, "person", values["reference"], "people"):
            continue
        with context.row(row.number, _PERSON_FIELDS) as created:
            person, _duplicates = services.create_person(
                context.actor,
                kind=values["kind"] or PersonKind.individual.value,
                name=values["name"],
                date_of_birth=values["date_of_birth"],
                address=values["address"],
                postcode=values["postcode"],
                email=values["email"],
                phone=values["phone"],
                is_personally_vulnerable=bool(values["personally_vulnerable"]),
                is_situationally_vulnerable=bool(values["situationally_vulnerable"]),
            )
            context.remember("person", [(values["reference"], "people", person.id)])
            created["people"] += 1


# --- cases -------------------------------------------------------------------------------------------

CASES = Layout(
    key="cases",
    title="Cases",
    description=(
        "One row per case. The people on it are named by their references from a people import "
        "(several separated by semicolons); a person whose record was merged into another since is put on "
        "the case as the record kept. A closed case is opened and then closed on its dates. One whose "
        "closing date is already past its area's retention period is anonymised only once it has been "
        "closed in the service for the grace period (30 days by default), so a wrong date can be put right "
        "first: reopen the case and close it again."
    ),
    columns=(
        _reference(example="C-2019-044", aliases=("case reference", "case id", "id")),
        Column(
            "area_code",
            "Area code",
            c.code,
            "The area's code in this service, for example BOL",
            required=True,
            example="BOL",
            aliases=("area",),
        ),
        Column(
            "category",
            "Category",
            c.text_value(40),
            "personal, nuisance, environmental or a local category's code",
            required=True,
            example="personal",
        ),
        Column(
            "summary",
            "Summary",
            c.text_value(20_000),
            "What the case is about",
            required=True,
            example="Noise and threats from the flat upstairs",
        ),
        Column("location", "Location", c.text_value(300), "", example="High Street, Bolsover"),
        Column(
            "opened_on",
            "Date opened",
            c.event_date,
            "The day the case was opened (the reference takes its year)",
            required=True,
            example="2019-06-03",
        ),
        Column("lead_agency_code", "Lead agency code", c.code, "Default: your agency", aliases=("lead agency",)),
        Column(
            "owner_email", "Owner's email address", c.email, "An officer, coordinator or manager of the lead agency"
        ),
        Column(
            "restricted", "Restricted", c.yes_no, "yes for a sensitive case seen only by named users (you are named)"
        ),
        Column(
            "status",
            "Status",
            c.choice([s.value for s in CaseStatus]),
            "open (the default) or closed",
            example="closed",
        ),
        Column("closed_on", "Date closed", c.event_date, "For a closed case", example="2020-01-15"),
        Column(
            "closure_reason",
            "Reason for closing",
            c.text_value(500),
            "For a closed case",
            example="Perpetrator moved away",
        ),
        Column("victims", "Victims", c.reference_list, "References of people (from a people import)", example="P-1001"),
        Column("perpetrators", "Perpetrators", c.reference_list, "References of people", example="P-1002"),
        Column("witnesses", "Witnesses", c.reference_list, "References of people"),
        Column("complainants", "Complainants", c.reference_list, "References of people"),
    ),
)

_CASE_FIELDS = {
    "area_code": "area_code",
    "category": "category",
    "summary": "summary",
    "location": "location",
    "opened_on": "opened_on",
    "lead_agency_code": "lead_agency_code",
    "owner_email": "owner_email",
    "closed_on": "closed_on",
    "reason": "closure_reason",
}
_PARTY_COLUMNS = {
    "victims": PartyRole.victim,
    "perpetrators": PartyRole.perpetrator,
    "witnesses": PartyRole.witness,
    "complainants": PartyRole.complainant,
}


def _visible_person_ids(context: Any, references: list[str]) -> dict[str, int]:
    """The person each reference was imported as, if the importer may see them. A record merged into
    another since (``casework.data_protection.merge``) is on its way out and may not be named as a new
    link (``policies.PEOPLE``): the reference means the record it was merged into."""
    from casework.data_protection.merge import kept_record_ids

    found = context.find("person", references)
    kept = kept_record_ids({record.object_id for record in found.values()})
    ids = {ref: kept[record.object_id] for ref, record in found.items()}
    if ids:
        candidates = sa.select(Person.id).where(Person.id.in_(set(ids.values())))
        visible = set(
            db.session.scalars(
                sa.select(Person.id).where(
                    Person.id.in_(candidates.scalar_subquery()), visible_people_clause(context.actor)
                )
            )
        )
        ids = {ref: i for ref, i in ids.items() if i in visible}
    return ids


def run_cases(context: Any, rows: Iterator[ParsedRow]) -> None:
    for row in rows:
        if context.cell_problems(row):
            context.row_done()
            continue
        values = row.values
        if not _first_time(context, row, "case", values["reference"], "cases"):
            continue
        closed = values["status"] == CaseStatus.closed.value
        problems = False
        if closed and values["closed_on"] is None:
            context.problem(row.number, "closed_on", "Enter the date the case was closed")
            problems = True
        if closed and not values["closure_reason"]:
            context.problem(row.number, "closure_reason", "Enter the reason the case was closed")
            problems = True
        if not closed and values["closed_on"] is not None:
            context.problem(row.number, "status", "A case with a closing date must have the status closed")
            problems = True
        parties: list[dict[str, Any]] = []
        for key, role in _PARTY_COLUMNS.items():
            references = values[key] or []
            ids = _visible_person_ids(context, references)
            missing = [ref for ref in references if ref not in ids]
            if missing:
                context.problem(
                    row.number,
                    key,
                    f"No person you can see was imported with the reference {', '.join(missing)}",
                )
                problems = True
            parties += [{"person_id": ids[ref], "role": role.value} for ref in references if ref in ids]
        if problems:
            context.row_done()
            continue
        with context.row(row.number, _CASE_FIELDS) as created:
            case = services.create_case(
                context.actor,
                area_code=values["area_code"],
                category=values["category"],
                summary=values["summary"],
                location=values["location"],
                parties=parties,
                lead_agency_code=values["lead_agency_code"],
                owner_email=values["owner_email"],
                is_restricted=bool(values["restricted"]),
                opened_on=values["opened_on"],
            )
            if closed:
                services.close_case(context.actor, case, reason=values["closure_reason"], closed_on=values["closed_on"])
            context.remember("case", [(values["reference"], "cases", case.id)])
            created["cases"] += 1


# --- incidents and complaints ------------------------------------------------------------------------

INCIDENTS = Layout(
    key="incidents",
    title="Incidents and complaints",
    description=(
        "The ledger: one row per complaint (a report of the behaviour to an agency). Rows with the same "
        "incident reference are one incident reported several times; the incident's own columns must "
        "then be the same on each. A row with no date reported and no agency is an incident without a "
        "complaint."
    ),
    columns=(
        Column(
            "incident_reference",
            "Incident reference",
            c.text_value(100),
            "Your reference for the incident (the behaviour on one day)",
            required=True,
            example="INC-55012",
        ),
        Column(
            "case_reference",
            "Case reference",
            c.text_value(100),
            "The case: its reference from a cases import, or its reference in this service (BOL-2026-0042)",
            required=True,
            example="C-2019-044",
        ),
        Column("occurred_on", "Date the behaviour happened", c.event_date, "", required=True, example="2019-06-01"),
        Column(
            "description",
            "What happened",
            c.text_value(20_000),
            "",
            required=True,
            example="Loud music and shouting until 3am",
        ),
        Column(
            "causes_had", "Caused harassment, alarm or distress", c.yes_no, "yes (the default) or no", example="yes"
        ),
        Column("hate_motivated", "Hate motivated", c.yes_no, "yes or no (the default)", example="no"),
        Column(
            "complainant",
            "Complainant",
            c.text_value(100),
            "The complainant's reference from a people import, if known",
            example="P-1001",
        ),
        Column("reported_on", "Date reported", c.event_date, "The day the complaint was made", example="2019-06-02"),
        Column(
            "agency_code", "Agency code", c.code, "The agency it was reported to, for example DERPOL", example="BDC"
        ),
        Column(
            "agency_reference",
            "Agency's reference",
            c.text_value(100),
            "That agency's own reference, such as a police log number",
            example="LOG-2019-0613",
        ),
    ),
)

#: Rows handed to ``ledger_import.record_incidents`` at a time: enough to keep statements few, small enough that
#: memory stays flat whatever the file's length.
INCIDENT_BATCH = 5000


def run_incidents(context: Any, rows: Iterator[ParsedRow]) -> None:
    batch: list[ParsedRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= INCIDENT_BATCH:
            _incident_batch(context, batch)
            batch = []
    if batch:
        _incident_batch(context, batch)


#: Cases an incidents import keeps from one batch to the next (many incidents name the same case); at
#: most this many, so memory stays flat whatever the file's length.
CASES_KEPT = 20_000


def _visible_cases(context: Any, references: set[str]) -> dict[str, Case]:
    """Case reference (the source's, or the service's) -> the case, when the user can see it.

    What earlier batches of the run found is kept (``CASES_KEPT``): in one transaction, what the user
    can see does not change."""
    kept: dict[str, Case | None] = context.__dict__.setdefault("_cases_kept", {})
    if len(kept) > CASES_KEPT:
        kept.clear()
    wanted = references - kept.keys()
    if wanted:
        found = _find_visible_cases(context, wanted)
        kept.update({reference: found.get(reference) for reference in wanted})
    return {reference: case for reference in references if (case := kept[reference]) is not None}


def _find_visible_cases(context: Any, references: set[str]) -> dict[str, Case]:
    by_source = context.find("case", references)
    ids = {ref: record.object_id for ref, record in by_source.items()}
    # The candidates first, as a list of ids; then the visibility rule on those few ids (with the rule in
    # the same WHERE as the references, PostgreSQL applied it to every case). PostgreSQL answers
    # ``reference = ANY(...)`` (and a long IN list) by a bitmap scan of the trigram index case search uses
    # (ix_cases_reference_trgm): 9.6 s for 1,300 references on the national dataset. ``reference || ''``
    # keeps every index out: one pass over the cases joined to the references by a hash (``joined_to``).
    # See docs/performance.md, "Imports: the ledger at scale".
    candidate_ids = set(ids.values())
    unknown = sorted(references - set(ids))
    unindexed = Case.reference.op("||")("")
    for statement in bulk.joined_to(sa.select(Case.id), unindexed, unknown):
        candidate_ids.update(db.session.scalars(statement))
    if not candidate_ids:
        return {}
    cases = [
        case
        for condition in bulk.among(Case.id, sorted(candidate_ids))
        for case in db.session.scalars(sa.select(Case).where(condition, visible_cases_clause(context.actor)))
    ]
    by_id = {case.id: case for case in cases}
    found = {ref: by_id[i] for ref, i in ids.items() if i in by_id}
    found.update(
        {case.reference: case for case in cases if case.reference in references and case.reference not in found}
    )
    return found


def _incident_batch(context: Any, rows: list[ParsedRow]) -> None:
    actor = context.actor
    ok_rows = []
    for row in rows:
        if context.cell_problems(row):
            context.row_done()
            continue
        values = row.values
        has_complaint = values["reported_on"] is not None or values["agency_code"] is not None
        missing = None
        if (has_complaint or values["complainant"]) and values["reported_on"] is None:
            missing = ("reported_on", "Enter the date the complaint was made")
        elif has_complaint and values["agency_code"] is None:
            missing = ("agency_code", "Enter the code of the agency the complaint was made to")
        if missing:
            context.problem(row.number, *missing)
            context.row_done()
            continue
        ok_rows.append(row)

    incident_refs = {r.values["incident_reference"] for r in ok_rows}
    known = context.find("incident", incident_refs)
    cases = _visible_cases(context, {r.values["case_reference"] for r in ok_rows})
    agencies = {
        a.code: a.id
        for a in db.session.scalars(
            sa.select(Agency).where(
                Agency.code.in_({r.values["agency_code"] for r in ok_rows if r.values["agency_code"]})
            )
        )
    }
    people = _visible_person_ids(context, [r.values["complainant"] for r in ok_rows if r.values["complainant"]])

    # Group the rows by incident: new incidents of this batch, and complaints for incidents this run
    # created in an earlier batch (their rows need not be next to each other).
    new: dict[str, tuple[services.IncidentInput, list[int]]] = {}
    for row in ok_rows:
        values = row.values
        ref = values["incident_reference"]
        record = known.get(ref)
        if record is not None and record.job_id != context.job_id:
            context.skip("incidents")  # imported before: its rows are skipped
            continue
        case = cases.get(values["case_reference"])
        problems = False
        if case is None:
            context.problem(
                row.number, "case_reference", f"There is no case {values['case_reference']}, or you cannot see it"
            )
            problems = True
        if values["agency_code"] and values["agency_code"] not in agencies:
            context.problem(row.number, "agency_code", f"There is no agency with the code {values['agency_code']}")
            problems = True
        if values["complainant"] and values["complainant"] not in people:
            context.problem(
                row.number,
                "complainant",
                f"No person you can see was imported with the reference {values['complainant']}",
            )
            problems = True
        if problems:
            context.row_done()
            continue
        complaint = (
            services.ComplaintInput(
                reported_on=values["reported_on"],
                agency_id=agencies[values["agency_code"]],
                complainant_person_id=people.get(values["complainant"]) if values["complainant"] else None,
                reference=values["agency_reference"],
            )
            if values["agency_code"]
            else None
        )
        if record is not None:  # created by this run, in an earlier batch
            if complaint is not None:
                _pending_complaints(context).append((row, record.object_id, complaint, values))
            else:
                context.row_done()
            continue
        if ref in new:
            item, numbers = new[ref]
            if (item.case.id, item.occurred_on, item.description, item.causes_had, item.hate_motivated) != (
                case.id,
                values["occurred_on"],
                values["description"],
                _flag(values["causes_had"], True),
                _flag(values["hate_motivated"], False),
            ):
                context.problem(
                    row.number,
                    "incident_reference",
                    f"The incident {ref} has different details on row {numbers[0]}: its case, date, description "
                    "and flags must be the same on each of its rows",
                )
                context.row_done()
                continue
            if complaint is not None:
                item.complaints.append(complaint)
            numbers.append(row.number)
            continue
        item = services.IncidentInput(
            case=case,
            occurred_on=values["occurred_on"],
            description=values["description"],
            causes_had=_flag(values["causes_had"], True),
            hate_motivated=_flag(values["hate_motivated"], False),
            complaints=[complaint] if complaint is not None else [],
        )
        new[ref] = (item, [row.number])

    valid: list[tuple[str, services.IncidentInput, list[int]]] = []
    for ref, (item, numbers) in new.items():
        errors = services.incident_problems(item)
        if errors:
            for field, messages in errors.items():
                for message in messages:
                    context.problem(numbers[0], _INCIDENT_FIELDS.get(field), message)
            for _ in numbers:
                context.row_done()
            continue
        valid.append((ref, item, numbers))
    if valid:
        items = [item for _, item, _ in valid]
        recorded = ledger_import.record_incidents(actor, items, note=f"import {context.job_id}")
        context.note("incidents", recorded.incident_ids)
        context.note("complaints", recorded.complaint_ids)
        context.note("case_parties", recorded.party_ids)
        context.remember(
            "incident", [(ref, "incidents", i) for (ref, _, _), i in zip(valid, recorded.incident_ids, strict=True)]
        )
        context.created["incidents"] += len(recorded.incident_ids)
        context.created["complaints"] += len(recorded.complaint_ids)
        for _, _, numbers in valid:
            for _ in numbers:
                context.row_done()
    _add_later_complaints(context)


_INCIDENT_FIELDS = {
    "occurred_on": "occurred_on",
    "reported_on": "reported_on",
    "description": "description",
    "_rule": None,
}


def _flag(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _pending_complaints(context: Any) -> list[Any]:
    return context.__dict__.setdefault("_incident_later", [])


def _add_later_complaints(context: Any) -> None:
    """Complaints whose incident an earlier batch of this run created: added through ``add_complaint``
    (rows of an incident apart from each other in the file are few)."""
    pending = _pending_complaints(context)
    if not pending:
        return
    rows, context.__dict__["_incident_later"] = pending, []
    for row, incident_id, complaint, values in rows:
        incident = db.session.get(Incident, incident_id)
        with context.row(row.number, {"reported_on": "reported_on", "agency_code": "agency_code"}) as created:
            services.add_complaint(
                context.actor,
                incident.case,
                incident,
                reported_on=complaint.reported_on,
                agency_code=values["agency_code"],
                reference=complaint.reference,
                complainant_person_id=complaint.complainant_person_id,
            )
            created["complaints"] += 1


# --- the police incident log -------------------------------------------------------------------------

POLICE_LOG = Layout(
    key="police_log",
    title="Police incident log",
    description=(
        "A police force's log of calls about anti-social behaviour: one row per call. Each call goes into "
        "the ledger as a complaint to the police. A call is added to a case only when the match is certain: "
        "its police reference is already on a case's complaint, or the caller is exactly one person you can "
        "see (same name, and the same date of birth, phone number or email address) who is the victim or "
        "complainant on exactly one open case. Every other call waits for an officer to match it."
    ),
    columns=(
        Column(
            "occurred_at",
            "Date and time",
            c.event_datetime,
            "When the call was made (England's local time unless an offset is given)",
            required=True,
            example="2026-02-14 23:15",
        ),
        Column(
            "police_reference",
            "Police reference",
            c.text_value(100),
            "The log or incident number",
            required=True,
            example="DP-20260214-0412",
        ),
        Column("location", "Location", c.text_value(300), "", example="Market Street, Bolsover"),
        Column(
            "category", "Category", c.text_value(100), "The police's category for the call", example="ASB - nuisance"
        ),
        Column("caller", "Caller", c.text_value(200), "The caller's name, if given", example="Jane Smith"),
        Column(
            "repeat_caller",
            "Repeat caller",
            c.yes_no,
            "yes when the police flagged the caller as a repeat caller",
            example="yes",
        ),
        Column("caller_date_of_birth", "Caller's date of birth", c.event_date, "For a certain match"),
        Column("caller_phone", "Caller's phone number", c.text_value(40), "For a certain match"),
        Column("caller_email", "Caller's email address", c.email, "For a certain match"),
    ),
)


def police_agencies(user: Any) -> list[tuple[str, str]]:
    """Police forces covering one of the user's agency's areas (the user's own first, if a police force)."""
    area_ids = sa.select(agency_areas.c.area_id).where(agency_areas.c.agency_id == user.agency_id)
    rows = db.session.scalars(
        sa.select(Agency)
        .join(agency_areas, agency_areas.c.agency_id == Agency.id)
        .where(Agency.kind == AgencyKind.police, agency_areas.c.area_id.in_(area_ids))
        .order_by(Agency.name)
    ).unique()
    return [(agency.code, agency.name) for agency in rows]


def _police_key(values: Mapping[str, Any]) -> str:
    caller = services.normalise_name(values["caller"] or "")
    return f"{values['police_reference']}|{values['occurred_at'].isoformat()}|{caller}"[:200]


def run_police_log(context: Any, rows: Iterator[ParsedRow]) -> None:
    from casework.cases import police_reports
    from casework.core.time import london_day

    agency = db.session.scalar(sa.select(Agency).where(Agency.code == context.options.get("police_agency")))
    for row in rows:
        if context.cell_problems(row):
            context.row_done()
            continue
        values = row.values
        key = _police_key(values)
        known = context.find("police_call", [key]).get(key)
        if known is not None:
            if known.job_id == context.job_id:
                context.problem(row.number, "police_reference", "This call is on an earlier row of this file")
                context.row_done()
            else:
                context.skip("calls")
            continue
        day = london_day(values["occurred_at"])
        with context.row(row.number, {"occurred_on": "occurred_at", "reported_on": "occurred_at"}) as created:
            outcome = police_reports.take_call(
                context.actor,
                police_agency=agency,
                agency_id=context.agency_id,
                occurred_at=values["occurred_at"],
                occurred_on=day,
                police_reference=values["police_reference"],
                location=values["location"],
                category=values["category"],
                caller=values["caller"],
                is_repeat_caller=bool(values["repeat_caller"]),
                caller_date_of_birth=values["caller_date_of_birth"],
                caller_phone=values["caller_phone"],
                caller_email=values["caller_email"],
            )
            context.remember("police_call", [(key, outcome.table_name, outcome.object_id)])
            created[outcome.counted_as] += 1


IMPORTS = [
    ImportKind(
        PEOPLE,
        IMPORTERS,
        run_people,
        examples=(
            {
                "reference": "P-1001",
                "kind": "individual",
                "name": "Jane Smith",
                "date_of_birth": "1984-05-17",
                "address": "12 High Street, Bolsover",
                "postcode": "S44 6BH",
            },
        ),
    ),
    ImportKind(
        CASES,
        IMPORTERS,
        run_cases,
        examples=(
            {
                "reference": "C-2019-044",
                "area_code": "BOL",
                "category": "personal",
                "summary": "Noise and threats from the flat upstairs",
                "opened_on": "2019-06-03",
                "status": "closed",
                "closed_on": "2020-01-15",
                "closure_reason": "Perpetrator moved away",
                "victims": "P-1001",
            },
        ),
    ),
    ImportKind(
        INCIDENTS,
        IMPORTERS,
        run_incidents,
        examples=(
            {
                "incident_reference": "INC-55012",
                "case_reference": "C-2019-044",
                "occurred_on": "2019-06-01",
                "description": "Loud music and shouting until 3am",
                "causes_had": "yes",
                "hate_motivated": "no",
                "complainant": "P-1001",
                "reported_on": "2019-06-02",
                "agency_code": "BDC",
                "agency_reference": "BDC-ASB-0613",
            },
            {
                "incident_reference": "INC-55012",
                "case_reference": "C-2019-044",
                "occurred_on": "2019-06-01",
                "description": "Loud music and shouting until 3am",
                "causes_had": "yes",
                "hate_motivated": "no",
                "complainant": "P-1001",
                "reported_on": "2019-06-01",
                "agency_code": "DERPOL",
                "agency_reference": "LOG-2019-0613",
            },
        ),
    ),
    ImportKind(
        POLICE_LOG,
        IMPORTERS,
        run_police_log,
        options=(
            ImportOption(
                "police_agency",
                "Police force",
                "The force whose log this is: each call becomes a complaint to it",
                police_agencies,
            ),
        ),
        examples=(
            {
                "occurred_at": "2026-02-14 23:15",
                "police_reference": "DP-20260214-0412",
                "location": "Market Street, Bolsover",
                "category": "ASB - nuisance",
                "caller": "Jane Smith",
                "repeat_caller": "yes",
            },
        ),
    ),
]


# --- exports -----------------------------------------------------------------------------------------


#: The case list's columns: those of the cases layout (so an export can be imported elsewhere), with
#: the owner's name and the case's parties left out of the round trip.
CASE_EXPORT_COLUMNS = (
    "reference",
    "area_code",
    "category",
    "summary",
    "location",
    "opened_on",
    "lead_agency_code",
    "restricted",
    "status",
    "closed_on",
    "closure_reason",
)


def _every_case_of_the_list(user: Any, **filters: Any) -> Iterator[Case]:
    """Every case of the case list with these filters, in the list's order, a page of 500 at a time
    through the list's own query (``queries.case_page``), so the export shows what the list shows."""
    page, cursor = 1, None
    while True:
        result = queries.case_page(user, page=page, per_page=500, cursor=cursor, **filters)
        yield from result.items
        if not result.has_more:
            return
        if result.next_cursor:
            cursor = result.next_cursor
        else:  # a search pages by number
            page += 1


def export_cases(user: Any, args: Mapping[str, str]) -> Export:
    """The case list as the user sees it, with the list's filters (area, status, search). Its columns
    are named as the cases import names them, so the file can be imported again."""
    asked = listing.read(user, args)
    filters = asked.page_args()
    header = [CASES.column(key).label for key in CASE_EXPORT_COLUMNS] + ["Lead agency's name", "Owner's name"]
    ids: list[int] = []

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for case in _every_case_of_the_list(user, **filters):
            yield (
                case.id,
                [
                    case.reference,
                    case.area.code,
                    case.category,
                    case.summary,
                    case.location,
                    case.opened_on,
                    case.lead_agency.code,
                    case.is_restricted,
                    case.status.value,
                    case.closed_on,
                    case.closure_reason,
                    case.lead_agency.name,
                    case.owner.name if case.owner else None,
                ],
            )

    # The list's own reading of its arguments, but the search's words ("searched" says there were some).
    # The codes typed into the query string are kept only where a row has them.
    applied: dict[str, Any] = {key: value for key, value in asked.query_args().items() if key != "q"}
    for key, column in (("area", Area.code), ("category", CaseCategory.code), ("agency", Agency.code)):
        if key in applied and known_code(column, applied[key]) is None:
            del applied[key]
    if asked.q:
        applied["searched"] = True
    return Export(header, tracking(ids, rows()), "cases", ids, "cases", applied)


EXPORTS = [ExportList("cases", "Cases", frozenset({Permission.VIEW_CASES}), export_cases)]
