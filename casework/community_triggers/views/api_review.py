"""The Case Review API after the threshold: meetings, their outcome, and the appeal (docs/api.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.accounts.models import Agency, User
from casework.accounts.policies import AGENCIES, USERS_BY_EMAIL
from casework.community_triggers import completeness, policies, review_papers, services
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers.models import LetterKind
from casework.community_triggers.schemas import (
    AppealAnswer,
    AppealCreateArgs,
    AppealDecisionArgs,
    ApplicationAnswer,
    CompletenessArgs,
    LessonsReviewAnswer,
    LessonsReviewArgs,
    LetterAnswer,
    LetterSentArgs,
    MeetingAnswer,
    MeetingCreateArgs,
    MeetingUpdateArgs,
    OutcomeArgs,
    ProportionalityArgs,
    ProportionalityAssessmentAnswer,
    VictimConsultationArgs,
    dump_appeal,
    dump_assessment,
    dump_lessons_review,
    dump_letter,
    dump_meeting,
)
from casework.community_triggers.views.api import answer
from casework.core.db import commit
from casework.core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from casework.core.openapi import documented
from casework.core.permissions import Permission, requires
from casework.core.webargs import use_args

bp = Blueprint("trigger_reviews", __name__)


def user_by_email(email: str | None, field: str) -> User | None:
    if not email:
        return None
    return USERS_BY_EMAIL.get(current_user, email, field)


def agency_by_code(code: str | None, field: str) -> Agency | None:
    if not code:
        return None
    return AGENCIES.get(current_user, code, field)


def _meeting(application_id: int, meeting_id: int, *, manage: bool = False, write: bool = False):
    """``write``: a step on the meeting (by its chair too, who does not manage the application): refused
    when the application was anonymised under the retention policy, as ``manage`` is."""
    application = policies.get_application_for(current_user, application_id, manage=manage)
    if write:
        policies.refuse_anonymised(application)
    return application, policies.get_meeting_for(current_user, application, meeting_id)


def _current_appeal(application: Any):
    if not application.appeals:
        raise NotFound("This application has no appeal.")
    return application.appeals[-1]


@bp.post("/triggers/<int:application_id>/meetings")
@documented(response=MeetingAnswer, status=201)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(MeetingCreateArgs)
def create_meeting(args: dict[str, Any], application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    services.check_version(application, args["version"])
    chair = user_by_email(args["chair_email"], "chair_email")
    meeting = services.arrange_meeting(
        current_user,
        application,
        scheduled_on=args["scheduled_on"],
        chair=chair,
        arranged_on=args["arranged_on"],
        location=args["location"],
        send_letter=args["send_letter"],
    )
    commit()
    return dump_meeting(meeting), 201


@bp.patch("/triggers/<int:application_id>/meetings/<int:meeting_id>")
@documented(response=MeetingAnswer)
@requires(Permission.MANAGE_TRIGGERS, Permission.CHAIR_REVIEWS)
@use_args(MeetingUpdateArgs)
def update_meeting(args: dict[str, Any], application_id: int, meeting_id: int):
    """The arrangements: by the area's coordinators and managers, or the meeting's chair."""
    application, meeting = _meeting(application_id, meeting_id, write=True)
    if not (policies.can_manage(current_user, application) or policies.can_chair(current_user, meeting)):
        raise Forbidden("Only the coordinator or the meeting's chair can change its arrangements.")
    version = args.pop("version")
    agenda_items = args.pop("agenda_items", None)
    if "attendees" in args:
        args["attendees"] = [
            {**a, "agency": agency_by_code(a.pop("agency_code"), f"attendees.{i}.agency_code")}
            for i, a in enumerate(args["attendees"])
        ]
    services.check_version(meeting, version)
    if args or agenda_items is None:
        services.update_meeting(current_user, meeting, **args)
    if agenda_items is not None:
        review_papers.save_agenda(current_user, meeting, agenda_items)
    commit()
    return dump_meeting(meeting)


@bp.post("/triggers/<int:application_id>/meetings/<int:meeting_id>/outcome")
@documented(response=ApplicationAnswer)
@requires(Permission.CHAIR_REVIEWS)
@use_args(OutcomeArgs)
def record_outcome(args: dict[str, Any], application_id: int, meeting_id: int):
    application, meeting = _meeting(application_id, meeting_id, write=True)
    if not policies.can_chair(current_user, meeting):
        raise Forbidden("Only the chair appointed to this meeting can record its outcome.")
    services.check_version(meeting, args.pop("version"))
    recommendations = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(args.pop("recommendations")):
        try:
            agency = agency_by_code(item["agency_code"], f"recommendations.{index}.agency_code")
        except InvalidInput as error:
            errors.update(error.errors)
            continue
        # The owner is found by the service (``recommendation_owner``), as for the chair's page.
        recommendations.append(
            {"text": item["text"], "agency": agency, "due_on": item["due_on"], "owner_email": item.get("owner_email")}
        )
    if errors:
        raise InvalidInput(errors)
    services.record_outcome(current_user, meeting, recommendations=recommendations, **args)
    commit()
    return answer(application)


@bp.post("/triggers/<int:application_id>/meetings/<int:meeting_id>/victim-consultation")
@documented(response=MeetingAnswer)
@requires(Permission.MANAGE_TRIGGERS, Permission.CHAIR_REVIEWS)
@use_args(VictimConsultationArgs)
def victim_consultation(args: dict[str, Any], application_id: int, meeting_id: int):
    application, meeting = _meeting(application_id, meeting_id, write=True)
    if not (policies.can_manage(current_user, application) or policies.can_chair(current_user, meeting)):
        raise Forbidden("Only the coordinator or the meeting's chair can record this.")
    # Recommendations by their number in the action plan: the meeting in the path is the only scope.
    by_number = dict(enumerate(meeting.recommendations, 1))
    views: dict[int, str] = {}
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(args.pop("views")):
        recommendation = by_number.get(item["number"])
        if recommendation is None:
            errors[f"views.{index}.number"] = [f"The action plan has {len(by_number)} recommendations."]
        else:
            views[recommendation.id] = item["view"]
    if errors:
        raise InvalidInput(errors)
    services.record_victim_consultation(current_user, meeting, views=views, **args)
    commit()
    return dump_meeting(meeting)


@bp.post("/triggers/<int:application_id>/meetings/<int:meeting_id>/completeness")
@documented(response=MeetingAnswer)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(CompletenessArgs)
def confirm_complete(args: dict[str, Any], application_id: int, meeting_id: int):
    """Confirm the review complete: the outcome letter then goes out.

    Refused (422 with ``_rule`` and a field per gap) while an agency's information is missing without
    a reason, no attendee is recorded, the victim was neither consulted on the action plan nor a reason
    recorded, or the meeting was held before its scheduled day without a reason."""
    _application, meeting = _meeting(application_id, meeting_id, manage=True)
    services.check_version(meeting, args.pop("version"))
    missing: dict[Any, str] = {}
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(args.pop("missing_information")):
        try:
            agency = agency_by_code(item["agency_code"], f"missing_information.{index}.agency_code")
        except InvalidInput as error:
            errors.update(error.errors)
            continue
        missing[agency] = item["reason"]
    if errors:
        raise InvalidInput(errors)
    completeness.confirm_complete(current_user, meeting, missing_information=missing, **args)
    commit()
    return dump_meeting(meeting)


def _papers_meeting(application_id: int, meeting_id: int):
    """A meeting whose papers the user may write: the area's coordinators and managers, or its chair."""
    application, meeting = _meeting(application_id, meeting_id, write=True)
    if not (policies.can_manage(current_user, application) or policies.can_chair(current_user, meeting)):
        raise Forbidden("Only the coordinator or the meeting's chair can do this.")
    return application, meeting


@bp.post("/triggers/<int:application_id>/meetings/<int:meeting_id>/proportionality-assessments")
@documented(response=ProportionalityAssessmentAnswer, status=201)
@requires(Permission.MANAGE_TRIGGERS, Permission.CHAIR_REVIEWS)
@use_args(ProportionalityArgs)
def add_proportionality_assessment(args: dict[str, Any], application_id: int, meeting_id: int):
    """Record a perpetrator proportionality assessment (each factor with a note, and a conclusion)."""
    _application, meeting = _papers_meeting(application_id, meeting_id)
    assessment = review_papers.save_proportionality_assessment(current_user, meeting, **args)
    commit()
    return dump_assessment(assessment), 201


@bp.post("/triggers/<int:application_id>/lessons-reviews")
@documented(response=LessonsReviewAnswer, status=201)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(LessonsReviewArgs)
def add_lessons_review(args: dict[str, Any], application_id: int):
    """Record the county ASB forum's lessons-learnt review of a concluded review."""
    application = policies.get_application_for(current_user, application_id, manage=True)
    review = review_papers.record_lessons_review(current_user, application, **args)
    commit()
    return dump_lessons_review(review), 201


@bp.post("/triggers/<int:application_id>/appeal")
@documented(response=AppealAnswer, status=201)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(AppealCreateArgs)
def lodge_appeal(args: dict[str, Any], application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    services.check_version(application, args["version"])
    handler = user_by_email(args["handler_email"], "handler_email")
    appeal = services.lodge_appeal(current_user, application, received_on=args["received_on"], grounds=args["grounds"])
    if handler is not None or args["handler_name"]:
        services.assign_appeal_handler(current_user, appeal, handler=handler, handler_name=args["handler_name"])
    commit()
    return dump_appeal(appeal), 201


@bp.post("/triggers/<int:application_id>/appeal/decision")
@documented(response=AppealAnswer)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(AppealDecisionArgs)
def decide_appeal(args: dict[str, Any], application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    appeal = _current_appeal(application)
    services.check_version(appeal, args["version"])
    if appeal.decision is not None:
        raise RuleViolation("The appeal has already been decided.")
    handler = user_by_email(args["handler_email"], "handler_email")
    if handler is not None or args["handler_name"]:
        services.assign_appeal_handler(current_user, appeal, handler=handler, handler_name=args["handler_name"])
    services.decide_appeal(
        current_user,
        appeal,
        decision=args["decision"],
        reasons=args["reasons"],
        decided_on=args["decided_on"],
        send_letter=args["send_letter"],
    )
    commit()
    return dump_appeal(appeal)


@bp.post("/triggers/<int:application_id>/letters")
@documented(response=LetterAnswer, status=201)
@requires(Permission.MANAGE_TRIGGERS)
@use_args(LetterSentArgs)
def record_letter_sent(args: dict[str, Any], application_id: int):
    """Record a letter that went out on `sent_on` by post or another system (past work entered late):
    kept as the template writes it, not emailed. An outcome letter's day may start the appeal window."""
    from casework.community_triggers import letters

    application = policies.get_application_for(current_user, application_id, manage=True)
    kind = LetterKind(args["kind"])
    meeting = appeal = None
    if kind in (LetterKind.outcome, LetterKind.meeting_invitation):
        meeting = deadline_engine.current_meeting(application)
    if kind == LetterKind.appeal_decision and application.appeals:
        appeal = application.appeals[-1]
    letter = letters.record_sent(
        current_user, application, kind, sent_on=args["sent_on"], meeting=meeting, appeal=appeal
    )
    commit()
    return dump_letter(letter), 201
