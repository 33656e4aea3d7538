"""The Police and Crime Commissioner's review of a "threshold not met" decision. Never commits.

- The applicant may ask for it within the area's window (``pcc_review_request_window``, default 20
  working days, the last day included) after the "not met" decision, or after a local appeal against
  that decision is decided, when that is later: the applicant may use the area's own appeal first.
- The route must be in force in the area on the day the request is received (``cpa2026_pcc_review``,
  a dated setting, off by default): the rule set in force on the day of each event applies.
- The request gets a deadline for the PCC's outcome (``pcc_review_decision``, from the day it was
  received), owned by the area's coordinator, who records what the PCC's office decides; a letter goes
  to the applicant on receipt and on the outcome.
- An outcome asking for the decision to be taken again sends the application back for a new threshold
  decision, with the Case Review's own "threshold decision" deadline running from the day of the
  outcome (``casework.community_triggers.deadlines``), as an upheld appeal does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from casework.accounts.services import area_settings
from casework.audit.services import record_change, snapshot
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers.models import (
    AppealDecision,
    ApplicationStatus,
    LetterKind,
    ThresholdDecision,
    TriggerApplication,
)
from casework.community_triggers.pcc_review import settings as pcc_settings
from casework.community_triggers.pcc_review.models import PccReview, PccReviewOutcome
from casework.community_triggers.settings import StepTimescale
from casework.core.errors import InvalidInput, RuleViolation
from casework.core.time import london_day, now, today
from casework.extensions import db
from casework.reminders.services import close_deadline, set_deadline

SUBJECT_TYPE = "trigger_pcc_reviews"
DECISION_DEADLINE = "trigger.pcc_review_decision"
AUDIT_FIELDS = ("application_id", "decision_id", "requested_on", "grounds", "reviewer_name")
OUTCOME_FIELDS = ("outcome", "outcome_reasons", "decided_on", "reviewer_name")
#: Statuses from which the "not met" decision can be taken to the PCC: decided not met, or closed after
#: a local appeal was not upheld.
REVIEWABLE_STATUSES = {ApplicationStatus.threshold_not_met, ApplicationStatus.closed}


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _due(value: dict[str, Any], start: date) -> date:
    due = deadline_engine.due_on(StepTimescale(int(value["amount"]), str(value["unit"]), "received"), start)
    return london_day(due) if isinstance(due, datetime) else due


def reviewed_decision(application: TriggerApplication) -> ThresholdDecision | None:
    """The "not met" decision in force, if the decision in force is one."""
    decision = application.decision
    return decision if decision is not None and not decision.met else None


def window_opens(application: TriggerApplication) -> date | None:
    """The day the window to ask starts from: the "not met" decision, or a later local appeal decision
    that did not uphold the appeal against it."""
    decision = reviewed_decision(application)
    if decision is None:
        return None
    opens = decision.decided_on
    for appeal in application.appeals:
        if appeal.decision == AppealDecision.not_upheld and appeal.decided_on and appeal.decided_on > opens:
            opens = appeal.decided_on
    return opens


def request_window(application: TriggerApplication) -> tuple[date, date] | None:
    """(first day, last day) a request may be received, or None when there is no "not met" decision.
    The window's length is the setting in force on the day it opens."""
    opens = window_opens(application)
    if opens is None:
        return None
    settings = area_settings(application.area, on=opens)
    return opens, _due(settings[pcc_settings.REQUEST_WINDOW], opens)


def in_force(application: TriggerApplication, on: date) -> bool:
    return bool(area_settings(application.area, on=on)[pcc_settings.IN_FORCE])


def open_review(application: TriggerApplication) -> PccReview | None:
    return next((r for r in application.pcc_reviews if r.outcome is None), None)


def decision_due(review: PccReview) -> date:
    settings = area_settings(review.application.area, on=review.requested_on)
    return _due(settings[pcc_settings.DECISION], review.requested_on)


def _check_date(value: date, field: str, label: str, not_before: date, before_label: str) -> None:
    if value > today():
        raise InvalidInput({field: [f"The date {label} cannot be in the future."]})
    if value < not_before:
        raise InvalidInput({field: [f"The date {label} cannot be before {before_label} ({_long(not_before)})."]})


def _text(value: str | None, field: str, message: str) -> str:
    if value is None or not str(value).strip():
        raise InvalidInput({field: [message]})
    return str(value).strip()


def request_review(
    actor: Any,
    application: TriggerApplication,
    *,
    requested_on: date,
    grounds: str,
    reviewer_name: str | None = None,
    send_letter: bool | None = None,
) -> PccReview:
    """Record the applicant's request for the PCC to review the "not met" decision. Its letter goes out
    when the request is dated today, or when asked (a past request is recorded only)."""
    from casework.community_triggers import letters
    from casework.community_triggers.services import sends_letters

    decision = reviewed_decision(application)
    if application.status == ApplicationStatus.appealed:
        raise RuleViolation(
            "An appeal against the decision is being decided: the PCC's review can be asked for once the appeal "
            "is decided."
        )
    if decision is None or application.status not in REVIEWABLE_STATUSES:
        raise RuleViolation(
            "The Police and Crime Commissioner's review is of a decision that the threshold is not met; this "
            "application has none in force."
        )
    if open_review(application) is not None:
        raise RuleViolation("A request for the PCC's review of this decision is already open.")
    window = request_window(application)
    assert window is not None
    opens, closes = window
    _check_date(requested_on, "requested_on", "the request was received", opens, "the decision it is about")
    if not in_force(application, requested_on):
        raise RuleViolation(
            f"The Police and Crime Commissioner's review of threshold decisions is not in force in this area on "
            f"{_long(requested_on)} (the area's setting).",
            field="requested_on",
        )
    if requested_on > closes:
        raise RuleViolation(
            f"The time to ask for the PCC's review ended on {_long(closes)} (it runs from {_long(opens)}).",
            field="requested_on",
        )
    grounds = _text(grounds, "grounds", "Enter why the applicant asks for the decision to be reviewed.")
    review = PccReview(
        application=application,
        decision_id=decision.id,
        requested_on=requested_on,
        grounds=grounds,
        reviewer_name=(reviewer_name or "").strip() or None,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(review)
    application.updated_at = now()  # a client holding the old version gets a 409
    db.session.flush()
    set_deadline(
        subject_type=SUBJECT_TYPE,
        subject_id=review.id,
        kind=DECISION_DEADLINE,
        title=f"PCC review decided: {application.reference}",
        due=decision_due(review),
        owner_id=deadline_engine.area_coordinator_id(application),
        # Part of the Case Review, which runs on whatever happens to its linked cases.
        case_id=None,
        area_id=application.area_id,
        link=deadline_engine.application_link(application) + "#pcc-review",
    )
    record_change(
        actor,
        review,
        None,
        snapshot(review, AUDIT_FIELDS),
        f"PCC review of the threshold decision asked for, {application.reference}",
        event_on=requested_on,
    )
    record_change(
        actor,
        application,
        None,
        {"pcc_review_requested_on": requested_on},
        f"Request for the Police and Crime Commissioner's review recorded for {application.reference}",
    )
    if not sends_letters(requested_on, send_letter):
        return review
    letters.produce(
        actor,
        application,
        LetterKind.pcc_review_request,
        pcc_review=review,
        occurrence=application.pcc_reviews.index(review) + 1,
    )
    return review


def record_outcome(
    actor: Any,
    review: PccReview,
    *,
    outcome: str,
    reasons: str,
    decided_on: date,
    reviewer_name: str | None = None,
    send_letter: bool | None = None,
) -> PccReview:
    """Record what the PCC's office decided. "reconsider" sends the application back for a new
    threshold decision (its deadline runs from ``decided_on``)."""
    from casework.community_triggers import letters
    from casework.community_triggers.services import sends_letters

    application = review.application
    if review.outcome is not None:
        raise RuleViolation("The PCC's review has already been decided.")
    if outcome not in set(PccReviewOutcome):
        raise InvalidInput({"outcome": [f"Choose one of: {', '.join(PccReviewOutcome)}."]})
    _check_date(decided_on, "decided_on", "of the PCC's decision", review.requested_on, "the day it was asked for")
    reasons = _text(reasons, "reasons", "Enter the PCC's reasons.")
    before = snapshot(review, OUTCOME_FIELDS)
    review.outcome = PccReviewOutcome(outcome)
    review.outcome_reasons = reasons
    review.decided_on = decided_on
    if reviewer_name and reviewer_name.strip():
        review.reviewer_name = reviewer_name.strip()
    before_status = application.status
    if review.outcome == PccReviewOutcome.reconsider and application.status in REVIEWABLE_STATUSES:
        application.status = ApplicationStatus.received
    application.updated_at = now()
    db.session.flush()
    close_deadline(SUBJECT_TYPE, review.id, DECISION_DEADLINE, done_on=decided_on)
    record_change(
        actor,
        review,
        before,
        snapshot(review, OUTCOME_FIELDS),
        f"PCC review decided for {application.reference}: {review.outcome.value.replace('_', ' ')}",
        event_on=decided_on,
    )
    if application.status != before_status:
        record_change(
            actor,
            application,
            {"status": before_status.value},
            {"status": application.status.value},
            f"The PCC asked for the threshold decision on {application.reference} to be taken again",
        )
    deadline_engine.sync(application)
    if not sends_letters(decided_on, send_letter):
        return review
    letters.produce(
        actor,
        application,
        LetterKind.pcc_review_outcome,
        pcc_review=review,
        occurrence=len([r for r in application.pcc_reviews if r.outcome is not None]),
    )
    return review


def reconsidered_on(application: TriggerApplication) -> list[date]:
    """The days the PCC asked for the threshold decision to be taken again (the deadline engine starts
    the new decision's deadline from the latest)."""
    return [r.decided_on for r in application.pcc_reviews if r.outcome == PccReviewOutcome.reconsider and r.decided_on]


def letter_context(application: TriggerApplication, review: PccReview | None = None) -> dict[str, Any]:
    """What the letter templates read as ``pcc_review`` (plain values only)."""
    window = request_window(application)
    context: dict[str, Any] = {
        "available": bool(window and in_force(application, window[0])),
        "window_closes": window[1] if window else None,
        "requested_on": None,
        "grounds": "",
        "decision_due": None,
        "reconsider": False,
        "reasons": "",
        "decided_on": None,
        "reviewer_name": "",
    }
    if review is not None:
        context.update(
            requested_on=review.requested_on,
            grounds=review.grounds,
            decision_due=decision_due(review),
            reconsider=review.outcome == PccReviewOutcome.reconsider,
            reasons=review.outcome_reasons or "",
            decided_on=review.decided_on,
            reviewer_name=review.reviewer_name or "",
        )
    return context


def panel(application: TriggerApplication) -> dict[str, Any]:
    """What the application page shows about the route: the window, whether it is in force today, the
    requests and their deadlines."""
    window = request_window(application)
    current = open_review(application)
    return {
        "window": window,
        "in_force_today": in_force(application, today()),
        # A request received within the window may be entered late, so the form stays open after it.
        "can_request": bool(
            window
            and application.status in REVIEWABLE_STATUSES
            and current is None
            and in_force(application, min(today(), window[1]))
        ),
        "open_review": current,
        "decision_due": decision_due(current) if current is not None else None,
        "reviews": list(application.pcc_reviews),
    }


def on_withdrawn(application: TriggerApplication, **_: Any) -> None:
    """A withdrawn application owes nothing more: an open request's deadline is cancelled."""
    for review in application.pcc_reviews:
        if review.outcome is None:
            close_deadline(SUBJECT_TYPE, review.id, DECISION_DEADLINE, cancelled=True)
