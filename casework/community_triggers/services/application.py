"""Applications: registration, the agencies told, screening out, withdrawal and the deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, Area, User, UserRole, agency_areas
from casework.audit.services import record_change, snapshot
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers import review_papers, signals
from casework.community_triggers.models import (
    CONSENT_ROLES,
    AgencyNotification,
    ApplicantRole,
    ApplicationComplaint,
    ApplicationStatus,
    Channel,
    TriggerApplication,
)
from casework.community_triggers.services._common import (
    APPLICATION_AUDIT_FIELDS,
    FINAL_STATUSES,
    NOTIFIED_ROLES,
    _audit_application,
    _clean,
    _long,
    _require_status,
    event_date_errors,
    sends_letters,
)
from casework.community_triggers.services.decision import _evaluation_record, evaluate
from casework.core.errors import RULE, InvalidInput, RuleViolation
from casework.core.links import external_url
from casework.core.time import LONDON, today
from casework.extensions import db
from casework.reminders.services import close_deadline

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
        # A complaint in the application cannot postdate the application itself.
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
    from casework.cases.policies import refuse_anonymised_named

    refuse_anonymised_named(data.get("cases") or [], "case_ids")
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
        # Whoever applies for the victim (an advocate, a partner agency
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
    _audit_application(actor, application, None, f"Registered application {application.reference}", received_on)
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


def unsent_notice_still_readable(message: Any) -> str | None:
    """Why a notice of an application to a member of staff (``notify_agencies``), not sent yet, should
    no longer go (None: it should): it names the application, and while it waits for a mail server that
    is down its recipient may have moved to an agency not covering the area, or lost the role that
    sees applications. The applicant's confirmation (written to no staff account) is left to go."""
    if message.to_user_id is None:
        return None
    from casework.community_triggers import policies

    user = db.session.get(User, message.to_user_id)
    application = db.session.get(TriggerApplication, message.related_id)
    if application is None:
        return "its application is gone"
    if user is not None and not policies.can_view(user, application):
        return "its application is withheld from its recipient now"
    return None


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
                to=user,
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
    before today are cancelled (past work is recorded only); later ones stay."""
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
    """docs/api.md ``deadlines``: each step's day, present once its start event has happened."""
    return deadline_engine.deadlines(application)


def refresh_deadlines(application: TriggerApplication) -> None:
    """Bring the application's deadlines up to date after a change made outside these services (an
    agency's information submitted: the information_requests step closes when every request is)."""
    deadline_engine.sync(application)
