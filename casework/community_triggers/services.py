"""Case Review (Community Trigger) operations: registration, screening, the threshold decision, the
review meeting and its outcome, the appeal and withdrawal.

Each function takes the acting user (None for the public web form or the system) and plain arguments,
checks the rules of SPEC sections 3, 6 and 9, changes the session, flushes, audits, keeps the Deadline
rows in line (``deadlines.sync``), sends the ``signals`` event, and never commits. Object-level access
(which user may act on which application) is checked by the caller with ``policies``; rules that hold
whoever acts (a "not met" decision on a met evaluation, a conflicted chair) are checked here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, Area, User, UserRole, agency_areas
from casework.accounts.services import area_settings
from casework.actions.services import create_recommendation_action
from casework.audit.services import record_change, snapshot
from casework.cases.models import Action, Case, CaseNote, Complaint, Incident, Person
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers import review_papers, signals, threshold
from casework.community_triggers.models import (
    CONSENT_ROLES,
    AgencyNotification,
    Appeal,
    AppealDecision,
    ApplicantRole,
    ApplicationComplaint,
    ApplicationStatus,
    Channel,
    DecisionBasis,
    MeetingAttendee,
    Recommendation,
    ReviewMeeting,
    ThresholdDecision,
    TriggerApplication,
)
from casework.community_triggers.settings import step_timescales, threshold_rules
from casework.core.errors import RULE, Conflict, InvalidInput, RuleViolation
from casework.core.links import external_url
from casework.core.permissions import Role
from casework.core.time import LONDON, london_day, now, today
from casework.extensions import db
from casework.interventions.models import Intervention
from casework.reminders.services import close_deadline
from casework.risk.models import RiskAssessment

APPLICATION_AUDIT_FIELDS = (
    "reference",
    "status",
    "received_on",
    "channel",
    "applicant_role",
    "consent_given",
    "consent_not_needed_reason",
    "acknowledged_on",
    "screened_out_on",
    "screened_out_reason",
    "withdrawn_on",
    "withdrawal_reason",
    "earlier_applications",
    "repeat_handling",
)
MEETING_AUDIT_FIELDS = (
    "scheduled_on",
    "chair_id",
    "location",
    "agenda",
    "victim_invited",
    "victim_not_invited_reason",
    "held_on",
    "minutes",
    "proportionality_assessment",
    "outcome",
    "victim_consulted_on",
    "victim_not_consulted_reason",
    "held_early_reason",
    "outcome_letter_sent_on",
)
#: Roles emailed when an application is received (the single point of contact duty, s.104(3)).
NOTIFIED_ROLES = (Role.coordinator, Role.manager)
#: Statuses after which nothing more happens to the application.
FINAL_STATUSES = {ApplicationStatus.withdrawn, ApplicationStatus.screened_out, ApplicationStatus.closed}


# --- small helpers -----------------------------------------------------------------------------------


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def event_date_errors(
    value: date | None, field: str, label: str, *, not_before: Iterable[tuple[date | None, str]] = ()
) -> dict[str, list[str]]:
    """SPEC section 6: an event that has happened is not in the future nor before what it follows."""
    if value is None:
        return {field: [f"Enter the date {label}."]}
    if value > today():
        return {field: [f"The date {label} cannot be in the future."]}
    for earlier, earlier_label in not_before:
        if earlier is not None and value < earlier:
            return {field: [f"The date {label} cannot be before {earlier_label} ({_long(earlier)})."]}
    return {}


def sends_letters(event_on: date | None, send_letter: bool | None) -> bool:
    """Whether a step sends its letter or emails (SPEC section 10): an event dated today does, unless the
    user says not; one dated before today is past work entered late and is recorded only, unless the
    user asks for the letter (``send_letter: true``)."""
    if send_letter is not None:
        return bool(send_letter)
    return event_on is not None and event_on >= today()


def _check_event_date(value: date | None, field: str, label: str, **kwargs: Any) -> None:
    errors = event_date_errors(value, field, label, **kwargs)
    if errors:
        raise InvalidInput(errors)


def check_version(obj: Any, expected_version: int | None) -> None:
    """Optimistic locking for a caller that read ``obj`` earlier (409 when it changed since)."""
    if expected_version is not None and expected_version != obj.version:
        raise Conflict("The record changed since you read it. Fetch it again.")


def _clean(value: Any) -> str | None:
    """Trimmed text, or None when blank."""
    return (str(value).strip() or None) if value is not None else None


def _require_text(value: str | None, field: str, message: str) -> str:
    if value is None or not str(value).strip():
        raise InvalidInput({field: [message]})
    return str(value).strip()


def _audit_application(
    actor: Any, application: TriggerApplication, before: dict[str, Any], summary: str, event_on: date | None = None
) -> None:
    record_change(
        actor, application, before, snapshot(application, APPLICATION_AUDIT_FIELDS), summary, event_on=event_on
    )


def _touch(application: TriggerApplication) -> None:
    """Bump the application's version when a change is made only to its child records, so a client
    holding the old version gets a 409."""
    application.updated_at = now()


def _require_status(application: TriggerApplication, allowed: set[ApplicationStatus], action: str) -> None:
    if application.status not in allowed:
        raise RuleViolation(f"You cannot {action}: the application is {application.status.value.replace('_', ' ')}.")


# --- registration ------------------------------------------------------------------------------------


def _complaint_errors(index: int, complaint: Mapping[str, Any], received_on: date | None) -> dict[str, list[str]]:
    prefix = f"complaints.{index}"
    errors: dict[str, list[str]] = {}
    occurred_on, reported_on = complaint.get("occurred_on"), complaint.get("reported_on")
    errors.update(event_date_errors(occurred_on, f"{prefix}.occurred_on", "the behaviour happened"))
    errors.update(
        event_date_errors(
            reported_on,
            f"{prefix}.reported_on",
            "it was reported",
            not_before=[(occurred_on, "the day the behaviour happened")],
        )
    )
    if reported_on and received_on and reported_on > received_on and f"{prefix}.reported_on" not in errors:
        # SPEC section 9: a complaint in the application cannot postdate the application itself.
        errors[f"{prefix}.reported_on"] = [
            f"The complaint cannot have been reported after the application was received ({_long(received_on)})."
        ]
    if complaint.get("agency") is not None and not isinstance(complaint["agency"], Agency):
        errors[f"{prefix}.agency_code"] = ["Choose an agency."]
    return errors


def register_application(actor: User | None, data: Mapping[str, Any]) -> TriggerApplication:
    """Register an application (the public web form: ``actor`` None; staff: the registering user).

    ``data``: area (Area), received_on, channel, applicant {name, email, phone, address},
    applicant_role, consent_given, consent_not_needed_reason, victim {name, email, address} (kept only when
    someone applies for the victim), description, cases (Case list, already checked as visible to the
    actor), complaints [{complainant_name, occurred_on, reported_on, agency (Agency|None), reported_to,
    reference, causes_had, hate_motivated}].
    """
    area: Area = data["area"]
    received_on: date | None = data.get("received_on")
    errors: dict[str, list[str]] = {}
    errors.update(event_date_errors(received_on, "received_on", "the application was received"))
    applicant = data.get("applicant") or {}
    if not (applicant.get("name") or "").strip():
        errors["applicant.name"] = ["Enter the applicant's name."]
    if data.get("channel") not in set(Channel):
        errors["channel"] = [f"Choose one of: {', '.join(Channel)}."]
    role = data.get("applicant_role")
    consent_reason = (data.get("consent_not_needed_reason") or "").strip() or None
    if role not in set(ApplicantRole):
        errors["applicant_role"] = [f"Choose one of: {', '.join(ApplicantRole)}."]
    elif role in CONSENT_ROLES and not data.get("consent_given") and not consent_reason:
        # SPEC sections 3 and 10: whoever applies for the victim (an advocate, a partner agency
        # activating the trigger) records the victim's consent, or why it is not needed.
        message = (
            "Someone applying for the victim needs the victim's consent, or the reason it is not needed "
            "(for example, the victim lacks capacity to give it)."
        )
        errors[RULE] = [message]
        errors["consent_given"] = [message]
    if not (data.get("description") or "").strip():
        errors["description"] = ["Describe the problem."]
    complaints = list(data.get("complaints") or [])
    for index, complaint in enumerate(complaints):
        errors.update(_complaint_errors(index, complaint, received_on))
    if errors:
        raise InvalidInput(errors)
    assert received_on is not None
    # The victim's details matter only when someone else applies: the victim gets the outcome too.
    victim = data.get("victim") or {}
    applies_for_victim = role in CONSENT_ROLES

    application = TriggerApplication(
        area=area,
        year=received_on.year,
        received_on=received_on,
        channel=Channel(data["channel"]),
        applicant_name=applicant["name"].strip(),
        applicant_email=(applicant.get("email") or None),
        applicant_phone=(applicant.get("phone") or None),
        applicant_address=(applicant.get("address") or None),
        applicant_role=ApplicantRole(role),
        consent_given=bool(data.get("consent_given")),
        consent_not_needed_reason=consent_reason if role in CONSENT_ROLES and not data.get("consent_given") else None,
        victim_name=_clean(victim.get("name")) if applies_for_victim else None,
        victim_email=_clean(victim.get("email")) if applies_for_victim else None,
        victim_address=_clean(victim.get("address")) if applies_for_victim else None,
        description=data["description"].strip(),
        status=ApplicationStatus.received,
        registered_by_id=getattr(actor, "id", None),
        cases=list(data.get("cases") or []),
        complaints=[
            ApplicationComplaint(
                complainant_name=(c.get("complainant_name") or None),
                occurred_on=c["occurred_on"],
                reported_on=c["reported_on"],
                agency=c.get("agency"),
                reported_to=c.get("reported_to") or None,
                reference=c.get("reference") or None,
                causes_had=c.get("causes_had", True),
                hate_motivated=c.get("hate_motivated", False),
            )
            for c in complaints
        ],
    )
    # Evaluated before the insert (the application is not in the session yet), so it is one INSERT.
    application.threshold_evaluation = _evaluation_record(application, evaluate(application))
    # How the area handles a complainant with many applications: recorded, never a refusal.
    review_papers.note_repeat_applicant(application)
    _insert_with_reference(application, area)
    _audit_application(actor, application, None, f"Registered application {application.reference}", received_on)  # type: ignore[arg-type]
    notify = sends_letters(received_on, data.get("send_letter"))
    notify_agencies(application, send_emails=notify)
    deadline_engine.sync(application)
    signals.application_received.send(application, actor=actor, send_letter=notify)
    return application


def _insert_with_reference(application: TriggerApplication, area: Area) -> None:
    """Give the application the next reference in its area and year (``BOL-CT-2026-0003``), numbered
    as every reference is (``casework.accounts.services.allocate_sequence``: a locked counter row)."""
    from casework.accounts.services import allocate_sequence

    application.sequence = allocate_sequence("trigger_applications", area, application.year)
    application.reference = f"{area.code}-CT-{application.year}-{application.sequence:04d}"
    db.session.add(application)
    db.session.flush()


def notify_agencies(application: TriggerApplication, *, send_emails: bool = True) -> list[AgencyNotification]:
    """Tell every agency covering the area (s.104(3)): a row per agency and an email to its
    coordinators and managers, sent after commit. An application received before today (past work
    entered late) records the agencies without emailing them, unless asked (``send_emails``)."""
    from casework.notifications.services import queue_email

    agencies = list(
        db.session.scalars(
            sa.select(Agency)
            .join(agency_areas, agency_areas.c.agency_id == Agency.id)
            .where(agency_areas.c.area_id == application.area_id)
            .order_by(Agency.code)
        )
    )
    users = db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.agency_id.in_([a.id for a in agencies]),
            User.is_active.is_(True),
            UserRole.role.in_(NOTIFIED_ROLES),
        )
        .order_by(User.email)
    ).unique()
    by_agency: dict[int, list[User]] = {}
    for user in users:
        if user not in by_agency.setdefault(user.agency_id, []):
            by_agency[user.agency_id].append(user)
    link = external_url("staff.triggers.show", application_id=application.id)
    rows = []
    for agency in agencies:
        recipients = by_agency.get(agency.id, [])
        row = AgencyNotification(
            application_id=application.id, agency_id=agency.id, recipients=[u.email for u in recipients]
        )
        db.session.add(row)
        rows.append(row)
        for user in recipients if send_emails else []:
            queue_email(
                to=user.email,
                subject=f"Case review application {application.reference} received",
                text=(
                    f"Dear {user.name},\n\n"
                    f"An application for an ASB Case Review (Community Trigger), {application.reference}, "
                    f"was received on {_long(application.received_on)} for {application.area.name}.\n\n"
                    f"As an agency in the area, {agency.name} may be asked for its information about the "
                    f"case. Sign in to see the application: {link}\n"
                ),
                key=f"trigger:{application.id}:received:{user.id}",
                related=("trigger_applications", application.id),
            )
    db.session.flush()
    return rows


def screen_out(actor: User | None, application: TriggerApplication, *, reason: str, screened_out_on: date) -> None:
    """Not a Case Review (a service complaint, a new incident report): redirected, reason recorded."""
    _require_status(application, {ApplicationStatus.received}, "screen out this application")
    if application.decisions:
        raise RuleViolation("A threshold decision has been made: the application can no longer be screened out.")
    errors = event_date_errors(
        screened_out_on,
        "screened_out_on",
        "it was screened out",
        not_before=[(application.received_on, "the day the application was received")],
    )
    if not (reason or "").strip():
        errors["reason"] = ["Say why this is not a Case Review and where it was redirected."]
    if errors:
        raise InvalidInput(errors)
    before = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.status = ApplicationStatus.screened_out
    application.screened_out_on = screened_out_on
    application.screened_out_reason = reason.strip()
    db.session.flush()
    _audit_application(actor, application, before, f"Screened out {application.reference}", screened_out_on)
    deadline_engine.sync(application)
    signals.application_screened_out.send(application, actor=actor)


# --- threshold ---------------------------------------------------------------------------------------


def rules_for(application: TriggerApplication) -> threshold.ThresholdRules:
    return threshold_rules(area_settings(application.area, on=application.received_on))


def _ledger_complaints(case_ids: Sequence[int]) -> list[threshold.ComplaintInput]:
    """The complaints in the ledgers of the linked cases (one query)."""
    if not case_ids:
        return []
    rows = db.session.execute(
        sa.select(Complaint, Incident, Case.reference, Person.name, Agency.code)
        .join(Incident, Complaint.incident_id == Incident.id)
        .join(Case, Incident.case_id == Case.id)
        .join(Agency, Complaint.agency_id == Agency.id)
        .outerjoin(Person, Complaint.complainant_person_id == Person.id)
        .where(Incident.case_id.in_(case_ids))
        .order_by(Incident.occurred_on, Complaint.reported_on, Complaint.id)
    ).all()
    return [
        threshold.ComplaintInput(
            occurred_on=incident.occurred_on,
            reported_on=complaint.reported_on,
            complainant_name=person_name,
            causes_had=incident.causes_had,
            hate_motivated=incident.hate_motivated,
            agency_code=agency_code,
            reference=complaint.reference,
            source="case",
            case_reference=case_reference,
            incident_id=incident.id,
        )
        for complaint, incident, case_reference, person_name, agency_code in rows
    ]


def evaluate(application: TriggerApplication) -> threshold.Evaluation:
    """The threshold evaluation: the application's complaints and those in the ledgers of its linked
    cases, against the rule set in force on the day it was received."""
    complaints = [
        threshold.ComplaintInput(
            occurred_on=c.occurred_on,
            reported_on=c.reported_on,
            complainant_name=c.complainant_name,
            causes_had=c.causes_had,
            hate_motivated=c.hate_motivated,
            agency_code=c.agency.code if c.agency is not None else None,
            reference=c.reference,
        )
        for c in application.complaints
    ]
    complaints += _ledger_complaints([c.id for c in application.cases])
    return threshold.evaluate(rules_for(application), application.received_on, application.applicant_name, complaints)


def _evaluation_record(application: TriggerApplication, evaluation: threshold.Evaluation) -> dict[str, Any]:
    """What is stored: API.md's ``threshold`` object plus the counts and the rule set used."""
    rules = rules_for(application)
    return {
        **evaluation.to_dict(),
        "bases_met": list(evaluation.bases_met),
        "distinct_complainants": evaluation.distinct_complainants,
        "hate_qualifying": evaluation.hate_qualifying,
        "rules": {name: getattr(rules, name) for name in rules.__dataclass_fields__},
        "evaluated_on": today().isoformat(),
    }


def reevaluate(application: TriggerApplication) -> None:
    """Recompute the stored evaluation while the threshold is undecided (after linking cases)."""
    if application.decision is None and application.status == ApplicationStatus.received:
        application.threshold_evaluation = _evaluation_record(application, evaluate(application))
        db.session.flush()


def link_cases(actor: User | None, application: TriggerApplication, cases: Sequence[Case]) -> None:
    """Link cases (already checked as visible to ``actor``); their ledger complaints count too."""
    if application.status in FINAL_STATUSES:
        raise RuleViolation("The application is closed: cases can no longer be linked.")
    added = [case for case in cases if case not in application.cases]
    if not added:
        return
    application.cases.extend(added)
    meeting = deadline_engine.current_meeting(application)
    if meeting is not None and meeting.held_on is None and meeting.chair is not None:
        # The appointed chair must stay independent of every linked case.
        problems = chair_conflicts(meeting.chair, application)
        if problems:
            raise RuleViolation(
                "Linking this case would make the appointed chair not independent: " + "; ".join(problems) + ".",
                field="case_ids",
            )
    _touch(application)
    db.session.flush()
    record_change(
        actor,
        application,
        {"cases": []},
        {"cases": [c.reference for c in added]},
        f"Linked {', '.join(c.reference for c in added)} to {application.reference}",
    )
    reevaluate(application)


def acknowledge(
    actor: User | None, application: TriggerApplication, *, acknowledged_on: date, send_letter: bool | None = None
) -> None:
    """Record the acknowledgement (it does not gate later steps, SPEC section 9). Its letter goes out
    when it is dated today, or when asked (``sends_letters``)."""
    if application.status in {ApplicationStatus.withdrawn, ApplicationStatus.screened_out}:
        raise RuleViolation("The application is closed: it cannot be acknowledged.")
    if application.acknowledged_on is not None:
        raise RuleViolation(f"The application was already acknowledged on {_long(application.acknowledged_on)}.")
    _check_event_date(
        acknowledged_on,
        "acknowledged_on",
        "it was acknowledged",
        not_before=[(application.received_on, "the day the application was received")],
    )
    before = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.acknowledged_on = acknowledged_on
    db.session.flush()
    _audit_application(actor, application, before, f"Acknowledged {application.reference}", acknowledged_on)
    deadline_engine.sync(application)
    signals.application_acknowledged.send(
        application, actor=actor, send_letter=sends_letters(acknowledged_on, send_letter)
    )


def decide_threshold(
    actor: User | None,
    application: TriggerApplication,
    *,
    met: bool,
    basis: str | None,
    reasons: str | None,
    decided_on: date,
    persistence: str | None = None,
    harm: str | None = None,
    adequacy: str | None = None,
    send_letter: bool | None = None,
) -> ThresholdDecision:
    """Record the threshold decision (s.104(4)-(6); SPEC section 9). Its letter goes out when it is
    dated today, or when asked (``sends_letters``)."""
    _require_status(application, {ApplicationStatus.received}, "decide the threshold")
    _check_event_date(
        decided_on,
        "decided_on",
        "of the decision",
        not_before=[(application.received_on, "the day the application was received")],
    )
    evaluation = evaluate(application)
    reasons = (reasons or "").strip() or None
    settings = area_settings(application.area, on=application.received_on)
    if not met:
        if basis:
            raise InvalidInput({"basis": ["Leave the basis out when the threshold is not met."]})
        if evaluation.met_automatically:
            raise RuleViolation(
                f"The threshold is met ({evaluation.basis}: {evaluation.qualifying_count} qualifying "
                "complaints): s.104(4) requires it to be found met.",
                field="met",
            )
        if not reasons:
            raise InvalidInput({"reasons": ["Give the reasons the threshold is not met."]})
    else:
        if not basis:
            raise InvalidInput({"basis": ["Choose the basis on which the threshold is met."]})
        if basis not in set(DecisionBasis):
            raise InvalidInput({"basis": [f"Choose one of: {', '.join(DecisionBasis)}."]})
        if basis in threshold.BASIS_ORDER and basis not in evaluation.bases_met:
            raise RuleViolation(
                f"The evaluation does not meet the {basis} threshold; decide on another basis "
                "(discretionary or vulnerable_override, with reasons).",
                field="basis",
            )
        if basis in {DecisionBasis.discretionary, DecisionBasis.vulnerable_override} and not reasons:
            raise InvalidInput({"reasons": [f"Give the reasons for a {basis.replace('_', ' ')} decision."]})
        if basis == DecisionBasis.vulnerable_override:
            if not settings["vulnerable_override_enabled"]:
                raise RuleViolation("The vulnerable victim override is not in use in this area.", field="basis")
            if actor is None or not actor.has_role(Role.manager):
                raise RuleViolation(
                    "Only a manager may decide the threshold is met for a vulnerable victim.", field="basis"
                )
    decision = ThresholdDecision(
        application=application,
        met=met,
        basis=DecisionBasis(basis) if met and basis else None,
        reasons=reasons,
        persistence=(persistence or "").strip() or None,
        harm=(harm or "").strip() or None,
        adequacy=(adequacy or "").strip() or None,
        decided_on=decided_on,
        decided_by_id=getattr(actor, "id", None),
        evaluation=_evaluation_record(application, evaluation),
    )
    db.session.add(decision)
    before = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.status = ApplicationStatus.threshold_met if met else ApplicationStatus.threshold_not_met
    application.threshold_evaluation = decision.evaluation
    db.session.flush()
    record_change(
        actor,
        decision,
        None,
        snapshot(
            decision, ("application_id", "met", "basis", "reasons", "persistence", "harm", "adequacy", "decided_on")
        ),
        f"Threshold {'met' if met else 'not met'} for {application.reference}",
        event_on=decided_on,
    )
    _audit_application(actor, application, before, f"Threshold decided for {application.reference}", decided_on)
    deadline_engine.sync(application)
    signals.threshold_decided.send(
        application, actor=actor, decision=decision, send_letter=sends_letters(decided_on, send_letter)
    )
    return decision


# --- the review meeting ------------------------------------------------------------------------------


#: What counts as having "worked on" a case, beyond owning or creating it: each entry is a phrase and a
#: function ``(user_id, case_ids) -> Select`` of any row showing that work. A new kind of casework record
#: written by a person belongs here too, or a chair who worked on the case could pass as independent.
WORK_ON_CASE_CHECKS: list[tuple[str, Callable[[int, list[int]], sa.Select[Any]]]] = [
    (
        "logged an incident on a linked case",
        lambda user_id, case_ids: sa.select(Incident.id).where(
            Incident.case_id.in_(case_ids), Incident.created_by_id == user_id
        ),
    ),
    (
        "logged a complaint on a linked case",
        lambda user_id, case_ids: (
            sa.select(Complaint.id)
            .join(Incident)
            .where(Incident.case_id.in_(case_ids), Complaint.created_by_id == user_id)
        ),
    ),
    (
        "created or was assigned an action on a linked case",
        lambda user_id, case_ids: sa.select(Action.id).where(
            Action.case_id.in_(case_ids), sa.or_(Action.created_by_id == user_id, Action.assignee_id == user_id)
        ),
    ),
    (
        "wrote a note on a linked case",
        lambda user_id, case_ids: sa.select(CaseNote.id).where(
            CaseNote.case_id.in_(case_ids), CaseNote.created_by_id == user_id
        ),
    ),
    (
        "carried out a risk assessment on a linked case",
        lambda user_id, case_ids: sa.select(RiskAssessment.id).where(
            RiskAssessment.case_id.in_(case_ids), RiskAssessment.assessed_by_id == user_id
        ),
    ),
    (
        "issued or recorded an intervention on a linked case",
        lambda user_id, case_ids: sa.select(Intervention.id).where(
            Intervention.case_id.in_(case_ids),
            sa.or_(Intervention.issuing_officer_id == user_id, Intervention.created_by_id == user_id),
        ),
    ),
]


def worked_on_linked_cases(user: User, application: TriggerApplication) -> list[str]:
    """How ``user`` worked on any linked case: owned or created it, or any of ``WORK_ON_CASE_CHECKS``
    (logged an incident or a complaint on it, created or was assigned an action on it). Each as a
    phrase, for the refusal message."""
    case_ids = [c.id for c in application.cases]
    if not case_ids:
        return []
    found: list[str] = []
    for case in application.cases:
        if case.owner_id == user.id:
            found.append(f"owns case {case.reference}")
        if case.created_by_id == user.id:
            found.append(f"created case {case.reference}")
    for phrase, query in WORK_ON_CASE_CHECKS:
        if db.session.scalar(query(user.id, case_ids).limit(1)) is not None:
            found.append(phrase)
    return found


def chair_conflicts(chair: User, application: TriggerApplication) -> list[str]:
    """Why ``chair`` cannot chair this review (empty when independent)."""
    problems: list[str] = []
    if not chair.has_role(Role.chair) or not chair.is_active:
        problems.append(f"{chair.name} does not hold the chair role")
    problems += [f"{chair.name} {phrase}" for phrase in worked_on_linked_cases(chair, application)]
    settings = area_settings(application.area, on=application.received_on)
    if settings["chair_not_from_lead_agency"]:
        for case in application.cases:
            if case.lead_agency_id == chair.agency_id:
                problems.append(f"{chair.name} is from {case.lead_agency.name}, the lead agency of {case.reference}")
    return problems


def arrange_meeting(
    actor: User | None,
    application: TriggerApplication,
    *,
    scheduled_on: date,
    chair: User,
    arranged_on: date | None = None,
    location: str | None = None,
    send_letter: bool | None = None,
) -> ReviewMeeting:
    """Appoint an independent chair and schedule the review meeting (after a "met" decision), on
    ``arranged_on`` (default today: a meeting arranged in the past may be entered late), with the
    standard agenda set out (``review_papers``). The victim's invitation goes out when the meeting is
    arranged today, or when asked (``sends_letters``)."""
    from casework.community_triggers import review_papers

    decision = application.decision
    if application.status != ApplicationStatus.threshold_met or decision is None or not decision.met:
        raise RuleViolation(
            "A review meeting can be arranged only after the threshold is found met and before "
            "another meeting is arranged."
        )
    if scheduled_on is None:
        raise InvalidInput({"scheduled_on": ["Enter the date of the meeting."]})
    if scheduled_on < decision.decided_on:
        raise InvalidInput(
            {"scheduled_on": [f"The meeting cannot be before the threshold decision ({_long(decision.decided_on)})."]}
        )
    arranged_on = arranged_on or today()
    _check_event_date(
        arranged_on,
        "arranged_on",
        "the meeting was arranged",
        not_before=[(decision.decided_on, "the threshold decision")],
    )
    problems = chair_conflicts(chair, application)
    if problems:
        raise RuleViolation("The chair is not independent: " + "; ".join(problems) + ".", field="chair_email")
    meeting = ReviewMeeting(
        application=application,
        scheduled_on=scheduled_on,
        chair_id=chair.id,
        arranged_on=arranged_on,
        location=_clean(location),
    )
    db.session.add(meeting)
    review_papers.set_out_standard_agenda(meeting)
    before = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.status = ApplicationStatus.meeting_arranged
    db.session.flush()
    record_change(
        actor,
        meeting,
        None,
        snapshot(meeting, MEETING_AUDIT_FIELDS),
        f"Arranged meeting for {application.reference}",
        event_on=arranged_on,
    )
    _audit_application(actor, application, before, f"Meeting arranged for {application.reference}", arranged_on)
    deadline_engine.sync(application)
    signals.meeting_arranged.send(
        application, actor=actor, meeting=meeting, send_letter=sends_letters(arranged_on, send_letter)
    )
    return meeting


MEETING_EDITABLE = {"scheduled_on", "location", "agenda", "victim_invited", "victim_not_invited_reason", "attendees"}


def update_meeting(
    actor: User | None, meeting: ReviewMeeting, *, expected_version: int | None = None, **fields: Any
) -> ReviewMeeting:
    """Change the meeting's arrangements before it is held: scheduled_on, agenda, location, the
    victim's invitation (or the reason for not inviting), attendees [{name, agency, role, attended}]."""
    unknown = set(fields) - MEETING_EDITABLE
    if unknown:
        raise InvalidInput({name: ["Unknown field."] for name in sorted(unknown)})
    check_version(meeting, expected_version)
    if meeting.held_on is not None:
        # Who attended may still be recorded after the meeting, until the review is confirmed complete.
        if set(fields) - {"attendees"}:
            raise RuleViolation("The meeting has been held: its arrangements can no longer be changed.")
        if meeting.completeness_confirmed_on is not None:
            raise RuleViolation("The review has been confirmed complete: its record can no longer be changed.")
    application = meeting.application
    if application.status in FINAL_STATUSES:
        raise RuleViolation("The application is closed.")
    if "scheduled_on" in fields:
        decision = application.decision
        if fields["scheduled_on"] is None:
            raise InvalidInput({"scheduled_on": ["Enter the date of the meeting."]})
        if decision is not None and fields["scheduled_on"] < decision.decided_on:
            raise InvalidInput({"scheduled_on": ["The meeting cannot be before the threshold decision."]})
    if (
        fields.get("victim_invited") is False
        and "victim_not_invited_reason" in fields
        and not (fields["victim_not_invited_reason"] or "").strip()
    ):
        raise InvalidInput({"victim_not_invited_reason": ["Say why the victim is not invited."]})
    before = snapshot(meeting, MEETING_AUDIT_FIELDS)
    was_invited = bool(meeting.victim_invited)
    attendees = fields.pop("attendees", None)
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip() or None
        setattr(meeting, name, value)
    if meeting.victim_invited:
        meeting.victim_not_invited_reason = None
    if attendees is not None:
        db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
        for attendee in attendees:
            name = (attendee.get("name") or "").strip()
            if not name:
                raise InvalidInput({"attendees": ["Every attendee needs a name."]})
            db.session.add(
                MeetingAttendee(
                    meeting_id=meeting.id,
                    name=name,
                    agency_id=attendee["agency"].id if attendee.get("agency") is not None else None,
                    role=(attendee.get("role") or None),
                    attended=attendee.get("attended", True),
                )
            )
    meeting.updated_at = now()
    db.session.flush()
    record_change(
        actor,
        meeting,
        before,
        snapshot(meeting, MEETING_AUDIT_FIELDS),
        f"Updated the meeting for {application.reference}",
    )
    deadline_engine.sync(application)
    # Whatever the channel (page or API): inviting the victim before the meeting sends the invitation
    # (``letters``). Recording afterwards that they were invited, with the outcome, sends nothing.
    signals.meeting_updated.send(
        application, actor=actor, meeting=meeting, invite=bool(meeting.victim_invited) and not was_invited
    )
    return meeting


def record_outcome(
    actor: User | None,
    meeting: ReviewMeeting,
    *,
    held_on: date,
    minutes: str | None,
    recommendations: Sequence[Mapping[str, Any]] = (),
    outcome: str | None = None,
    proportionality_assessment: str | None = None,
    victim_invited: bool | None = None,
    victim_not_invited_reason: str | None = None,
) -> ReviewMeeting:
    """Record the meeting held, its minutes and recommendations [{text, agency, due_on, owner=None}];
    each recommendation becomes a tracked action with a deadline. Only the appointed chair may do
    this (the caller checks ``policies.can_chair``). No letter goes out yet: the outcome letter follows
    the coordinator's confirmation that the review is complete (``completeness.confirm_complete``,
    which also takes ``send_letter`` and the day a letter sent by other means went out)."""
    application = meeting.application
    if meeting.held_on is not None:
        raise RuleViolation("The outcome of this meeting has already been recorded.")
    _require_status(application, {ApplicationStatus.meeting_arranged}, "record the outcome")
    errors = event_date_errors(
        held_on,
        "held_on",
        "the meeting was held",
        not_before=[
            (application.decision.decided_on if application.decision else None, "the threshold decision"),
            (meeting.arranged_on, "the day the meeting was arranged"),
        ],
    )
    if victim_invited is not None:
        meeting.victim_invited = victim_invited
    if victim_not_invited_reason is not None:
        meeting.victim_not_invited_reason = victim_not_invited_reason.strip() or None
    if meeting.victim_invited is None:
        errors.setdefault("victim_invited", ["Say whether the victim was invited to the meeting."])
    elif meeting.victim_invited is False and not meeting.victim_not_invited_reason:
        errors.setdefault("victim_not_invited_reason", ["Record why the victim was not invited."])
    if not (minutes or "").strip():
        errors["minutes"] = ["Enter the minutes of the meeting."]
    for index, item in enumerate(recommendations):
        prefix = f"recommendations.{index}"
        if not (item.get("text") or "").strip():
            errors[f"{prefix}.text"] = ["Enter the recommendation."]
        if not isinstance(item.get("agency"), Agency):
            errors[f"{prefix}.agency_code"] = ["Choose the agency the recommendation is addressed to."]
        if item.get("due_on") is None:
            errors[f"{prefix}.due_on"] = ["Enter the date it is due."]
        elif held_on is not None and item["due_on"] < held_on:
            errors[f"{prefix}.due_on"] = ["The due date cannot be before the meeting."]
    if errors:
        db.session.expire(meeting)
        raise InvalidInput(errors)
    before = snapshot(meeting, MEETING_AUDIT_FIELDS)
    meeting.held_on = held_on
    meeting.minutes = minutes.strip() if minutes else None
    meeting.outcome = (outcome or "").strip() or None
    meeting.proportionality_assessment = (proportionality_assessment or "").strip() or None
    meeting.outcome_recorded_at = now()
    first_case = application.cases[0] if application.cases else None
    coordinator_id = deadline_engine.area_coordinator_id(application)
    for item in recommendations:
        owner = item.get("owner")
        recommendation = Recommendation(
            meeting=meeting,
            text=item["text"].strip(),
            agency_id=item["agency"].id,
            owner_id=owner.id if owner is not None else None,
            due_on=item["due_on"],
        )
        db.session.add(recommendation)
        db.session.flush()
        # Through the actions domain, which owns actions and their deadlines.
        create_recommendation_action(
            actor,
            first_case,
            recommendation_id=recommendation.id,
            description=recommendation.text,
            agency_id=recommendation.agency_id,
            assignee_id=recommendation.owner_id,
            due_on=recommendation.due_on,
            default_owner_id=coordinator_id,
            title=f"Case review recommendation ({application.reference}): {recommendation.text[:200]}",
            link=deadline_engine.application_link(application),
        )
    before_app = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.status = ApplicationStatus.review_concluded
    db.session.flush()
    record_change(
        actor,
        meeting,
        before,
        snapshot(meeting, MEETING_AUDIT_FIELDS) | {"recommendations": [r.text for r in meeting.recommendations]},
        f"Recorded the outcome for {application.reference}",
        event_on=held_on,
    )
    _audit_application(actor, application, before_app, f"Review concluded for {application.reference}", held_on)
    deadline_engine.sync(application)
    signals.outcome_recorded.send(application, actor=actor, meeting=meeting)
    return meeting


def record_victim_consultation(
    actor: User | None,
    meeting: ReviewMeeting,
    *,
    consulted_on: date,
    notes: str | None,
    views: Mapping[int, str | None] | None = None,
) -> ReviewMeeting:
    """The victim consulted on the action plan (before it is final): the date, what they said, and
    their view of each recommendation (``views``: recommendation id -> view), the action plan's last
    column."""
    if meeting.held_on is None:
        raise RuleViolation("The victim is consulted on the action plan after the meeting has been held.")
    if meeting.completeness_confirmed_on is not None:
        raise RuleViolation("The action plan is final: the review has been confirmed complete.")
    _check_event_date(
        consulted_on, "consulted_on", "the victim was consulted", not_before=[(meeting.held_on, "the meeting")]
    )
    by_id = {item.id: item for item in meeting.recommendations}
    unknown = [str(key) for key in (views or {}) if key not in by_id]
    if unknown:
        raise InvalidInput({"views": [f"Not a recommendation of this meeting: {', '.join(unknown)}."]})
    before = snapshot(meeting, MEETING_AUDIT_FIELDS)
    meeting.victim_consulted_on = consulted_on
    meeting.victim_not_consulted_reason = None
    for key, view in (views or {}).items():
        if _clean(view):
            by_id[key].victim_view = _clean(view)
    if notes and notes.strip():
        meeting.outcome = (
            (meeting.outcome + "\n\n") if meeting.outcome else ""
        ) + f"Victim consulted on {_long(consulted_on)}: {notes.strip()}"
    db.session.flush()
    record_change(
        actor,
        meeting,
        before,
        snapshot(meeting, MEETING_AUDIT_FIELDS),
        f"Victim consulted on the action plan for {meeting.application.reference}",
        event_on=consulted_on,
    )
    return meeting


def record_outcome_letter_sent(actor: User | None, meeting: ReviewMeeting, *, sent_on: date) -> None:
    """The outcome letter sent (the letters module calls this): closes the deadline and, when later
    than the meeting, moves the start of the appeal window (SPEC section 9)."""
    if meeting.held_on is None:
        raise RuleViolation("The outcome letter follows the meeting.")
    _check_event_date(sent_on, "sent_on", "the letter was sent", not_before=[(meeting.held_on, "the meeting")])
    before = snapshot(meeting, MEETING_AUDIT_FIELDS)
    meeting.outcome_letter_sent_on = sent_on
    db.session.flush()
    record_change(
        actor,
        meeting,
        before,
        snapshot(meeting, MEETING_AUDIT_FIELDS),
        f"Outcome letter sent for {meeting.application.reference}",
        event_on=sent_on,
    )
    deadline_engine.sync(meeting.application)


# --- appeal ------------------------------------------------------------------------------------------


def appeal_window(application: TriggerApplication) -> tuple[date, date] | None:
    """(first day, last day) an appeal may be received, or None when there is nothing to appeal.

    SPEC section 9: the area's appeal window (default 20 working days, the last day included) after
    the decision appealed against (``deadlines.decision_appealed_against_on``)."""
    start = deadline_engine.decision_appealed_against_on(application)
    if start is None:
        return None
    settings = area_settings(application.area, on=application.received_on)
    closes = deadline_engine.due_on(step_timescales(settings)["appeal_window_closes"], start)
    if isinstance(closes, datetime):
        closes = london_day(closes)
    return start, closes


def lodge_appeal(actor: User | None, application: TriggerApplication, *, received_on: date, grounds: str) -> Appeal:
    _require_status(
        application,
        {ApplicationStatus.threshold_not_met, ApplicationStatus.review_concluded},
        "lodge an appeal",
    )
    window = appeal_window(application)
    if window is None:
        raise RuleViolation("There is no decision or review outcome to appeal against yet.")
    opens, closes = window
    _check_event_date(
        received_on, "received_on", "the appeal was received", not_before=[(opens, "the decision appealed against")]
    )
    if received_on > closes:
        raise RuleViolation(
            f"The appeal window closed on {_long(closes)}: an appeal must be received by then (the decision "
            f"appealed against was on {_long(opens)}).",
            field="received_on",
        )
    grounds = _require_text(grounds, "grounds", "Enter the grounds of the appeal.")
    appeal = Appeal(application=application, received_on=received_on, grounds=grounds)
    db.session.add(appeal)
    before = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.status = ApplicationStatus.appealed
    db.session.flush()
    record_change(
        actor,
        appeal,
        None,
        snapshot(appeal, ("application_id", "received_on", "grounds")),
        f"Appeal lodged against {application.reference}",
        event_on=received_on,
    )
    _audit_application(actor, application, before, f"Appeal lodged for {application.reference}", received_on)
    deadline_engine.sync(application)
    signals.appeal_lodged.send(application, actor=actor, appeal=appeal)
    return appeal


def took_part(user: User, application: TriggerApplication) -> list[str]:
    """How ``user`` took part in the application (an appeal handler must have taken none)."""
    reasons: list[str] = []
    if any(m.chair_id == user.id for m in application.meetings):
        reasons.append("chaired a review meeting")
    if any(d.decided_by_id == user.id for d in application.decisions):
        reasons.append("made a threshold decision")
    reasons += worked_on_linked_cases(user, application)
    return reasons


def assign_appeal_handler(
    actor: User | None, appeal: Appeal, *, handler: User | None = None, handler_name: str | None = None
) -> Appeal:
    """A handler who took no part: a user (checked), or a named outside handler (e.g. the PCC's office)."""
    if appeal.decision is not None:
        raise RuleViolation("The appeal has been decided.")
    if handler is None and not (handler_name or "").strip():
        raise InvalidInput({"handler": ["Choose a handler or enter the name of an outside handler."]})
    if handler is not None:
        problems = took_part(handler, appeal.application)
        if problems:
            raise RuleViolation(
                f"{handler.name} took part in this application: " + "; ".join(problems) + ".", field="handler_email"
            )
    before = snapshot(appeal, ("handler_id", "handler_name"))
    appeal.handler_id = handler.id if handler is not None else None
    appeal.handler_name = (handler_name or "").strip() or (handler.name if handler is not None else None)
    db.session.flush()
    record_change(
        actor,
        appeal,
        before,
        snapshot(appeal, ("handler_id", "handler_name")),
        f"Appeal handler for {appeal.application.reference}",
    )
    return appeal


def decide_appeal(
    actor: User | None,
    appeal: Appeal,
    *,
    decision: str,
    reasons: str,
    decided_on: date,
    send_letter: bool | None = None,
) -> Appeal:
    """Record the appeal decision. Upheld: the review goes back (a new threshold decision after a
    "not met" decision, otherwise a new meeting). Not upheld: the application is closed. Its letter
    goes out when it is dated today, or when asked (``sends_letters``)."""
    application = appeal.application
    if appeal.decision is not None:
        raise RuleViolation("The appeal has already been decided.")
    _require_status(application, {ApplicationStatus.appealed}, "decide the appeal")
    if appeal.handler_id is None and not appeal.handler_name:
        raise RuleViolation("Record a handler who took no part before deciding the appeal.", field="handler")
    if decision not in set(AppealDecision):
        raise InvalidInput({"decision": [f"Choose one of: {', '.join(AppealDecision)}."]})
    _check_event_date(
        decided_on,
        "decided_on",
        "of the appeal decision",
        not_before=[(appeal.received_on, "the day the appeal was received")],
    )
    reasons = _require_text(reasons, "reasons", "Give the reasons for the appeal decision.")
    before = snapshot(appeal, ("decision", "decision_reasons", "decided_on"))
    appeal.decision = AppealDecision(decision)
    appeal.decision_reasons = reasons
    appeal.decided_on = decided_on
    before_app = snapshot(application, APPLICATION_AUDIT_FIELDS)
    if appeal.decision == AppealDecision.upheld:
        met = application.decision is not None and application.decision.met
        application.status = ApplicationStatus.threshold_met if met else ApplicationStatus.received
    else:
        application.status = ApplicationStatus.closed
    db.session.flush()
    record_change(
        actor,
        appeal,
        before,
        snapshot(appeal, ("decision", "decision_reasons", "decided_on")),
        f"Appeal {appeal.decision.value.replace('_', ' ')} for {application.reference}",
        event_on=decided_on,
    )
    _audit_application(actor, application, before_app, f"Appeal decided for {application.reference}", decided_on)
    deadline_engine.sync(application)
    signals.appeal_decided.send(
        application, actor=actor, appeal=appeal, send_letter=sends_letters(decided_on, send_letter)
    )
    return appeal


# --- withdrawal --------------------------------------------------------------------------------------


def withdraw(actor: User | None, application: TriggerApplication, *, withdrawn_on: date, reason: str) -> None:
    """Withdrawal at any stage: kept and counted; open deadlines cancelled."""
    if application.status in FINAL_STATUSES:
        raise RuleViolation(f"The application is already {application.status.value.replace('_', ' ')}.")
    errors = event_date_errors(
        withdrawn_on,
        "withdrawn_on",
        "it was withdrawn",
        not_before=[(application.received_on, "the day the application was received")],
    )
    if not (reason or "").strip():
        errors["reason"] = ["Give the reason for the withdrawal."]
    if errors:
        raise InvalidInput(errors)
    before = snapshot(application, APPLICATION_AUDIT_FIELDS)
    application.status = ApplicationStatus.withdrawn
    application.withdrawn_on = withdrawn_on
    application.withdrawal_reason = reason.strip()
    db.session.flush()
    _audit_application(actor, application, before, f"Withdrew {application.reference}", withdrawn_on)
    deadline_engine.sync(application)
    close_deadline(deadline_engine.SUBJECT_TYPE, application.id, cancelled=True)
    signals.application_withdrawn.send(application, actor=actor)


def settle_past_deadlines(actor: User | None, application: TriggerApplication) -> int:
    """History brought in as a whole (an import of past Case Reviews): the steps it lacks were dealt with
    outside the service, so their deadlines, long past, have nothing to remind anyone of. Open ones due
    before today are cancelled (past work is recorded only, SPEC section 10); later ones stay."""
    from casework.reminders.models import Deadline, DeadlineStatus

    start_of_today = datetime.combine(today(), datetime.min.time(), tzinfo=LONDON)
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == deadline_engine.SUBJECT_TYPE,
            Deadline.subject_id == application.id,
            Deadline.status == DeadlineStatus.open,
            Deadline.due_at < start_of_today,
        )
    ).all()
    for kind in {row.kind for row in rows}:
        close_deadline(deadline_engine.SUBJECT_TYPE, application.id, kind, cancelled=True)
    if rows:
        record_change(
            actor,
            application,
            {"open_deadlines": [r.kind for r in rows]},
            {"open_deadlines": []},
            f"Deadlines already past when {application.reference} was brought in were closed",
        )
    return len(rows)


def deadlines(application: TriggerApplication) -> dict[str, date]:
    """API.md ``deadlines``: each step's day, present once its start event has happened."""
    return deadline_engine.deadlines(application)


def refresh_deadlines(application: TriggerApplication) -> None:
    """Bring the application's deadlines up to date after a change made outside these services (an
    agency's information submitted: the information_requests step closes when every request is)."""
    deadline_engine.sync(application)


# --- retention ---------------------------------------------------------------------------------------


def anonymise_application(application: TriggerApplication, report: Any) -> None:
    """Remove the applicant's details and the free text of the whole review (complaints, decisions,
    meetings and minutes, attendees, recommendations and their actions, appeals, the PCC's review,
    agencies' submissions, files, letters), keeping the dated events the published statistics count:
    every text column of these rows goes unless its model retains it (``casework.core.retention``)."""
    from casework.actions.services import anonymise_actions, recommendation_actions
    from casework.community_triggers.models import (
        InformationRequest,
        Letter,
        MeetingAttendee,
        TriggerDocument,
    )
    from casework.core.retention import anonymise
    from casework.reminders.services import anonymise_deadlines

    meeting_ids = [m.id for m in application.meetings]
    recommendations = [r for m in application.meetings for r in m.recommendations]
    attendees = (
        list(db.session.scalars(sa.select(MeetingAttendee).where(MeetingAttendee.meeting_id.in_(meeting_ids))))
        if meeting_ids
        else []
    )
    requests = list(
        db.session.scalars(sa.select(InformationRequest).where(InformationRequest.application_id == application.id))
    )
    documents = list(
        db.session.scalars(sa.select(TriggerDocument).where(TriggerDocument.application_id == application.id))
    )
    letters = list(db.session.scalars(sa.select(Letter).where(Letter.application_id == application.id)))
    pcc_reviews = list(application.pcc_reviews)
    # The review papers: the agenda, the chair's assessments of each perpetrator, why an agency's
    # information was missing, and the forum's lessons-learnt review.
    agenda_items = [item for m in application.meetings for item in m.agenda_items]
    assessments = [a for m in application.meetings for a in m.proportionality_assessments]
    missing = [row for m in application.meetings for row in m.missing_information]
    lessons_reviews = list(application.lessons_reviews)
    rows = (
        application,
        *application.complaints,
        *application.decisions,
        *application.meetings,
        *recommendations,
        *attendees,
        *application.appeals,
        *pcc_reviews,
        *requests,
        *documents,
        *letters,
        *agenda_items,
        *assessments,
        *missing,
        *lessons_reviews,
    )
    for row in rows:
        anonymise(row)
    # Placeholders that still say what the record was.
    application.applicant_name = f"Applicant {application.reference} (anonymised)"
    application.anonymised_at = now()
    for attendee in attendees:
        attendee.name = "Attendee (anonymised)"
    for document in documents:
        document.filename = f"document-{document.id} (removed under the retention policy)"
        document.size = 0
        # The file itself is deleted from its store; the row keeps an empty file in its place.
        _replace_with_empty_file(document)
    for letter in letters:
        letter.subject = f"{letter.kind.value.replace('_', ' ').capitalize()} letter"
    db.session.flush()
    # The recommendations' actions and the deadlines belong to their domains, which remove their text.
    anonymise_actions(recommendation_actions([r.id for r in recommendations]), report)
    anonymise_deadlines(report, subject_type=deadline_engine.SUBJECT_TYPE, subject_ids=[application.id])
    anonymise_deadlines(report, subject_type="trigger_information_requests", subject_ids=[r.id for r in requests])
    anonymise_deadlines(report, subject_type="trigger_pcc_reviews", subject_ids=[r.id for r in pcc_reviews])
    report.add("trigger_applications", [application.id])
    report.add("trigger_complaints", [c.id for c in application.complaints])
    report.add("trigger_decisions", [d.id for d in application.decisions])
    report.add("trigger_meetings", meeting_ids)
    report.add("trigger_recommendations", [r.id for r in recommendations])
    report.add("trigger_meeting_attendees", [a.id for a in attendees])
    report.add("trigger_appeals", [a.id for a in application.appeals])
    report.add("trigger_pcc_reviews", [r.id for r in pcc_reviews])
    report.add("trigger_information_requests", [r.id for r in requests])
    report.add("trigger_documents", [d.id for d in documents])
    report.add("trigger_letters", [letter.id for letter in letters])
    report.add("trigger_agenda_items", [item.id for item in agenda_items])
    report.add("trigger_proportionality_assessments", [a.id for a in assessments])
    report.add("trigger_missing_information", [row.id for row in missing])
    report.add("trigger_lessons_reviews", [row.id for row in lessons_reviews])


def applications_going_with(case: Case) -> list[TriggerApplication]:
    """Applications linked to ``case`` whose every other linked case is already anonymised: they go
    with the last of their cases."""
    from casework.community_triggers.models import application_cases

    linked = sa.select(application_cases.c.application_id).where(application_cases.c.case_id == case.id)
    other_live = sa.exists().where(
        application_cases.c.application_id == TriggerApplication.id,
        application_cases.c.case_id != case.id,
        application_cases.c.case_id.in_(sa.select(Case.id).where(Case.anonymised_at.is_(None))),
    )
    return list(
        db.session.scalars(
            sa.select(TriggerApplication).where(
                TriggerApplication.id.in_(linked), TriggerApplication.anonymised_at.is_(None), ~other_live
            )
        )
    )


def last_event_on(application: TriggerApplication) -> date:
    """The last dated event of an application: its retention period runs from there."""
    days = [application.received_on, application.withdrawn_on, application.screened_out_on]
    days += [d.decided_on for d in application.decisions]
    days += [m.held_on for m in application.meetings]
    days += [a.decided_on or a.received_on for a in application.appeals]
    return max(d for d in days if d is not None)


def unlinked_applications_due(cutoffs: Mapping[int, date]) -> list[TriggerApplication]:
    """Applications linked to no case whose last event is before their area's cutoff."""
    from casework.community_triggers.models import application_cases

    found = []
    for area_id, cutoff in cutoffs.items():
        candidates = db.session.scalars(
            sa.select(TriggerApplication).where(
                TriggerApplication.area_id == area_id,
                TriggerApplication.anonymised_at.is_(None),
                TriggerApplication.received_on < cutoff,
                ~sa.exists().where(application_cases.c.application_id == TriggerApplication.id),
            )
        )
        found.extend(
            a
            for a in candidates
            if a.status in FINAL_STATUSES | {ApplicationStatus.threshold_not_met, ApplicationStatus.review_concluded}
            and last_event_on(a) < cutoff
        )
    return found


# --- subject access -------------------------------------------------------------------------------------


def _is_applicant(application: TriggerApplication, person: Person) -> bool:
    if person.email and application.applicant_email and person.email.lower() == application.applicant_email.lower():
        return True
    return " ".join(application.applicant_name.lower().split()) == person.normalised_name


def export_section(person: Person, access: Any) -> list[dict[str, Any]]:
    """The Case Review applications linked to the person's cases, or made by them.

    The applicant's part (their details, their account, their complaints, their appeal, the letters
    sent to them) is in the applicant's export; the agencies' part (the decision, the meeting, the
    recommendations, the agencies' information) in the export of everyone on a linked case, and the
    perpetrator proportionality assessment only in a perpetrator's. An application linked to a
    withheld (restricted) case is withheld with it."""
    from casework.community_triggers.models import (
        InformationRequest,
        Letter,
        MeetingAttendee,
        TriggerDocument,
        application_cases,
    )
    from casework.community_triggers.review_papers import FACTOR_FIELDS

    linked = (
        sa.select(application_cases.c.application_id).where(application_cases.c.case_id.in_(access.case_ids))
        if access.case_ids
        else None
    )
    candidates = sa.or_(
        TriggerApplication.applicant_name.ilike(person.name) if person.name else sa.false(),
        sa.func.lower(TriggerApplication.applicant_email) == (person.email or "").lower()
        if person.email
        else sa.false(),
        *([TriggerApplication.id.in_(linked)] if linked is not None else []),
    )
    applications = db.session.scalars(
        sa.select(TriggerApplication).where(candidates).order_by(TriggerApplication.id)
    ).all()
    found = []
    for application in applications:
        case_ids = {c.id for c in application.cases}
        if case_ids & access.withheld_case_ids:
            continue
        is_applicant = _is_applicant(application, person)
        on_linked_case = bool(case_ids & access.shown_case_ids)
        if not (is_applicant or on_linked_case or access.full):
            continue
        is_perpetrator = any(access.has_role(case_id, "perpetrator") for case_id in case_ids)
        own = is_applicant or access.full
        entry: dict[str, Any] = {
            "reference": application.reference,
            "status": application.status.value,
            "received_on": application.received_on.isoformat(),
            "channel": application.channel.value,
            "you_applied": is_applicant,
            "cases": [c.reference for c in application.cases if c.id in access.shown_case_ids or access.full],
            "lessons_reviews": [
                {
                    "reviewed_on": r.reviewed_on.isoformat() if r.reviewed_on else None,
                    "forum": access.redact(r.forum),
                    "lessons": access.redact(r.lessons),
                    "shared_with": access.redact(r.shared_with),
                }
                for r in application.lessons_reviews
            ],
            "decisions": [
                {
                    "decided_on": d.decided_on.isoformat(),
                    "met": d.met,
                    "basis": d.basis.value if d.basis else None,
                    "reasons": access.redact(d.reasons),
                    "persistence": access.redact(d.persistence),
                    "harm": access.redact(d.harm),
                    "adequacy": access.redact(d.adequacy),
                }
                for d in application.decisions
            ],
            "meetings": [
                {
                    "scheduled_on": m.scheduled_on.isoformat(),
                    "held_on": m.held_on.isoformat() if m.held_on else None,
                    "location": access.redact(m.location),
                    "agenda": access.redact(m.agenda),
                    "minutes": access.redact(m.minutes),
                    "outcome": access.redact(m.outcome),
                    "proportionality_assessment": access.redact(m.proportionality_assessment)
                    if is_perpetrator or access.full
                    else None,
                    "victim_not_consulted_reason": access.redact(m.victim_not_consulted_reason),
                    "held_early_reason": access.redact(m.held_early_reason),
                    "missing_information": [
                        {"agency": row.agency.name, "reason": access.redact(row.reason)}
                        for row in m.missing_information
                    ],
                    # The chair's assessments of this person as a perpetrator (the review papers).
                    "proportionality_assessments": [
                        {
                            "assessed_on": a.assessed_on.isoformat() if a.assessed_on else None,
                            "subject_name": access.redact(a.subject_name),
                            **{name: access.redact(getattr(a, name)) for name in FACTOR_FIELDS},
                            "conclusion": access.redact(a.conclusion),
                        }
                        for a in m.proportionality_assessments
                        if a.person_id == person.id or (access.full and a.person_id is None)
                    ],
                    "attendees": [
                        access.own_or_third(a.name)
                        for a in db.session.scalars(
                            sa.select(MeetingAttendee).where(MeetingAttendee.meeting_id == m.id)
                        )
                    ],
                    "recommendations": [
                        {"text": access.redact(r.text), "agency": r.agency.name, "due_on": r.due_on.isoformat()}
                        for r in m.recommendations
                    ],
                }
                for m in application.meetings
            ],
            "information_from_agencies": [
                {
                    "agency": item.agency.name,
                    "submitted_on": item.submitted_on.isoformat() if item.submitted_on else None,
                    "submission": access.redact(item.submission),
                    "files": [d.filename for d in item.documents],
                }
                for item in db.session.scalars(
                    sa.select(InformationRequest).where(InformationRequest.application_id == application.id)
                )
            ],
        }
        if own:
            entry.update(
                applicant={
                    "name": application.applicant_name,
                    "email": application.applicant_email,
                    "phone": application.applicant_phone,
                    "address": application.applicant_address,
                    "role": application.applicant_role.value,
                },
                description=access.redact(application.description),
                complaints=[
                    {
                        "complainant": access.own_or_third(c.complainant_name) if c.complainant_name else None,
                        "occurred_on": c.occurred_on.isoformat(),
                        "reported_on": c.reported_on.isoformat(),
                        "reported_to": c.agency.name if c.agency else access.redact(c.reported_to),
                        "reference": access.redact(c.reference),
                    }
                    for c in application.complaints
                ],
                appeals=[
                    {
                        "received_on": a.received_on.isoformat(),
                        "grounds": access.redact(a.grounds),
                        "decision": a.decision.value if a.decision else None,
                        "decision_reasons": access.redact(a.decision_reasons),
                    }
                    for a in application.appeals
                ],
                pcc_reviews=[
                    {
                        "requested_on": r.requested_on.isoformat(),
                        "grounds": access.redact(r.grounds),
                        "reviewer_name": access.redact(r.reviewer_name),
                        "outcome": r.outcome.value if r.outcome else None,
                        "outcome_reasons": access.redact(r.outcome_reasons),
                        "decided_on": r.decided_on.isoformat() if r.decided_on else None,
                    }
                    for r in application.pcc_reviews
                ],
                letters=[
                    {
                        "kind": letter.kind.value,
                        "sent_on": letter.sent_on.isoformat() if letter.sent_on else None,
                        "subject": letter.subject,
                        "body": letter.body,
                    }
                    for letter in db.session.scalars(
                        sa.select(Letter).where(Letter.application_id == application.id).order_by(Letter.id)
                    )
                ],
                files=[
                    d.filename
                    for d in db.session.scalars(
                        sa.select(TriggerDocument).where(
                            TriggerDocument.application_id == application.id,
                            TriggerDocument.information_request_id.is_(None),
                        )
                    )
                ],
            )
        found.append(entry)
    return found


# --- the person page ---------------------------------------------------------------------------------------


def person_section(person: Person, user: Any) -> dict[str, Any]:
    """Case Review applications linked to the person's cases or made by them (same name or email),
    those the user may see; for the rest, how many and in which areas."""
    from casework.accounts.models import Area
    from casework.cases.models import CaseParty
    from casework.community_triggers.models import application_cases
    from casework.community_triggers.policies import visible_applications_clause

    about = sa.or_(
        TriggerApplication.id.in_(
            sa.select(application_cases.c.application_id).where(
                application_cases.c.case_id.in_(sa.select(CaseParty.case_id).where(CaseParty.person_id == person.id))
            )
        ),
        sa.func.lower(TriggerApplication.applicant_name) == person.name.lower(),
        *([sa.func.lower(TriggerApplication.applicant_email) == person.email.lower()] if person.email else []),
    )
    visible = list(
        db.session.scalars(
            sa.select(TriggerApplication)
            .where(about, visible_applications_clause(user))
            .order_by(TriggerApplication.received_on.desc())
        )
    )
    hidden = db.session.execute(
        sa.select(Area.name, sa.func.count(TriggerApplication.id))
        .join(Area, Area.id == TriggerApplication.area_id)
        .where(about, ~visible_applications_clause(user))
        .group_by(Area.name)
        .order_by(Area.name)
    ).all()
    return {
        "person_applications": visible,
        "person_applications_applied": {a.id for a in visible if _is_applicant(a, person)},
        "person_applications_hidden": {"count": sum(n for _a, n in hidden), "areas": [a for a, _n in hidden]},
    }


def _replace_with_empty_file(document: Any) -> None:
    """Delete a Case Review document's stored file (retention), leaving an empty one in its place."""
    from casework.core import storage

    old = db.session.get(storage.StoredFile, document.stored_file_id)
    document.stored_file_id = storage.save(b"", "application/octet-stream", folder="removed").id
    db.session.flush()
    if old is not None:
        storage.discard(old)
