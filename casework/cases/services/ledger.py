"""The incident and complaint ledger, one at a time or many at once (an import), and the
second-report rule with its Case Review explanations. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.accounts.policies import AGENCIES
from casework.accounts.services import area_settings
from casework.audit.models import AuditAction
from casework.audit.services import record, record_change, snapshot
from casework.cases import settings as case_settings
from casework.cases.models import (
    Case,
    CaseParty,
    CaseReviewExplanation,
    CaseStatus,
    Complaint,
    ExplanationMethod,
    Incident,
    PartyRole,
    Person,
)
from casework.cases.policies import (
    PEOPLE,
)
from casework.cases.services.fields import EXPLAIN_KIND, SECOND_REPORT_MONTHS, check_event_day, check_past
from casework.core.dates import add_working_days, end_of_months_beginning_with
from casework.core.db import add_unless_taken
from casework.core.errors import InvalidInput, NotFound, RuleViolation
from casework.core.templating import format_date
from casework.core.time import today
from casework.extensions import db
from casework.reminders.services import close_deadline, set_deadline

# --- the incident and complaint ledger ---------------------------------------------------------------


def _require_open(case: Case, *days: date | None) -> None:
    """A closed case's ledger takes only its history: behaviour and reports from before it closed
    (past work entered late or imported). Anything later needs the case reopened. A case anonymised
    under the retention policy takes nothing at all (``policies.ANONYMISED_CASE``): an import names
    cases by reference, not through ``get_case_for``."""
    from casework.cases.policies import refuse_anonymised

    refuse_anonymised(case)
    if case.status is not CaseStatus.closed:
        return
    closed_on = case.closed_on
    if closed_on is None or not days or any(day is None or day > closed_on for day in days):
        raise RuleViolation(
            "The case is closed"
            + (f" (on {format_date(closed_on)})" if closed_on else "")
            + ". Reopen it to add behaviour or reports after it closed."
        )


def _complaint_errors(
    actor: Any, occurred_on: date, complaint: dict[str, Any], prefix: str
) -> tuple[dict[str, list[str]], Person | None, Agency | None]:
    errors: dict[str, list[str]] = {}
    reported_on = complaint["reported_on"]
    if reported_on > today():
        errors.setdefault(f"{prefix}reported_on", []).append("The date it was reported cannot be in the future")
    if reported_on < occurred_on:
        errors.setdefault(f"{prefix}reported_on", []).append(
            "The date it was reported cannot be before the behaviour happened"
        )
    agency = AGENCIES.find(actor, complaint["agency_code"])
    if agency is None:
        errors.setdefault(f"{prefix}agency_code", []).append(AGENCIES.missing_message)
    person = None
    if complaint.get("complainant_person_id") is not None:
        person = PEOPLE.find(actor, complaint["complainant_person_id"])
        if person is None:
            errors.setdefault(f"{prefix}complainant_person_id", []).append(PEOPLE.missing_message)
    return errors, person, agency


def _add_complaint(
    actor: Any, case: Case, incident: Incident, person: Person | None, agency: Agency, values: dict[str, Any]
) -> Complaint:
    complaint = Complaint(
        incident=incident,
        case_id=incident.case_id,
        complainant_person_id=person.id if person else None,
        reported_on=values["reported_on"],
        agency_id=agency.id,
        reference=values.get("reference") or None,
        created_by_id=actor.id,
    )
    db.session.add(complaint)
    if person is not None:
        # A complainant becomes a party, so the case page lists them and they stay visible with it.
        on_case = db.session.scalar(
            sa.select(CaseParty.id).where(CaseParty.case_id == case.id, CaseParty.person_id == person.id)
        )
        if on_case is None:
            # Refused only when another request added them as complainant at the same moment: on the case.
            add_unless_taken(CaseParty(case_id=case.id, person_id=person.id, role=PartyRole.complainant))
    return complaint


def record_incident(
    actor: Any,
    case: Case,
    *,
    occurred_on: date,
    description: str,
    causes_had: bool = True,
    hate_motivated: bool = False,
    complaints: Sequence[dict[str, Any]] = (),
) -> Incident:
    """Record the behaviour on a day and every report of it (one incident, several complaints)."""
    _require_open(case, occurred_on, *(c.get("reported_on") for c in complaints))
    errors: dict[str, list[str]] = {}
    check_event_day(errors, "occurred_on", occurred_on, "The date the behaviour happened")
    checked = []
    for index, values in enumerate(complaints):
        found, person, agency = _complaint_errors(actor, occurred_on, values, f"complaints.{index}.")
        for key, messages in found.items():
            errors.setdefault(key, []).extend(messages)
        checked.append((person, agency, values))
    if errors:
        raise InvalidInput(errors)
    incident = Incident(
        case_id=case.id,
        occurred_on=occurred_on,
        description=description,
        causes_had=causes_had,
        hate_motivated=hate_motivated,
        created_by_id=actor.id,
    )
    db.session.add(incident)
    for person, agency, values in checked:
        _add_complaint(actor, case, incident, person, agency, values)
    db.session.flush()
    record_change(
        actor,
        incident,
        None,
        {
            **snapshot(incident, ("case_id", "occurred_on", "causes_had", "hate_motivated")),
            "complaints": [
                [c.complainant_person_id, c.reported_on, c.agency_id, c.reference] for c in incident.complaints
            ],
        },
        f"Recorded an incident on case {case.reference}",
        event_on=occurred_on,
    )
    # In the order of their ids: check_second_report locks each person, and two incidents naming the
    # same two people at once must not lock them in opposite orders (a deadlock).
    for person in sorted({p.id: p for p, _, _ in checked if p is not None}.values(), key=lambda p: p.id):
        check_second_report(actor, case, person)
    _complaints_recorded(actor, {p.id for p, _, _ in checked if p is not None})
    return incident


def _complaints_recorded(actor: Any, person_ids: set[int]) -> None:
    """Tell the other domains (the threshold watch) whose complaints were just written and flushed."""
    from casework.core import lifecycle

    if person_ids:
        lifecycle.send(lifecycle.complaint_recorded, person_ids=person_ids, actor=actor)


def add_complaint(actor: Any, case: Case, incident: Incident, **values: Any) -> Complaint:
    """Another report of an incident already on the ledger (the same behaviour, another agency)."""
    _require_open(case, values.get("reported_on"))
    errors, person, agency = _complaint_errors(actor, incident.occurred_on, values, "")
    if errors:
        raise InvalidInput(errors)
    complaint = _add_complaint(actor, case, incident, person, agency, values)
    db.session.flush()
    record_change(
        actor,
        complaint,
        None,
        snapshot(complaint, ("incident_id", "complainant_person_id", "reported_on", "agency_id", "reference")),
        f"Recorded a complaint on case {case.reference}",
        event_on=values.get("reported_on"),
    )
    if person is not None:
        check_second_report(actor, case, person)
        _complaints_recorded(actor, {person.id})
    return complaint


# --- many incidents at once (an import) ---------------------------------------------------------------


@dataclass
class ComplaintInput:
    reported_on: date
    agency_id: int
    complainant_person_id: int | None = None
    reference: str | None = None


@dataclass
class IncidentInput:
    """An incident for ``record_incidents_bulk``: the case and the people already loaded through the
    visibility rules by the caller (as the API's ``record_incident`` loads them)."""

    case: Case
    occurred_on: date
    description: str
    causes_had: bool = True
    hate_motivated: bool = False
    complaints: list[ComplaintInput] = field(default_factory=list)


@dataclass
class RecordedIncidents:
    incident_ids: list[int]
    complaint_ids: list[int]
    party_ids: list[int]


def incident_problems(item: IncidentInput) -> dict[str, list[str]]:
    """The checks ``record_incident`` makes, for one incident of a bulk insert (field -> messages)."""
    errors: dict[str, list[str]] = {}
    try:
        _require_open(item.case, item.occurred_on, *(c.reported_on for c in item.complaints))
    except RuleViolation as error:
        errors.update(error.errors)
    check_event_day(errors, "occurred_on", item.occurred_on, "The date the behaviour happened")
    if not (item.description or "").strip():
        errors.setdefault("description", []).append("Describe what happened")
    for complaint in item.complaints:
        if complaint.reported_on > today():
            errors.setdefault("reported_on", []).append("The date it was reported cannot be in the future")
        elif complaint.reported_on < item.occurred_on:
            errors.setdefault("reported_on", []).append(
                "The date it was reported cannot be before the behaviour happened"
            )
    return errors


def record_incidents_bulk(actor: Any, items: Sequence[IncidentInput], *, note: str) -> RecordedIncidents:
    """Record many incidents and their complaints with a fixed number of statements, for an import.

    The same rules as ``record_incident`` (``incident_problems``: the caller reports each item's
    problems and passes only those without); complainants become parties as there. Measured in
    bench/import_bench.py: one incident at a time through ``record_incident`` runs about ten statements
    per incident, which for a police force's or a council's history (100,000 incidents) is too slow.
    One audit entry names the incidents recorded together (``note`` says why: the import). The
    second-report task is raised only for complainants with a report in the last six months: for older
    history its window has long passed (past events are recorded only).
    """
    if not items:
        return RecordedIncidents([], [], [])
    incidents = cast(sa.Table, Incident.__table__)
    incident_ids = list(
        db.session.execute(
            sa.insert(incidents).returning(incidents.c.id, sort_by_parameter_order=True),
            [
                {
                    "case_id": item.case.id,
                    "occurred_on": item.occurred_on,
                    "description": item.description.strip(),
                    "causes_had": item.causes_had,
                    "hate_motivated": item.hate_motivated,
                    "created_by_id": actor.id,
                }
                for item in items
            ],
        ).scalars()
    )
    complaint_rows = [
        {
            "incident_id": incident_id,
            "case_id": item.case.id,
            "complainant_person_id": complaint.complainant_person_id,
            "reported_on": complaint.reported_on,
            "agency_id": complaint.agency_id,
            "reference": complaint.reference or None,
            "created_by_id": actor.id,
        }
        for item, incident_id in zip(items, incident_ids, strict=True)
        for complaint in item.complaints
    ]
    complaints = cast(sa.Table, Complaint.__table__)
    complaint_ids = (
        list(
            db.session.execute(
                sa.insert(complaints).returning(complaints.c.id, sort_by_parameter_order=True), complaint_rows
            ).scalars()
        )
        if complaint_rows
        else []
    )
    party_ids = finish_recorded_incidents(actor, items, incident_ids, complaint_ids, note=note)
    return RecordedIncidents(incident_ids, complaint_ids, party_ids)


def finish_recorded_incidents(
    actor: Any, items: Sequence[IncidentInput], incident_ids: list[int], complaint_ids: list[int], *, note: str
) -> list[int]:
    """What follows writing many incidents and complaints, however they were written (a batched insert
    here, ``COPY`` in ``casework.cases.ledger_import``): complainants become parties of the case, as
    ``record_incident`` makes them; one audit entry; the second-report check for recent reports; the
    other domains told. Returns the ids of the parties added."""
    wanted = {
        (item.case.id, c.complainant_person_id)
        for item in items
        for c in item.complaints
        if c.complainant_person_id is not None
    }
    party_ids: list[int] = []
    if wanted:
        existing = set(
            db.session.execute(
                sa.select(CaseParty.case_id, CaseParty.person_id).where(
                    sa.tuple_(CaseParty.case_id, CaseParty.person_id).in_(sorted(wanted))
                )
            ).tuples()
        )
        missing = sorted(wanted - existing)
        if missing:
            parties = cast(sa.Table, CaseParty.__table__)
            party_ids = list(
                db.session.execute(
                    sa.insert(parties).returning(parties.c.id, sort_by_parameter_order=True),
                    [{"case_id": c, "person_id": p, "role": PartyRole.complainant.value} for c, p in missing],
                ).scalars()
            )
    record(
        actor,
        AuditAction.create,
        ("incidents", None),
        f"Recorded {len(incident_ids):,} incidents and {len(complaint_ids):,} complaints on "
        f"{len({item.case.id for item in items}):,} cases ({note})",
        {"incident_ids": incident_ids, "complaint_ids": complaint_ids},
    )
    window_start = _months_ago(today(), SECOND_REPORT_MONTHS)
    recent_pairs = {
        (item.case.id, c.complainant_person_id)
        for item in items
        for c in item.complaints
        if c.complainant_person_id is not None and c.reported_on >= window_start
    }
    if recent_pairs:
        cases = {item.case.id: item.case for item in items}
        # Locked in the order of their ids before check_second_report locks each again: see record_incident.
        people = {
            p.id: p
            for p in db.session.scalars(
                sa.select(Person)
                .where(Person.id.in_({p for _, p in recent_pairs}))
                .order_by(Person.id)
                .with_for_update()
            )
        }
        for case_id, person_id in sorted(recent_pairs):
            check_second_report(actor, cases[case_id], people[person_id])
    _complaints_recorded(actor, {p for _c, p in recent_pairs})
    return party_ids


def _months_ago(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    from calendar import monthrange

    return date(year, month, min(day.day, monthrange(year, month)[1]))


def get_incident(case: Case, incident_id: int) -> Incident:
    incident = db.session.scalar(sa.select(Incident).where(Incident.id == incident_id, Incident.case_id == case.id))
    if incident is None:
        raise NotFound("Incident not found.")
    return incident


# --- the second-report rule --------------------------------------------------------------------------


def report_dates(person: Person) -> list[tuple[date, int]]:
    """The reports ``person`` made, across every case (July 2025 guidance: the rule is per victim, not
    per case): one per incident, since several complaints about the same incident are one report, dated
    by the first of them. Each as ``(day, case_id)``, in order."""
    rows = db.session.execute(
        sa.select(sa.func.min(Complaint.reported_on), Incident.case_id)
        .join(Incident, Incident.id == Complaint.incident_id)
        .where(Complaint.complainant_person_id == person.id)
        .group_by(Complaint.incident_id, Incident.case_id)
    ).all()
    return sorted((day, case_id) for day, case_id in rows)


def second_report_windows(dates: Sequence[date], months: int = SECOND_REPORT_MONTHS) -> list[tuple[date, date]]:
    """(first, second) report pairs that raise the task: the second report falls within ``months``
    months beginning with the day of the first. A window raises once; the next report after a window
    ends starts a new one."""
    raised = []
    window_start: date | None = None
    count = 0
    for day in sorted(dates):
        if window_start is None or day > end_of_months_beginning_with(window_start, months):
            window_start, count = day, 1
            continue
        count += 1
        if count == 2:
            raised.append((window_start, day))
    return raised


def check_second_report(actor: Any, case: Case, person: Person) -> list[CaseReviewExplanation]:
    """Raise "Explain the Case Review to <name>" for each window not already raised (statutory
    guidance, July 2025: every victim who reports a second time within six months, whichever case the
    report lands on). ``case`` is where a report was just recorded; each task goes on the case of the
    report that made it the second, with a Deadline row for that case's owner.

    The person's row is locked first: two reports recorded at the same moment (on two cases, by two
    officers) each counted the other's as not there yet, so neither raised the task (or both did, and
    the second report was refused). The second now waits for the first and counts both. On SQLite the
    write transaction holds the write lock already (BEGIN IMMEDIATE)."""
    db.session.execute(sa.select(Person.id).where(Person.id == person.id).with_for_update())
    existing = set(
        db.session.scalars(
            sa.select(CaseReviewExplanation.first_report_on).where(CaseReviewExplanation.person_id == person.id)
        )
    )
    reports = report_dates(person)
    case_of: dict[date, int] = {}
    for day, case_id in reports:
        case_of.setdefault(day, case_id)
    created = []
    for first, second in second_report_windows([day for day, _ in reports]):
        if first in existing or any(
            e <= first <= end_of_months_beginning_with(e, SECOND_REPORT_MONTHS) for e in existing
        ):
            continue
        # The second report is usually the one just recorded; a late entry may make an older one second.
        second_case = case if case_of[second] == case.id else db.session.get(Case, case_of[second])
        working_days = area_settings(second_case.area)[case_settings.EXPLAIN_CASE_REVIEW_WORKING_DAYS]
        task = CaseReviewExplanation(
            case_id=second_case.id,
            person_id=person.id,
            first_report_on=first,
            second_report_on=second,
            due_on=add_working_days(today(), working_days),
        )
        db.session.add(task)
        db.session.flush()
        existing.add(first)
        set_deadline(
            subject_type=CaseReviewExplanation.__tablename__,
            subject_id=task.id,
            kind=EXPLAIN_KIND,
            title=f"Explain the Case Review (Community Trigger) to {person.name} ({second_case.reference})",
            due=task.due_on,
            owner_id=second_case.owner_id,
            area_id=second_case.area_id,
            link=f"/cases/{second_case.id}",
            case_id=second_case.id,
        )
        record_change(
            actor,
            task,
            None,
            snapshot(task, ("case_id", "person_id", "first_report_on", "second_report_on", "due_on")),
            # The person by number: the task's entries are erased with its case, which can outlive them.
            f"Second report by person {person.id} on case {second_case.reference}: explain the Case Review",
        )
        created.append(task)
    return created


def rearm_explanations(case: Case) -> int:
    """On the case's reopening: its "explain the Case Review" tasks not yet done are due again, on the
    day they were due (an overdue one is overdue, and escalated), owned by the case's officer. Closing
    the case cancelled their deadlines; the explanation is still owed."""
    from casework.reminders.services import cancelled_deadlines, rearm

    not_explained = sa.select(CaseReviewExplanation.id).where(
        CaseReviewExplanation.case_id == case.id, CaseReviewExplanation.explained_on.is_(None)
    )
    rows = cancelled_deadlines(CaseReviewExplanation.__tablename__, not_explained, EXPLAIN_KIND, case.id)
    for row in rows:
        rearm(row, case.owner_id or row.owner_id)
    return len(rows)


def get_explanation(case: Case, explanation_id: int) -> CaseReviewExplanation:
    task = db.session.scalar(
        sa.select(CaseReviewExplanation).where(
            CaseReviewExplanation.id == explanation_id, CaseReviewExplanation.case_id == case.id
        )
    )
    if task is None:
        raise NotFound("Task not found.")
    return task


def record_explanation(
    actor: Any, task: CaseReviewExplanation, *, explained_on: date, method: str, notes: str | None = None
) -> CaseReviewExplanation:
    # Recorded at the same moment by someone else: the second waits here, then finds it recorded
    # (rather than writing over how the first explained it). SQLite: BEGIN IMMEDIATE holds the lock.
    db.session.refresh(task, with_for_update=True)
    if task.explained_on is not None:
        raise RuleViolation("This explanation is already recorded.")
    errors: dict[str, list[str]] = {}
    check_past(errors, "explained_on", explained_on, "The date it was explained")
    if explained_on < task.second_report_on:
        errors.setdefault("explained_on", []).append("The date it was explained cannot be before the second report")
    if errors:
        raise InvalidInput(errors)
    before = snapshot(task, ("explained_on", "explained_by_id", "method", "notes"))
    task.explained_on = explained_on
    task.explained_by_id = actor.id
    task.method = ExplanationMethod(method)
    task.notes = notes or None
    close_deadline(CaseReviewExplanation.__tablename__, task.id, EXPLAIN_KIND)
    db.session.flush()
    record_change(
        actor,
        task,
        before,
        snapshot(task, ("explained_on", "explained_by_id", "method", "notes")),
        "Recorded that the Case Review was explained",
    )
    return task
