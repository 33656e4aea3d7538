"""The review meeting: its chair, its arrangement, its outcome and recommendations, and the victim's
consultation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, User, UserRole, agency_areas
from casework.accounts.policies import USERS_BY_EMAIL
from casework.accounts.services import area_settings
from casework.actions.services import create_recommendation_action
from casework.audit.services import record_change, snapshot
from casework.cases.models import Action, CaseNote, Complaint, Incident
from casework.cases.policies import SeenCases, case_readers_clause, may_take_work_on
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers import review_papers, signals
from casework.community_triggers.models import (
    ApplicationStatus,
    MeetingAttendee,
    Recommendation,
    ReviewMeeting,
    TriggerApplication,
)
from casework.community_triggers.services._common import (
    APPLICATION_AUDIT_FIELDS,
    FINAL_STATUSES,
    MEETING_AUDIT_FIELDS,
    _audit_application,
    _check_event_date,
    _clean,
    _long,
    _require_status,
    check_version,
    event_date_errors,
    sends_letters,
)
from casework.core.errors import InvalidInput, RuleViolation
from casework.core.permissions import ROLE_PERMISSIONS, Permission, Role
from casework.core.time import now, today
from casework.extensions import db
from casework.interventions.models import Intervention
from casework.risk.models import RiskAssessment

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


def _case_named_for(reader: User | None, application: TriggerApplication) -> Callable[[Any], str]:
    """How a refusal message names a linked case to ``reader``, who reads it: by its reference if they
    may see the case, otherwise only by the agency that holds it (``SeenCases``, asked once, and only
    when a case is to be named: most checks find nothing). No reader (a task): by its reference."""
    seen: list[SeenCases] = []

    def named(case: Any) -> str:
        if reader is None:
            return f"case {case.reference}"
        if not seen:
            seen.append(SeenCases(reader, ids=[linked.id for linked in application.cases]))
        if seen[0].can_see(case.id):
            return f"case {case.reference}"
        return f"a linked case held by {seen[0].holder(case.id) or 'another agency'}"

    return named


def worked_on_linked_cases(user: User, application: TriggerApplication, reader: User | None = None) -> list[str]:
    """How ``user`` worked on any linked case: owned or created it, or any of ``WORK_ON_CASE_CHECKS``
    (logged an incident or a complaint on it, created or was assigned an action on it). Each as a
    phrase, for the refusal message ``reader`` gets."""
    return _worked_on(user, application, _case_named_for(reader, application))


def _worked_on(user: User, application: TriggerApplication, named: Callable[[Any], str]) -> list[str]:
    case_ids = [c.id for c in application.cases]
    if not case_ids:
        return []
    found: list[str] = []
    for case in application.cases:
        if case.owner_id == user.id:
            found.append(f"owns {named(case)}")
        if case.created_by_id == user.id:
            found.append(f"created {named(case)}")
    for phrase, query in WORK_ON_CASE_CHECKS:
        if db.session.scalar(query(user.id, case_ids).limit(1)) is not None:
            found.append(phrase)
    return found


def chair_conflicts(chair: User, application: TriggerApplication, reader: User | None = None) -> list[str]:
    """Why ``chair`` cannot chair this review (empty when independent), as ``reader`` reads it: a linked
    case they may not see is not named."""
    named = _case_named_for(reader, application)
    problems: list[str] = []
    if not chair.has_role(Role.chair) or not chair.is_active:
        problems.append(f"{chair.name} does not hold the chair role")
    problems += [f"{chair.name} {phrase}" for phrase in _worked_on(chair, application, named)]
    settings = area_settings(application.area, on=application.received_on)
    if settings["chair_not_from_lead_agency"]:
        for case in application.cases:
            if case.lead_agency_id == chair.agency_id:
                problems.append(f"{chair.name} is from {case.lead_agency.name}, the lead agency of {named(case)}")
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
    problems = chair_conflicts(chair, application, actor)
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


MEETING_EDITABLE = {
    "scheduled_on",
    "location",
    "agenda",
    "victim_invited",
    "victim_not_invited_reason",
    "attendees",
    "papers_sent_on",
}
#: What may still be recorded once the meeting is held, until the review is confirmed complete: who
#: attended, and when the papers went to the panel (often recorded afterwards).
MEETING_RECORDED_AFTER = {"attendees", "papers_sent_on"}


def update_meeting(
    actor: User | None, meeting: ReviewMeeting, *, expected_version: int | None = None, **fields: Any
) -> ReviewMeeting:
    """Change the meeting's arrangements before it is held: scheduled_on, agenda, location, the
    victim's invitation (or the reason for not inviting), attendees [{name, agency, role, attended}],
    papers_sent_on (the day the papers went to the panel: the step "papers to the panel" is then done on
    that day)."""
    unknown = set(fields) - MEETING_EDITABLE
    if unknown:
        raise InvalidInput({name: ["Unknown field."] for name in sorted(unknown)})
    check_version(meeting, expected_version)
    if meeting.held_on is not None:
        if set(fields) - MEETING_RECORDED_AFTER:
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
    if fields.get("papers_sent_on") is not None:
        _check_papers_sent_on(application, meeting, fields["papers_sent_on"])
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


def _check_papers_sent_on(application: TriggerApplication, meeting: ReviewMeeting, sent_on: date) -> None:
    """The papers go out for the meeting: not before the threshold decision it follows, not in the
    future, and not after the meeting was held."""
    decision = application.decision
    if sent_on > today():
        raise InvalidInput({"papers_sent_on": ["The date the papers were sent cannot be in the future."]})
    if decision is not None and sent_on < decision.decided_on:
        raise InvalidInput({"papers_sent_on": ["The papers cannot have been sent before the threshold decision."]})
    if meeting.held_on is not None and sent_on > meeting.held_on:
        raise InvalidInput({"papers_sent_on": ["The papers cannot have been sent after the meeting was held."]})


def recommendation_case(application: TriggerApplication) -> Any:
    """The case a recommendation's action is filed on: the application's first linked case, or None
    for an application linked to no case. The action, its deadline and who may read them follow that
    case (``casework.actions.services``)."""
    return application.cases[0] if application.cases else None


#: The one answer to an owner who may not take a recommendation's work (an address nobody has, someone
#: inactive, outside the review's area, without casework, or unable to see the case the action is filed
#: on): the same words whoever it is, so nothing about them or the case is revealed.
RECOMMENDATION_OWNER_REFUSED = (
    "Choose an owner who may take the work: an active member of staff of an agency working in the area, "
    "able to see the linked case"
)


def _recommendation_owners_clause(application: TriggerApplication, case: Any) -> sa.ColumnElement[bool]:
    """A WHERE clause on ``users``: who may own a recommendation of ``application`` filed on ``case``,
    whatever agency it is addressed to (the agency rule is ``recommendation_owner``'s).

    - active staff of an agency working in the application's area: the partnership the review's
      recommendations are for (the chair, often from another area, names them for this review only);
    - able to see ``case``, the first linked case the action is filed on (``case_readers_clause``:
      the action and its deadline are read with it, and quote it); with no linked case, staff who work
      on cases (they open the action on its page)."""
    in_area = sa.select(agency_areas.c.agency_id).where(agency_areas.c.area_id == application.area_id)
    clause = sa.and_(User.is_active.is_(True), User.agency_id.in_(in_area))
    if case is not None:
        return sa.and_(clause, case_readers_clause(case))
    casework_roles = sorted(r for r, granted in ROLE_PERMISSIONS.items() if Permission.VIEW_CASES in granted)
    return sa.and_(clause, User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(casework_roles))))


def recommendation_owner_choices(application: TriggerApplication) -> list[User]:
    """Everyone who may own one of ``application``'s recommendations (of any agency of its area), by
    agency and name: what the chair's page offers. ``recommendation_owner`` accepts exactly these
    (of the agency each recommendation is addressed to)."""
    clause = _recommendation_owners_clause(application, recommendation_case(application))
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Agency, User.agency_id == Agency.id)
            .where(clause)
            .options(sa.orm.contains_eager(User.agency))
            .order_by(Agency.name, User.name, User.id)
        )
    )


def recommendation_owner(
    application: TriggerApplication, email: str | None, agency: Any, case: Any, field: str = "owner_email"
) -> User | None:
    """The owner the chair names, by email address, for a recommendation of ``application`` addressed
    to ``agency`` and filed on ``case`` (``recommendation_case``); None when no address is given. The
    one lookup of a recommendation's owner, whichever way it comes (the chair's page, the API).

    The rule of every action's assignee (``casework.actions.services._assignee``, which a later
    reassignment goes through), in the review's area:

    - one of ``recommendation_owner_choices`` (``_recommendation_owners_clause``); anyone else, or an
      address nobody has, is refused with ``RECOMMENDATION_OWNER_REFUSED`` (422 on ``field``);
    - an action is never assigned outside the agency it is addressed to.

    With no linked case the action belongs to no case: its title quotes the application's reference
    and the recommendation, both of which the owner reads on the action itself, seen by its assignee
    and its agency (``visible_actions_clause``)."""
    if not email:
        return None
    found = USERS_BY_EMAIL.find(None, email)
    eligible = found is not None and db.session.scalar(
        sa.select(User.id).where(User.id == found.id, _recommendation_owners_clause(application, case))
    )
    if not eligible:
        raise InvalidInput({field: [RECOMMENDATION_OWNER_REFUSED]})
    if isinstance(agency, Agency) and found.agency_id != agency.id:
        raise InvalidInput(
            {field: [f"The owner must work for {agency.name}, the agency the recommendation is addressed to."]}
        )
    return found


def unassigned_recommendation_owner_id(application: TriggerApplication, case: Any) -> int | None:
    """Who holds the deadline of a recommendation the chair names no owner for: the area's coordinator
    (``area_coordinator_id``), who follows the action plan up, when they may see ``case`` (the one the
    action is filed on, or None); otherwise the case's owner, who may (work goes only to people who
    may see its case: a coordinator of another agency, or not named on a restricted case, could not
    read it)."""
    coordinator_id = deadline_engine.area_coordinator_id(application)
    if case is None or coordinator_id is None:
        return coordinator_id
    if may_take_work_on(db.session.get(User, coordinator_id), case):
        return coordinator_id
    if case.owner is not None and may_take_work_on(case.owner, case):
        return int(case.owner.id)
    return coordinator_id


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
    """Record the meeting held, its minutes and recommendations [{text, agency, due_on, owner_email=None}]
    (the owner named by email address, found by ``recommendation_owner``);
    each recommendation becomes a tracked action with a deadline. Only the appointed chair may do
    this (the caller checks ``policies.can_chair``). No letter goes out yet: the outcome letter follows
    the coordinator's confirmation that the review is complete (``completeness.confirm_complete``,
    which also takes ``send_letter`` and the day a letter sent by other means went out)."""
    application = meeting.application
    if meeting.held_on is not None:
        raise RuleViolation("The outcome of this meeting has already been recorded.")
    _require_status(application, {ApplicationStatus.meeting_arranged}, "record the outcome")
    # Each recommendation's action is filed on the first linked case (``recommendation_case``).
    first_case = recommendation_case(application)
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
    owners: list[User | None] = []
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
        try:
            owners.append(
                recommendation_owner(
                    application, item.get("owner_email"), item.get("agency"), first_case, f"{prefix}.owner_email"
                )
            )
        except InvalidInput as error:
            errors.update(error.errors)
    if errors:
        db.session.expire(meeting)
        raise InvalidInput(errors)
    before = snapshot(meeting, MEETING_AUDIT_FIELDS)
    meeting.held_on = held_on
    meeting.minutes = minutes.strip() if minutes else None
    meeting.outcome = (outcome or "").strip() or None
    meeting.proportionality_assessment = (proportionality_assessment or "").strip() or None
    meeting.outcome_recorded_at = now()
    default_owner_id = unassigned_recommendation_owner_id(application, first_case)
    for item, owner in zip(recommendations, owners, strict=True):
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
            default_owner_id=default_owner_id,
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
        # Not in the outcome: the outcome letter quotes that to the applicant, who may be an advocate, a
        # group or another agency, and what the victim said of the plan is theirs.
        meeting.victim_consultation_notes = (
            (meeting.victim_consultation_notes + "\n\n") if meeting.victim_consultation_notes else ""
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
    than the meeting, moves the start of the appeal window."""
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
