"""The appeal against the outcome of a review: its window, lodging, its handler and decision."""

from __future__ import annotations

from datetime import date, datetime

from casework.accounts.models import User
from casework.accounts.services import area_settings
from casework.audit.services import record_change, snapshot
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers import signals
from casework.community_triggers.models import (
    Appeal,
    AppealDecision,
    ApplicationStatus,
    TriggerApplication,
)
from casework.community_triggers.services._common import (
    APPLICATION_AUDIT_FIELDS,
    _audit_application,
    _check_event_date,
    _long,
    _require_status,
    _require_text,
    sends_letters,
)
from casework.community_triggers.services.review import worked_on_linked_cases
from casework.community_triggers.settings import step_timescales
from casework.core.errors import InvalidInput, RuleViolation
from casework.core.time import london_day
from casework.extensions import db

# --- appeal ------------------------------------------------------------------------------------------


def appeal_window(application: TriggerApplication) -> tuple[date, date] | None:
    """(first day, last day) an appeal may be received, or None when there is nothing to appeal.

    The area's appeal window (default 20 working days, the last day included) after
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


def took_part(user: User, application: TriggerApplication, reader: User | None = None) -> list[str]:
    """How ``user`` took part in the application (an appeal handler must have taken none), as ``reader``
    reads it."""
    reasons: list[str] = []
    if any(m.chair_id == user.id for m in application.meetings):
        reasons.append("chaired a review meeting")
    if any(d.decided_by_id == user.id for d in application.decisions):
        reasons.append("made a threshold decision")
    reasons += worked_on_linked_cases(user, application, reader)
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
        problems = took_part(handler, appeal.application, actor)
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
