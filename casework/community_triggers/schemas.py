"""API input schemas and the JSON shapes of applications, meetings and appeals (docs/api.md "Community
Trigger": the fields named there are a contract; more are added around them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from marshmallow import fields, validate

from casework.cases.policies import CASES, SeenCases
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers.models import (
    Appeal,
    AppealDecision,
    ApplicantRole,
    ApplicationStatus,
    Channel,
    DecisionBasis,
    LetterKind,
    ReviewMeeting,
    ThresholdDecision,
    TriggerApplication,
)
from casework.core.fields import EventDate, PlannedDate, RecordId
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema, PageArgs

if TYPE_CHECKING:
    from casework.community_triggers.review_papers import RepeatApplicant

_text: dict[str, Any] = {"validate": validate.Length(max=20_000)}


def _choice(values: Any) -> validate.OneOf:
    values = [v.value for v in values]
    return validate.OneOf(values, error=f"Must be one of: {', '.join(values)}.")


def SendLetterField() -> fields.Boolean:
    """Whether the step's letter (or emails) go out: by default only for a step dated today; a step
    dated before today is past work entered late and is recorded only unless this is true."""
    return fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "Send the letter for a step dated before today (default: only for today's)."},
    )


class VersionField(fields.Integer):
    """The version the client read (optional): a stale one answers 409."""

    def __init__(self) -> None:
        super().__init__(load_default=None, allow_none=True, validate=validate.Range(min=1))


# --- input --------------------------------------------------------------------------------------------


class ApplicantArgs(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class VictimArgs(BaseSchema):
    """The victim, when someone else applies for them (``on_behalf``, ``partner``)."""

    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ComplaintArgs(BaseSchema):
    complainant_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    occurred_on = EventDate(required=True)
    reported_on = EventDate(required=True)
    agency_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    reported_to = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    causes_had = fields.Boolean(load_default=True)
    hate_motivated = fields.Boolean(load_default=False)


class ApplicationCreateArgs(BaseSchema):
    area_code = fields.String(required=True, validate=validate.Length(min=1, max=10))
    received_on = EventDate(required=True)
    channel = fields.String(required=True, validate=_choice(Channel))
    applicant = fields.Nested(ApplicantArgs, required=True)
    applicant_role = fields.String(required=True, validate=_choice(ApplicantRole))
    consent_given = fields.Boolean(load_default=False)
    #: Why the victim's consent is not needed when someone applies for them without it.
    consent_not_needed_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    victim = fields.Nested(VictimArgs, load_default=None, allow_none=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    case_ids = fields.List(RecordId(CASES), load_default=list, validate=validate.Length(max=50))
    complaints = fields.List(fields.Nested(ComplaintArgs), load_default=list, validate=validate.Length(max=200))
    send_letter = SendLetterField()


class ApplicationListArgs(PageArgs):
    area = fields.String(load_default=None, validate=validate.Length(max=10))
    status = fields.String(load_default=None, validate=_choice(ApplicationStatus))


class AcknowledgeArgs(BaseSchema):
    acknowledged_on = EventDate(required=True)
    send_letter = SendLetterField()
    version = VersionField()


class ThresholdDecisionArgs(BaseSchema):
    met = fields.Boolean(required=True)
    basis = fields.String(load_default=None, allow_none=True, validate=_choice(DecisionBasis))
    reasons = fields.String(load_default=None, allow_none=True, **_text)
    decided_on = EventDate(required=True)
    persistence = fields.String(load_default=None, allow_none=True, **_text)
    harm = fields.String(load_default=None, allow_none=True, **_text)
    adequacy = fields.String(load_default=None, allow_none=True, **_text)
    send_letter = SendLetterField()
    version = VersionField()


class ScreenOutArgs(BaseSchema):
    screened_out_on = EventDate(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    version = VersionField()


class LinkCasesArgs(BaseSchema):
    case_ids = fields.List(RecordId(CASES), required=True, validate=validate.Length(min=1, max=50))
    version = VersionField()


class WithdrawArgs(BaseSchema):
    withdrawn_on = EventDate(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    version = VersionField()


class MeetingCreateArgs(BaseSchema):
    scheduled_on = PlannedDate(required=True)
    chair_email = fields.Email(required=True)
    #: The day the meeting was arranged (default today): past work may be entered late (docs/api.md).
    arranged_on = EventDate(load_default=None, allow_none=True)
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    send_letter = SendLetterField()
    version = VersionField()


class AttendeeArgs(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    agency_code = fields.String(load_default=None, allow_none=True)
    role = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    attended = fields.Boolean(load_default=True)


class AgendaItemArgs(BaseSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    lead = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    notes = fields.String(load_default=None, allow_none=True, **_text)


class MeetingUpdateArgs(BaseSchema):
    scheduled_on = PlannedDate()
    location = fields.String(allow_none=True, validate=validate.Length(max=300))
    agenda = fields.String(allow_none=True, **_text)
    #: The structured agenda (the standard items are set out when the meeting is arranged), in order.
    agenda_items = fields.List(fields.Nested(AgendaItemArgs), validate=validate.Length(min=1, max=50))
    victim_invited = fields.Boolean(allow_none=True)
    victim_not_invited_reason = fields.String(allow_none=True, **_text)
    attendees = fields.List(fields.Nested(AttendeeArgs), validate=validate.Length(max=100))
    #: Optional beyond the contract: the day the papers went to the panel (not in the future, not before
    #: the threshold decision, not after the meeting); may be recorded after the meeting until the review
    #: is confirmed complete.
    papers_sent_on = EventDate(allow_none=True)
    version = VersionField()


class RecommendationArgs(BaseSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    agency_code = fields.String(required=True)
    due_on = PlannedDate(required=True)
    owner_email = fields.Email(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Optional: who owns the action, an active member of staff of the addressed agency, "
            "working in the application's area and able to see its first linked case (422 on the field otherwise)."
        },
    )


class OutcomeArgs(BaseSchema):
    held_on = EventDate(required=True)
    minutes = fields.String(required=True, validate=validate.Length(min=1, max=100_000))
    recommendations = fields.List(
        fields.Nested(RecommendationArgs), load_default=list, validate=validate.Length(max=100)
    )
    outcome = fields.String(load_default=None, allow_none=True, **_text)
    proportionality_assessment = fields.String(load_default=None, allow_none=True, **_text)
    victim_invited = fields.Boolean(load_default=None, allow_none=True)
    victim_not_invited_reason = fields.String(load_default=None, allow_none=True, **_text)
    version = VersionField()


class RecommendationViewArgs(BaseSchema):
    #: The recommendation's number in the action plan (1 for the first of the meeting's recommendations).
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    view = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class VictimConsultationArgs(BaseSchema):
    consulted_on = EventDate(required=True)
    notes = fields.String(load_default=None, allow_none=True, **_text)
    #: The victim's view of each recommendation (the action plan's last column).
    views = fields.List(fields.Nested(RecommendationViewArgs), load_default=list, validate=validate.Length(max=100))


class MissingInformationArgs(BaseSchema):
    agency_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class CompletenessArgs(BaseSchema):
    """The coordinator confirms the review complete, so its outcome letter goes out."""

    confirmed_on = EventDate(load_default=None, allow_none=True)
    missing_information = fields.List(
        fields.Nested(MissingInformationArgs), load_default=list, validate=validate.Length(max=100)
    )
    victim_not_consulted_reason = fields.String(load_default=None, allow_none=True, **_text)
    held_early_reason = fields.String(load_default=None, allow_none=True, **_text)
    #: Default: the letter goes out when the confirmation is dated today; past work is recorded only.
    send_letter = fields.Boolean(load_default=None, allow_none=True)
    #: For past work recorded late: the day the outcome letter went out by other means.
    outcome_letter_sent_on = EventDate(load_default=None, allow_none=True)
    version = VersionField()


class ProportionalityArgs(BaseSchema):
    #: Who the assessment is about, by name (the pages also offer the perpetrators of the linked cases).
    subject_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    age_note = fields.String(load_default=None, allow_none=True, **_text)
    vulnerability_note = fields.String(load_default=None, allow_none=True, **_text)
    consequences_note = fields.String(load_default=None, allow_none=True, **_text)
    previous_interventions_note = fields.String(load_default=None, allow_none=True, **_text)
    victim_view_note = fields.String(load_default=None, allow_none=True, **_text)
    conclusion = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    assessed_on = EventDate(required=True)


class LessonsReviewArgs(BaseSchema):
    forum = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reviewed_on = EventDate(required=True)
    lessons = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    shared_with = fields.String(load_default=None, allow_none=True, **_text)


class AppealCreateArgs(BaseSchema):
    received_on = EventDate(required=True)
    grounds = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    handler_email = fields.Email(load_default=None, allow_none=True)
    handler_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    version = VersionField()


class AppealDecisionArgs(BaseSchema):
    decision = fields.String(required=True, validate=_choice(AppealDecision))
    reasons = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    decided_on = EventDate(required=True)
    send_letter = SendLetterField()
    handler_email = fields.Email(load_default=None, allow_none=True)
    handler_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    version = VersionField()


class LetterSentArgs(BaseSchema):
    """A letter that went out on ``sent_on`` outside the service (past work entered late). A letter
    about a meeting is about the application's current meeting, an appeal decision about its latest
    appeal: the order past work is entered in, so no id of either is asked for."""

    kind = fields.String(required=True, validate=_choice(LetterKind))
    sent_on = EventDate(required=True)


# --- output -------------------------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "email": user.email}


def dump_decision(decision: ThresholdDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "id": decision.id,
        "met": decision.met,
        "basis": decision.basis.value if decision.basis else None,
        "reasons": decision.reasons,
        "persistence": decision.persistence,
        "harm": decision.harm,
        "adequacy": decision.adequacy,
        "decided_on": _iso(decision.decided_on),
        "decided_by": _person(decision.decided_by),
    }


def dump_recommendation(recommendation: Any) -> dict[str, Any]:
    return {
        "id": recommendation.id,
        "meeting_id": recommendation.meeting_id,
        "text": recommendation.text,
        "agency_code": recommendation.agency.code,
        "owner": _person(recommendation.owner),
        "due_on": _iso(recommendation.due_on),
        "victim_view": recommendation.victim_view,
    }


def dump_assessment(assessment: Any) -> dict[str, Any]:
    return {
        "id": assessment.id,
        "meeting_id": assessment.meeting_id,
        "subject_name": assessment.subject_name,
        "person_id": assessment.person_id,
        "age_note": assessment.age_note,
        "vulnerability_note": assessment.vulnerability_note,
        "consequences_note": assessment.consequences_note,
        "previous_interventions_note": assessment.previous_interventions_note,
        "victim_view_note": assessment.victim_view_note,
        "conclusion": assessment.conclusion,
        "assessed_on": _iso(assessment.assessed_on),
        "version": assessment.version,
    }


def dump_lessons_review(review: Any) -> dict[str, Any]:
    return {
        "id": review.id,
        "application_id": review.application_id,
        "forum": review.forum,
        "reviewed_on": _iso(review.reviewed_on),
        "lessons": review.lessons,
        "shared_with": review.shared_with,
    }


def dump_meeting(meeting: ReviewMeeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "application_id": meeting.application_id,
        "scheduled_on": _iso(meeting.scheduled_on),
        "arranged_on": _iso(meeting.arranged_on),
        "chair": _person(meeting.chair),
        "chair_email": meeting.chair.email if meeting.chair else None,
        "location": meeting.location,
        "agenda": meeting.agenda,
        "victim_invited": meeting.victim_invited,
        "victim_not_invited_reason": meeting.victim_not_invited_reason,
        "agenda_items": [
            {"position": item.position, "title": item.title, "lead": item.lead, "notes": item.notes}
            for item in meeting.agenda_items
        ],
        "papers_sent_on": _iso(meeting.papers_sent_on),
        "held_on": _iso(meeting.held_on),
        "held_early_reason": meeting.held_early_reason,
        "minutes": meeting.minutes,
        "proportionality_assessment": meeting.proportionality_assessment,
        "proportionality_assessments": [dump_assessment(a) for a in meeting.proportionality_assessments],
        "outcome": meeting.outcome,
        "victim_consulted_on": _iso(meeting.victim_consulted_on),
        "victim_consultation_notes": meeting.victim_consultation_notes,
        "victim_not_consulted_reason": meeting.victim_not_consulted_reason,
        "missing_information": [
            {"agency_code": row.agency.code, "reason": row.reason} for row in meeting.missing_information
        ],
        "completeness_confirmed_on": _iso(meeting.completeness_confirmed_on),
        "completeness_confirmed_by": _person(meeting.completeness_confirmed_by),
        "outcome_letter_sent_on": _iso(meeting.outcome_letter_sent_on),
        "recommendations": [dump_recommendation(r) for r in meeting.recommendations],
        "version": meeting.version,
    }


def dump_appeal(appeal: Appeal | None) -> dict[str, Any] | None:
    if appeal is None:
        return None
    return {
        "id": appeal.id,
        "application_id": appeal.application_id,
        "received_on": _iso(appeal.received_on),
        "grounds": appeal.grounds,
        "handler": _person(appeal.handler),
        "handler_name": appeal.handler_name,
        "decision": appeal.decision.value if appeal.decision else None,
        "reasons": appeal.decision_reasons,
        "decided_on": _iso(appeal.decided_on),
        "version": appeal.version,
    }


def _dump_pcc_review(review: Any) -> dict[str, Any]:
    """A PCC review in the application's answer (its deadline is in GET .../pcc-reviews)."""
    from casework.community_triggers.pcc_review.schemas import dump_pcc_review

    data = dump_pcc_review(review)
    del data["decision_due"]
    return data


def cases_seen(user: Any, applications: Sequence[TriggerApplication]) -> SeenCases:
    """Which of these applications' linked cases, and of the cases their stored workings name, ``user``
    may see (one statement for a page of applications)."""
    references = (
        complaint.get("case_reference")
        for application in applications
        for working in (application.threshold_evaluation, application.decision and application.decision.evaluation)
        for complaint in (working or {}).get("complaints", [])
    )
    return SeenCases(
        user,
        ids=(case.id for application in applications for case in application.cases),
        references=(reference for reference in references if reference),
    )


def cases_withheld(application: TriggerApplication, seen: SeenCases) -> dict[str, Any]:
    """The application's linked cases the user may not see: how many, and the agencies that hold them."""
    hidden = [case for case in application.cases if not seen.can_see(case.id)]
    return {"count": len(hidden), "agencies": sorted({seen.holder(case.id) or "another agency" for case in hidden})}


#: A case's reference (``<area code>-<year>-<number>``) inside a sentence; not the tail of a Case
#: Review's (``<area code>-CT-<year>-<number>``).
CASE_REFERENCE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9-])[A-Z0-9]+-\d{4}-\d{4,}\b")


def audit_trail_seen_by(
    user: Any, entries: Sequence[Any], application: TriggerApplication | None = None
) -> list[tuple[Any, str]]:
    """Each audit entry about an application with its summary as ``user`` may read it: a case they may
    not see, named in the summary when it was written ("Linked BOL-2026-0003 to ..."), is named by the
    agency that holds it; the applicant's and the victim's details ("... emailed to
    jane@example.org"), when ``application``'s are withheld from ``user``, are "[withheld]". The
    entries themselves are sealed (``casework.audit``), so this is done when they are shown; one
    statement for the whole trail."""
    from casework.community_triggers import applicants

    found = {match for entry in entries for match in CASE_REFERENCE_IN_TEXT.findall(entry.summary or "")}
    seen = SeenCases(user, references=found)

    def name(match: re.Match[str]) -> str:
        reference = match.group(0)
        holder = seen.holder(reference)
        if holder is None or seen.can_see_reference(reference):
            return reference  # not a case's reference, or one the user may see
        return f"a case you cannot see, held by {holder}"

    details = (
        applicants.details_in_text(application)
        if application is not None and applicants.is_withheld(user, application)
        else None
    )

    def shown(summary: str) -> str:
        summary = CASE_REFERENCE_IN_TEXT.sub(name, summary)
        return details.sub("[withheld]", summary) if details is not None else summary

    return [(entry, shown(entry.summary or "")) for entry in entries]


def working_seen_by(working: dict[str, Any] | None, seen: SeenCases) -> dict[str, Any] | None:
    """A threshold working (docs/api.md's ``threshold`` object) as ``seen``'s user may see it.

    A complaint from the ledger of a linked case they may not see is withheld: counted in ``withheld``
    with the agency that holds its case, its dates, names and references left out. The totals stay
    (the threshold is decided on every complaint). A complaint they see that was "Already counted" as
    a withheld one no longer names it."""
    if working is None:
        return None
    shown: list[dict[str, Any]] = []
    hidden: set[str] = set()
    withheld, qualifying, agencies = 0, 0, set()
    for complaint in working.get("complaints", []):
        reference = complaint.get("case_reference")
        from_a_case = complaint.get("source") == "case" or bool(reference)
        if from_a_case and not (reference and seen.can_see_reference(reference)):
            withheld += 1
            qualifying += bool(complaint.get("qualifies"))
            agencies.add((reference and seen.holder(reference)) or "another agency")
            hidden.add(reference or "")
        else:
            shown.append(complaint)
    if hidden:
        shown = [_without_withheld_case(complaint, hidden) for complaint in shown]
    return {
        **working,
        "complaints": shown,
        "withheld": {"complaints": withheld, "qualifying": qualifying, "agencies": sorted(agencies)},
    }


def _without_withheld_case(complaint: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """``threshold._already_counted_reason`` names the complaint counted instead, with its case."""
    reason = complaint.get("reason") or ""
    if reason.startswith("Already counted:") and any(f"on case {ref} " in reason for ref in hidden if ref):
        kept = reason.split(", as ", 1)[0]
        return {**complaint, "reason": f"{kept}, as a complaint on a case you cannot see."}
    return complaint


def dump_threshold(application: TriggerApplication, seen: SeenCases) -> dict[str, Any] | None:
    stored = working_seen_by(application.threshold_evaluation, seen)
    if stored is None:
        return None
    return {
        key: stored.get(key)
        for key in (
            "met_automatically",
            "basis",
            "qualifying_count",
            "bases_met",
            "distinct_complainants",
            "complaints",
            "withheld",
            "rules",
        )
    }


def dump_application(
    application: TriggerApplication,
    user: Any,
    *,
    deadline_rows: dict[str, Any] | None = None,
    seen: SeenCases | None = None,
    withheld: bool | None = None,
    repeat: RepeatApplicant | None = None,
) -> dict[str, Any]:
    """The application as docs/api.md shows it to ``user``: the linked cases they may not see, and their
    complaints in the working, are counted with their holding agency, not named; the applicant's and
    the victim's details are null, with ``applicant_withheld`` true, when they are withheld from
    ``user`` (``applicants.withheld_clause``). ``deadline_rows`` (from ``deadlines.deadline_rows``),
    ``seen`` (``cases_seen``), ``withheld`` (from ``applicants.withheld_ids``) and ``repeat`` (from
    ``review_papers.repeat_applicants_seen_by``) let a list load every application's deadlines, which of
    their cases the user sees, whose applicant is withheld and their applicants' other applications, in
    a fixed number of queries."""
    from casework.community_triggers import applicants, review_papers

    if deadline_rows is None:
        deadline_rows = deadline_engine.deadline_rows([application.id])[application.id]
    if seen is None:
        seen = cases_seen(user, [application])
    if withheld is None:
        withheld = applicants.is_withheld(user, application)
    # Every free text of the application and its review, and the details, as the reader may see them.
    record, application = application, applicants.seen(application, withheld)
    appeal = application.appeals[-1] if application.appeals else None
    if repeat is None:
        repeat = review_papers.repeat_applicant_seen_by(user, record, withheld)
    return {
        "id": application.id,
        "reference": application.reference,
        "status": application.status.value,
        "area_code": application.area.code,
        "received_on": _iso(application.received_on),
        "channel": application.channel.value,
        "applicant": applicants.applicant_details(record, withheld),
        "applicant_withheld": withheld,
        "applicant_role": application.applicant_role.value,
        "consent_given": application.consent_given,
        "consent_not_needed_reason": application.consent_not_needed_reason,
        "victim": applicants.victim_details(record, withheld),
        "description": application.description,
        "case_ids": [c.id for c in application.cases if seen.can_see(c.id)],
        "cases_withheld": cases_withheld(application, seen),
        "complaints": [
            {
                "id": c.id,
                "complainant_name": None if withheld else c.complainant_name,
                "occurred_on": _iso(c.occurred_on),
                "reported_on": _iso(c.reported_on),
                "agency_code": c.agency.code if c.agency is not None else None,
                "reported_to": c.reported_to,
                "reference": c.reference,
                "causes_had": c.causes_had,
                "hate_motivated": c.hate_motivated,
            }
            for c in application.complaints
        ],
        "acknowledged_on": _iso(application.acknowledged_on),
        "screened_out_on": _iso(application.screened_out_on),
        "screened_out_reason": application.screened_out_reason,
        "withdrawn_on": _iso(application.withdrawn_on),
        "withdrawal_reason": application.withdrawal_reason,
        "deadlines": {k: v.isoformat() for k, v in deadline_engine.as_dict(deadline_rows).items()},
        "threshold": applicants.threshold_seen(dump_threshold(record, seen), withheld),
        "decision": dump_decision(application.decision),
        "decisions": [dump_decision(d) for d in application.decisions],
        "meetings": [dump_meeting(m) for m in application.meetings],
        "recommendations": [dump_recommendation(r) for m in application.meetings for r in m.recommendations],
        "appeal": dump_appeal(appeal),
        "appeals": [dump_appeal(a) for a in application.appeals],
        "earlier_applications": repeat.count,
        "repeat_handling": repeat.handling.value if repeat.handling else None,
        "lessons_reviews": [dump_lessons_review(r) for r in application.lessons_reviews],
        "pcc_reviews": [_dump_pcc_review(r) for r in application.pcc_reviews],
        "version": application.version,
    }


class LetterAnswer(Answer):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    subject = nullable(fields.String())
    sent_on = nullable(fields.Date())
    emailed_to = nullable(fields.String())
    meeting_id = nullable(fields.Integer())
    appeal_id = nullable(fields.Integer())


def dump_letter(letter: Any) -> dict[str, Any]:
    return {
        "id": letter.id,
        "application_id": letter.application_id,
        "kind": letter.kind.value,
        "subject": letter.subject,
        "sent_on": _iso(letter.sent_on),
        "emailed_to": letter.emailed_to,
        "meeting_id": letter.meeting_id,
        "appeal_id": letter.appeal_id,
    }


# --- answers (described for the OpenAPI document; the dump_* functions above build them) --------------


class _Person(Answer):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)


class DecisionAnswer(Answer):
    id = fields.Integer(required=True)
    met = fields.Boolean(required=True)
    basis = nullable(fields.String())
    reasons = nullable(fields.String())
    persistence = nullable(fields.String())
    harm = nullable(fields.String())
    adequacy = nullable(fields.String())
    decided_on = nullable(fields.Date())
    decided_by = nullable(fields.Nested(_Person))


class RecommendationAnswer(Answer):
    id = fields.Integer(required=True)
    meeting_id = fields.Integer(required=True)
    text = fields.String(required=True)
    agency_code = fields.String(required=True)
    owner = nullable(fields.Nested(_Person))
    due_on = nullable(fields.Date())


class MeetingAnswer(Answer):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    scheduled_on = nullable(fields.Date())
    chair = nullable(fields.Nested(_Person))
    chair_email = nullable(fields.String())
    location = nullable(fields.String())
    agenda = nullable(fields.String())
    victim_invited = nullable(fields.Boolean())
    victim_not_invited_reason = nullable(fields.String())
    #: Optional beyond the contract: the day the papers went to the panel.
    papers_sent_on = nullable(fields.Date())
    held_on = nullable(fields.Date())
    minutes = nullable(fields.String())
    proportionality_assessment = nullable(fields.String())
    outcome = nullable(fields.String())
    victim_consulted_on = nullable(fields.Date())
    outcome_letter_sent_on = nullable(fields.Date())
    recommendations = fields.List(fields.Nested(RecommendationAnswer), required=True)
    version = fields.Integer(required=True)


class ProportionalityAssessmentAnswer(Answer):
    id = fields.Integer(required=True)
    meeting_id = fields.Integer(required=True)
    subject_name = nullable(fields.String())
    conclusion = nullable(fields.String())
    assessed_on = nullable(fields.Date())


class LessonsReviewAnswer(Answer):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    forum = nullable(fields.String())
    reviewed_on = nullable(fields.Date())
    lessons = nullable(fields.String())


class AppealAnswer(Answer):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    received_on = nullable(fields.Date())
    grounds = nullable(fields.String())
    handler = nullable(fields.Nested(_Person))
    handler_name = nullable(fields.String())
    decision = nullable(fields.String())
    reasons = nullable(fields.String())
    decided_on = nullable(fields.Date())
    version = fields.Integer(required=True)


class _Applicant(Answer):
    name = nullable(fields.String())
    email = nullable(fields.String())
    phone = nullable(fields.String())
    address = nullable(fields.String())


class _ApplicationComplaint(Answer):
    id = fields.Integer(required=True)
    complainant_name = nullable(fields.String())
    occurred_on = nullable(fields.Date())
    reported_on = nullable(fields.Date())
    agency_code = nullable(fields.String())
    reported_to = nullable(fields.String())
    reference = nullable(fields.String())
    causes_had = nullable(fields.Boolean())
    hate_motivated = nullable(fields.Boolean())


class _Withheld(Answer):
    complaints = fields.Integer(required=True)
    qualifying = fields.Integer(required=True)
    agencies = fields.List(fields.String(), required=True)


class _CasesWithheld(Answer):
    count = fields.Integer(required=True)
    agencies = fields.List(fields.String(), required=True)


class _Threshold(Answer):
    met_automatically = nullable(fields.Boolean())
    basis = nullable(fields.String())
    qualifying_count = nullable(fields.Integer())
    bases_met = nullable(fields.List(fields.String()))
    distinct_complainants = nullable(fields.Integer())
    #: Every complaint considered that the reader may see, each with ``qualifies`` and a ``reason``.
    complaints = nullable(fields.List(fields.Dict()))
    #: The complaints on linked cases the reader may not see: how many, how many qualify, and the
    #: agencies that hold those cases.
    withheld = nullable(fields.Nested(_Withheld))
    rules = nullable(fields.Dict())


class ApplicationAnswer(Answer):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    status = fields.String(required=True)
    area_code = fields.String(required=True)
    received_on = nullable(fields.Date())
    channel = fields.String(required=True)
    applicant = fields.Nested(_Applicant, required=True)
    #: True when the applicant's and the victim's details are withheld from the reader (each null):
    #: the application is linked to a restricted case they may not see, or the applicant or victim
    #: is a person on one (``casework.community_triggers.applicants``).
    applicant_withheld = fields.Boolean()
    applicant_role = fields.String(required=True)
    consent_given = nullable(fields.Boolean())
    description = nullable(fields.String())
    #: The linked cases the reader may see.
    case_ids = fields.List(fields.Integer(), required=True)
    #: The linked cases the reader may not see: how many, and the agencies that hold them.
    cases_withheld = fields.Nested(_CasesWithheld, required=True)
    complaints = fields.List(fields.Nested(_ApplicationComplaint), required=True)
    acknowledged_on = nullable(fields.Date())
    screened_out_on = nullable(fields.Date())
    screened_out_reason = nullable(fields.String())
    withdrawn_on = nullable(fields.Date())
    withdrawal_reason = nullable(fields.String())
    #: Step name -> date (docs/api.md lists the names), each present once its start event has happened.
    deadlines = fields.Dict(keys=fields.String(), values=fields.Date(), required=True)
    threshold = nullable(fields.Nested(_Threshold))
    decision = nullable(fields.Nested(DecisionAnswer))
    decisions = fields.List(fields.Nested(DecisionAnswer), required=True)
    meetings = fields.List(fields.Nested(MeetingAnswer), required=True)
    recommendations = fields.List(fields.Nested(RecommendationAnswer), required=True)
    appeal = nullable(fields.Nested(AppealAnswer))
    appeals = fields.List(fields.Nested(AppealAnswer), required=True)
    #: The Police and Crime Commissioner's reviews (as GET .../pcc-reviews shows them, without the due day).
    pcc_reviews = fields.List(fields.Dict())
    version = fields.Integer(required=True)
