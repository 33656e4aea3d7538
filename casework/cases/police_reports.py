"""Calls from a police incident log: into the ledger as complaints to the police when the case is
certain, otherwise queued for an officer, who adds each to a case or dismisses it. Never commits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.audit.services import record_change, snapshot
from casework.cases import services
from casework.cases.models import (
    Case,
    CaseParty,
    CaseStatus,
    Complaint,
    Incident,
    PartyRole,
    Person,
    PoliceReportStatus,
    QueuedPoliceReport,
)
from casework.cases.policies import visible_cases_clause, visible_people_clause
from casework.core.errors import InvalidInput, NotFound, RuleViolation
from casework.core.permissions import Permission
from casework.core.time import london_day, now
from casework.extensions import db

AUDIT_FIELDS = ("status", "case_id", "complaint_id", "dismissed_reason")


@dataclass(frozen=True)
class CallOutcome:
    table_name: str
    object_id: int
    #: What the import's summary counts it as.
    counted_as: str


def _digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def description_of(category: str | None, location: str | None) -> str:
    what = category or "Anti-social behaviour"
    return f"{what} reported to the police" + (f" at {location}" if location else "")


def certain_person(
    actor: Any, caller: str | None, date_of_birth: date | None, phone: str | None, email: str | None
) -> tuple[Person | None, str]:
    """The one person the caller certainly is (same name and an identifier the same), or why not."""
    if not caller:
        return None, "The caller's name is not given"
    if not (date_of_birth or _digits(phone) or email):
        return None, "Only the caller's name is given: a name alone is not certain"
    named = list(
        db.session.scalars(
            sa.select(Person).where(
                Person.normalised_name == services.normalise_name(caller),
                Person.anonymised_at.is_(None),
                visible_people_clause(actor),
            )
        )
    )
    matching = [
        person
        for person in named
        if (date_of_birth is not None and person.date_of_birth == date_of_birth)
        or (_digits(phone) and _digits(person.phone) == _digits(phone))
        or (email and (person.email or "").lower() == email.lower())
    ]
    if not matching:
        return None, f"Nobody named {caller} with the same details is on a case you can see"
    if len(matching) > 1:
        return None, f"{len(matching)} people named {caller} have the same details"
    return matching[0], ""


def take_call(
    actor: Any,
    *,
    police_agency: Agency,
    agency_id: int,
    occurred_at: datetime,
    occurred_on: date,
    police_reference: str,
    location: str | None,
    category: str | None,
    caller: str | None,
    is_repeat_caller: bool,
    caller_date_of_birth: date | None,
    caller_phone: str | None,
    caller_email: str | None,
) -> CallOutcome:
    """One call: already on a case (the same police reference), added to the one case it certainly
    belongs to, or queued for an officer."""
    existing = db.session.scalar(
        sa.select(Complaint.id)
        .join(Incident, Incident.id == Complaint.incident_id)
        .join(Case, Case.id == Incident.case_id)
        .where(
            Complaint.agency_id == police_agency.id,
            Complaint.reference == police_reference,
            visible_cases_clause(actor),
        )
        .limit(1)
    )
    if existing is not None:
        return CallOutcome("complaints", existing, "calls already on a case")
    person, reason = certain_person(actor, caller, caller_date_of_birth, caller_phone, caller_email)
    if person is not None:
        cases = list(
            db.session.scalars(
                sa.select(Case)
                .where(
                    Case.status == CaseStatus.open,
                    Case.id.in_(
                        sa.select(CaseParty.case_id).where(
                            CaseParty.person_id == person.id,
                            CaseParty.role.in_([PartyRole.victim, PartyRole.complainant]),
                        )
                    ),
                    visible_cases_clause(actor),
                )
                .limit(2)
            )
        )
        if len(cases) == 1:
            incident = services.record_incident(
                actor,
                cases[0],
                occurred_on=occurred_on,
                description=description_of(category, location),
                complaints=[
                    {
                        "reported_on": occurred_on,
                        "agency_code": police_agency.code,
                        "reference": police_reference,
                        "complainant_person_id": person.id,
                    }
                ],
            )
            return CallOutcome("incidents", incident.id, "calls added to cases")
        how_many = "no" if not cases else "more than one"
        reason = f"{person.name} is the victim or complainant on {how_many} open case you can see"
    report = QueuedPoliceReport(
        agency_id=agency_id,
        police_agency_id=police_agency.id,
        occurred_at=occurred_at,
        police_reference=police_reference,
        location=location,
        category=category,
        caller_name=caller,
        is_repeat_caller=is_repeat_caller,
        caller_date_of_birth=caller_date_of_birth,
        caller_phone=caller_phone,
        caller_email=caller_email,
        reason=reason[:500],
        status=PoliceReportStatus.queued,
    )
    db.session.add(report)
    db.session.flush()
    record_change(
        actor,
        report,
        None,
        snapshot(report, ("police_reference", "occurred_at", "category", "location", "is_repeat_caller", "reason")),
        f"Police call {police_reference} queued for an officer",
    )
    return CallOutcome("queued_police_reports", report.id, "calls for an officer to match")


# --- the queue ---------------------------------------------------------------------------------------


def can_work_queue(user: Any) -> bool:
    return user.can(Permission.OPEN_CASES)


def queue_query(user: Any, status: PoliceReportStatus = PoliceReportStatus.queued) -> sa.Select:
    """The agency's calls waiting for a match, repeat callers first, then newest first."""
    if not can_work_queue(user):
        return sa.select(QueuedPoliceReport).where(sa.false())
    return (
        sa.select(QueuedPoliceReport)
        .where(QueuedPoliceReport.agency_id == user.agency_id, QueuedPoliceReport.status == status)
        .order_by(
            QueuedPoliceReport.is_repeat_caller.desc(), QueuedPoliceReport.occurred_at.desc(), QueuedPoliceReport.id
        )
    )


def get_report_for(user: Any, report_id: int) -> QueuedPoliceReport:
    report = db.session.scalar(
        sa.select(QueuedPoliceReport).where(
            QueuedPoliceReport.id == report_id, QueuedPoliceReport.agency_id == user.agency_id
        )
    )
    if report is None or not can_work_queue(user):
        raise NotFound("Police report not found.")
    return report


def _require_queued(report: QueuedPoliceReport) -> None:
    if report.status != PoliceReportStatus.queued:
        raise RuleViolation("This call has already been dealt with.")


def add_to_case(
    actor: Any,
    report: QueuedPoliceReport,
    case: Case,
    *,
    complainant: Person | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Put the call on the case's ledger (a new incident, with the call as its complaint to the police)."""
    if expected_version is not None and expected_version != report.version:
        from casework.core.errors import Conflict

        raise Conflict("The call was dealt with by someone else. Reload the page.")
    _require_queued(report)
    day = london_day(report.occurred_at)
    before = snapshot(report, AUDIT_FIELDS)
    incident = services.record_incident(
        actor,
        case,
        occurred_on=day,
        description=description_of(report.category, report.location),
        complaints=[
            {
                "reported_on": day,
                "agency_code": report.police_agency.code,
                "reference": report.police_reference,
                "complainant_person_id": complainant.id if complainant else None,
            }
        ],
    )
    report.status = PoliceReportStatus.added
    report.case_id = case.id
    report.complaint_id = incident.complaints[0].id if incident.complaints else None
    report.resolved_by_id = actor.id
    report.resolved_at = now()
    db.session.flush()
    record_change(
        actor,
        report,
        before,
        snapshot(report, AUDIT_FIELDS),
        f"Police call {report.police_reference} added to {case.reference}",
    )
    return incident


def dismiss(actor: Any, report: QueuedPoliceReport, *, reason: str, expected_version: int | None = None) -> None:
    if expected_version is not None and expected_version != report.version:
        from casework.core.errors import Conflict

        raise Conflict("The call was dealt with by someone else. Reload the page.")
    _require_queued(report)
    if not (reason or "").strip():
        raise InvalidInput({"reason": ["Enter why the call is not about one of your cases"]})
    before = snapshot(report, AUDIT_FIELDS)
    report.status = PoliceReportStatus.dismissed
    report.dismissed_reason = reason.strip()[:500]
    report.resolved_by_id = actor.id
    report.resolved_at = now()
    db.session.flush()
    record_change(
        actor, report, before, snapshot(report, AUDIT_FIELDS), f"Police call {report.police_reference} dismissed"
    )


# --- retention ------------------------------------------------------------------------------------


def anonymise_calls_due(on: date, report: Any) -> list[int]:
    """Calls that never reached a case have a retention date of their own (``lifecycle.retention_run``):
    one dismissed (not about a case of ours) or still waiting, ``retention.case_years`` of the importing
    agency's areas (the longest, when it covers several) after it was dismissed or, if nobody matched
    it, after the call. Each loses the caller's details, what was said about it and why it was
    dismissed (``casework.core.retention.anonymise``); a call added to a case goes with the case
    (``services.anonymise_case``). Answers the ids anonymised, also listed in ``report``."""
    from casework.accounts.models import Area, agency_areas
    from casework.accounts.services import area_settings
    from casework.cases import settings as case_settings
    from casework.core.lifecycle import REMOVED
    from casework.core.retention import anonymise
    from casework.data_protection.retention import years_before

    areas = {area.id: area for area in db.session.scalars(sa.select(Area))}
    if not areas:
        return []
    by_area = {
        area_id: years_before(on, area_settings(area, on)[case_settings.CASE_RETENTION_YEARS])
        for area_id, area in areas.items()
    }
    covered: dict[int, list[int]] = {}
    for agency_id, area_id in db.session.execute(sa.select(agency_areas.c.agency_id, agency_areas.c.area_id)):
        covered.setdefault(agency_id, []).append(area_id)
    earliest = min(by_area.values())
    # The reference is erased to the placeholder (it may not be null): a call so marked is done with.
    placeholder = REMOVED[: getattr(QueuedPoliceReport.__table__.c.police_reference.type, "length", None)]
    rows = db.session.scalars(
        sa.select(QueuedPoliceReport)
        .where(
            QueuedPoliceReport.status.in_([PoliceReportStatus.dismissed, PoliceReportStatus.queued]),
            QueuedPoliceReport.case_id.is_(None),
            QueuedPoliceReport.police_reference != placeholder,
            # None dismissed, nor any call, after the latest cutoff can be due (a call is dismissed after it).
            QueuedPoliceReport.occurred_at < datetime.combine(max(by_area.values()) + timedelta(days=1), time(0), UTC),
        )
        .order_by(QueuedPoliceReport.id)
    ).all()
    done = []
    for row in rows:
        areas_of = covered.get(row.agency_id, [])
        # The longest period of the agency's areas: the earliest cutoff (any area's, for an agency with none).
        before = min((by_area[a] for a in areas_of if a in by_area), default=earliest)
        moment = row.resolved_at if row.status is PoliceReportStatus.dismissed and row.resolved_at else row.occurred_at
        if london_day(moment) >= before:
            continue
        anonymise(row)
        if row.status is PoliceReportStatus.queued:
            # Nobody matched it in all that time: it leaves the officers' queue, as if dismissed.
            row.status = PoliceReportStatus.dismissed
            row.resolved_at = now()
        done.append(row.id)
    db.session.flush()
    report.add(QueuedPoliceReport.__tablename__, done)
    return done
