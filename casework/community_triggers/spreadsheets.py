"""The Case Review register out to a spreadsheet, and historic Case Reviews in from one.

The export is the register as the user sees it (the board's filters). The import brings in past
applications with their complaints, decisions, meetings, recommendations, appeals and withdrawals,
each step through the same service as the API with its own date, so that earlier years' published
figures come from records (past events are recorded only: no letters or emails go out for them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from casework.accounts.models import Area
from casework.community_triggers import policies
from casework.community_triggers.models import ApplicationStatus, ReviewMeeting, TriggerApplication
from casework.core.permissions import Permission
from casework.extensions import db
from casework.spreadsheets.kinds import Export, ExportList, known_area, known_choice, tracking


def register_query(user: Any, args: Mapping[str, str]) -> sa.Select:
    query = (
        sa.select(TriggerApplication)
        .where(policies.visible_applications_clause(user))
        .options(
            selectinload(TriggerApplication.area),
            selectinload(TriggerApplication.decisions),
            selectinload(TriggerApplication.meetings).selectinload(ReviewMeeting.recommendations),
            selectinload(TriggerApplication.appeals),
        )
        .order_by(TriggerApplication.received_on.desc(), TriggerApplication.id.desc())
    )
    if args.get("status") in {s.value for s in ApplicationStatus}:
        query = query.where(TriggerApplication.status == args["status"])
    if args.get("area"):
        query = query.where(TriggerApplication.area.has(Area.code == args["area"]))
    return query


def export_register(user: Any, args: Mapping[str, str]) -> Export:
    """One row per application: each step's date, as the statistics count them. Like the board, it
    names no one: the applicant's details are on the application's page, whose views are recorded."""
    header = [
        "Reference",
        "Area",
        "Received",
        "Channel",
        "Applicant role",
        "Status",
        "Acknowledged",
        "Threshold met",
        "Basis",
        "Decided",
        "Meeting held",
        "Recommendations",
        "Appeal received",
        "Appeal decision",
        "Appeal decided",
        "Withdrawn",
        "Screened out",
    ]
    ids: list[int] = []

    def rows() -> Iterator[tuple[int, list[Any]]]:
        query = register_query(user, args)
        for start in range(0, 10**9, 500):
            batch = db.session.scalars(query.offset(start).limit(500)).all()
            if not batch:
                return
            for application in batch:
                decision = application.decision
                held = [m for m in application.meetings if m.held_on is not None]
                appeal = application.appeals[-1] if application.appeals else None
                yield (
                    application.id,
                    [
                        application.reference,
                        application.area.code,
                        application.received_on,
                        application.channel.value,
                        application.applicant_role.value,
                        application.status.value,
                        application.acknowledged_on,
                        None if decision is None else decision.met,
                        decision.basis.value if decision is not None and decision.basis else None,
                        decision.decided_on if decision is not None else None,
                        held[-1].held_on if held else None,
                        sum(len(m.recommendations) for m in held) if held else None,
                        appeal.received_on if appeal else None,
                        appeal.decision.value if appeal is not None and appeal.decision else None,
                        appeal.decided_on if appeal else None,
                        application.withdrawn_on,
                        application.screened_out_on,
                    ],
                )

    applied = {"status": known_choice(args.get("status"), ApplicationStatus), "area": known_area(args.get("area"))}
    return Export(header, tracking(ids, rows()), "trigger_applications", ids, "Case Review applications", applied)


# --- historic Case Reviews in -----------------------------------------------------------------------------

from casework.accounts.models import Agency, User  # noqa: E402
from casework.community_triggers import services  # noqa: E402
from casework.community_triggers.models import (  # noqa: E402
    AppealDecision,
    ApplicantRole,
    Channel,
    DecisionBasis,
)
from casework.core.errors import InvalidInput, RuleViolation  # noqa: E402
from casework.spreadsheets import columns as c  # noqa: E402
from casework.spreadsheets.columns import Column, Layout  # noqa: E402
from casework.spreadsheets.kinds import ImportKind, ParsedRow  # noqa: E402

CASE_REVIEWS = Layout(
    key="case_reviews",
    title="Case Reviews (historic)",
    description=(
        "Past Case Review applications and what became of them, so that earlier years' published figures "
        "come from records. One row per application; an application's complaints and the review's "
        "recommendations take a row each, with the same reference (its other columns may then be left "
        "empty). Every step is recorded on its own date, through the same checks as in the service, and "
        "nothing is sent: no letters, no emails."
    ),
    columns=(
        Column(
            "reference",
            "Reference",
            c.text_value(100),
            "Your reference for the application",
            required=True,
            example="CT-2019-03",
        ),
        Column("area_code", "Area code", c.code, "", example="BOL"),
        Column("received_on", "Date received", c.event_date, "", example="2019-05-02"),
        Column(
            "channel",
            "How it was received",
            c.choice([ch.value for ch in Channel]),
            "online, phone, email, letter, in_person or partner",
            example="letter",
        ),
        Column("applicant_name", "Applicant", c.text_value(200), "The applicant's name", example="Jane Smith"),
        Column(
            "applicant_role",
            "Applicant role",
            c.choice([r.value for r in ApplicantRole]),
            "victim (the default), on_behalf, group or partner",
        ),
        Column("consent_given", "Victim's consent", c.yes_no, "For an application made on a victim's behalf"),
        Column("description", "Description", c.text_value(20_000), "What the application was about"),
        Column("acknowledged_on", "Date acknowledged", c.event_date, ""),
        Column("decision", "Threshold decision", c.choice(["met", "not_met"]), "met or not_met", example="met"),
        Column(
            "decision_basis",
            "Basis",
            c.choice([b.value for b in DecisionBasis]),
            "For met: automatic, community, hate, discretionary or vulnerable_override",
            example="automatic",
        ),
        Column(
            "decision_reasons",
            "Reasons for the decision",
            c.text_value(20_000),
            "Needed for not met, discretionary and vulnerable_override",
        ),
        Column("decided_on", "Date of the decision", c.event_date, "", example="2019-05-20"),
        Column(
            "meeting_arranged_on", "Date the meeting was arranged", c.event_date, "Default: the date of the decision"
        ),
        Column("meeting_held_on", "Date the meeting was held", c.event_date, "", example="2019-06-10"),
        Column(
            "chair_email",
            "Chair's email address",
            c.email,
            "A user with the chair role who took no part in the case",
            example="chair@example.org",
        ),
        Column(
            "minutes", "Minutes", c.text_value(100_000), "Default: a note that the minutes are held outside the service"
        ),
        Column("outcome_letter_sent_on", "Date the outcome letter was sent", c.event_date, ""),
        Column("appeal_received_on", "Date the appeal was received", c.event_date, ""),
        Column("appeal_grounds", "Grounds of appeal", c.text_value(20_000), ""),
        Column(
            "appeal_handler", "Appeal handler", c.text_value(200), "Who handled the appeal (someone who took no part)"
        ),
        Column(
            "appeal_decision", "Appeal decision", c.choice([d.value for d in AppealDecision]), "upheld or not_upheld"
        ),
        Column("appeal_decided_on", "Date the appeal was decided", c.event_date, ""),
        Column("appeal_reasons", "Reasons for the appeal decision", c.text_value(20_000), ""),
        Column("withdrawn_on", "Date withdrawn", c.event_date, ""),
        Column("withdrawal_reason", "Reason for withdrawal", c.text_value(5000), ""),
        Column(
            "complaint_occurred_on",
            "Complaint: date of the behaviour",
            c.event_date,
            "One complaint per row",
            example="2019-04-01",
        ),
        Column("complaint_reported_on", "Complaint: date reported", c.event_date, "", example="2019-04-02"),
        Column("complaint_agency_code", "Complaint: agency code", c.code, "", example="BDC"),
        Column("complainant_name", "Complaint: complainant", c.text_value(200), "Default: the applicant"),
        Column("complaint_reference", "Complaint: agency's reference", c.text_value(100), ""),
        Column("complaint_causes_had", "Complaint: harassment, alarm or distress", c.yes_no, "yes (the default) or no"),
        Column("complaint_hate_motivated", "Complaint: hate motivated", c.yes_no, "yes or no (the default)"),
        Column("recommendation", "Recommendation", c.text_value(5000), "One recommendation per row"),
        Column("recommendation_agency_code", "Recommendation: agency code", c.code, ""),
        Column("recommendation_due_on", "Recommendation: due date", c.planned_date, ""),
    ),
)

#: The columns that belong to the application (the first of its rows), not to one complaint or recommendation.
APPLICATION_COLUMNS = [
    column.key
    for column in CASE_REVIEWS.columns
    if not column.key.startswith(("complaint", "complainant", "recommendation")) and column.key != "reference"
]
#: The services' field names -> the layout's columns.
_FIELDS = {
    "received_on": "received_on",
    "channel": "channel",
    "applicant.name": "applicant_name",
    "applicant_role": "applicant_role",
    "consent_given": "consent_given",
    "description": "description",
    "acknowledged_on": "acknowledged_on",
    "decided_on": "decided_on",
    "basis": "decision_basis",
    "reasons": "decision_reasons",
    "met": "decision",
    "arranged_on": "meeting_arranged_on",
    "scheduled_on": "meeting_held_on",
    "held_on": "meeting_held_on",
    "chair_email": "chair_email",
    "minutes": "minutes",
    "outcome_letter_sent_on": "outcome_letter_sent_on",
    "grounds": "appeal_grounds",
    "decision": "appeal_decision",
    "withdrawn_on": "withdrawn_on",
    "reason": "withdrawal_reason",
    "occurred_on": "complaint_occurred_on",
    "reported_on": "complaint_reported_on",
    "agency_code": "complaint_agency_code",
    "due_on": "recommendation_due_on",
    "text": "recommendation",
}
IMPORTED_MINUTES = "Imported: the minutes of this review are held outside the service."
IMPORTED_DESCRIPTION = "Imported from the partnership's Case Review records."


def run_case_reviews(context: Any, rows: Iterator[ParsedRow]) -> None:
    """Rows of one application come together; each group is recorded step by step."""
    group: list[ParsedRow] = []
    seen: set[str] = set()
    for row in rows:
        reference = row.values.get("reference")
        if group and reference != group[0].values.get("reference"):
            _case_review(context, group, seen)
            group = []
        group.append(row)
    if group:
        _case_review(context, group, seen)


def _case_review(context: Any, rows: list[ParsedRow], seen: set[str]) -> None:
    first = rows[0]
    problems = False
    for row in rows:
        problems = context.cell_problems(row) or problems
    reference = first.values.get("reference")
    if problems or not reference:
        for _ in rows:
            context.row_done()
        return
    if reference in seen:
        context.problem(first.number, "reference", f"The rows of {reference} must be together in the file")
        for _ in rows:
            context.row_done()
        return
    seen.add(reference)
    values = dict(first.values)
    for row in rows[1:]:
        for key in APPLICATION_COLUMNS:
            if row.values.get(key) is not None and row.values[key] != values.get(key):
                context.problem(row.number, key, f"Different from the first row of {reference} (row {first.number})")
                problems = True
    for key, label in (("area_code", "area code"), ("received_on", "date received"), ("applicant_name", "applicant")):
        if values.get(key) is None:
            context.problem(first.number, key, f"Enter the {label}")
            problems = True
    if problems:
        for _ in rows:
            context.row_done()
        return
    known = context.find("application", [reference]).get(reference)
    if known is not None:
        context.skipped["applications"] += 1
        for _ in rows:
            context.row_done()
        return
    with context.row(first.number, _FIELDS) as created:
        application = _record(context, values, rows)
        context.remember("application", [(reference, "trigger_applications", application.id)])
        created["applications"] += 1
    for _ in rows[1:]:
        context.row_done()


def _agency(code: str | None, column: str) -> Agency | None:
    if not code:
        return None
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == code))
    if agency is None:
        raise InvalidInput({column: [f"There is no agency with the code {code}"]})
    return agency


def _record(context: Any, values: Mapping[str, Any], rows: list[ParsedRow]) -> Any:
    actor = context.actor
    area = db.session.scalar(sa.select(Area).where(Area.code == values["area_code"]))
    if area is None:
        raise InvalidInput({"area_code": [f"There is no area with the code {values['area_code']}"]})
    if not policies.can_register(actor, area.id):
        raise RuleViolation(f"Your agency does not cover {area.name}: you cannot register its applications.")
    complaints = [
        {
            "complainant_name": row.values["complainant_name"],
            "occurred_on": row.values["complaint_occurred_on"],
            "reported_on": row.values["complaint_reported_on"],
            "agency": _agency(row.values["complaint_agency_code"], "agency_code"),
            "reported_to": None,
            "reference": row.values["complaint_reference"],
            "causes_had": True if row.values["complaint_causes_had"] is None else row.values["complaint_causes_had"],
            "hate_motivated": bool(row.values["complaint_hate_motivated"]),
        }
        for row in rows
        if row.values["complaint_occurred_on"] or row.values["complaint_reported_on"]
    ]
    application = services.register_application(
        actor,
        {
            "area": area,
            "received_on": values["received_on"],
            "channel": values["channel"] or Channel.letter.value,
            "applicant": {"name": values["applicant_name"]},
            "applicant_role": values["applicant_role"] or ApplicantRole.victim.value,
            "consent_given": bool(values["consent_given"]),
            "description": values["description"] or IMPORTED_DESCRIPTION,
            "cases": [],
            "complaints": complaints,
            "send_letter": False,
        },
    )
    if values["acknowledged_on"]:
        services.acknowledge(actor, application, acknowledged_on=values["acknowledged_on"], send_letter=False)
    if values["decision"]:
        met = values["decision"] == "met"
        services.decide_threshold(
            actor,
            application,
            met=met,
            basis=values["decision_basis"] if met else None,
            reasons=values["decision_reasons"],
            decided_on=values["decided_on"],
            send_letter=False,
        )
    if values["meeting_held_on"]:
        chair = db.session.scalar(sa.select(User).where(User.email == (values["chair_email"] or "")))
        if chair is None:
            raise InvalidInput({"chair_email": ["Enter the email address of the chair, a user with the chair role"]})
        meeting = services.arrange_meeting(
            actor,
            application,
            scheduled_on=values["meeting_held_on"],
            chair=chair,
            arranged_on=values["meeting_arranged_on"] or values["decided_on"],
            send_letter=False,
        )
        recommendations = [
            {
                "text": row.values["recommendation"],
                "agency": _agency(row.values["recommendation_agency_code"], "recommendation_agency_code"),
                "due_on": row.values["recommendation_due_on"],
            }
            for row in rows
            if row.values["recommendation"]
        ]
        services.record_outcome(
            actor,
            meeting,
            held_on=values["meeting_held_on"],
            minutes=values["minutes"] or IMPORTED_MINUTES,
            recommendations=recommendations,
            victim_invited=True,
        )
        if values["outcome_letter_sent_on"]:
            # Past work: the letter went out by other means; only its day is recorded.
            services.record_outcome_letter_sent(actor, meeting, sent_on=values["outcome_letter_sent_on"])
    if values["appeal_received_on"]:
        appeal = services.lodge_appeal(
            actor, application, received_on=values["appeal_received_on"], grounds=values["appeal_grounds"] or ""
        )
        if values["appeal_handler"]:
            services.assign_appeal_handler(actor, appeal, handler_name=values["appeal_handler"])
        if values["appeal_decision"]:
            services.decide_appeal(
                actor,
                appeal,
                decision=values["appeal_decision"],
                reasons=values["appeal_reasons"] or "",
                decided_on=values["appeal_decided_on"],
                send_letter=False,
            )
    if values["withdrawn_on"]:
        services.withdraw(
            actor, application, withdrawn_on=values["withdrawn_on"], reason=values["withdrawal_reason"] or ""
        )
    services.settle_past_deadlines(actor, application)
    return application


EXPORTS = [
    ExportList(
        "case_reviews",
        "Case Review register",
        frozenset({Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS}),
        export_register,
    )
]
IMPORTS = [
    ImportKind(
        CASE_REVIEWS,
        frozenset({Permission.IMPORT_RECORDS}),
        run_case_reviews,
        examples=(
            {
                "reference": "CT-2019-03",
                "area_code": "BOL",
                "received_on": "2019-05-02",
                "channel": "letter",
                "applicant_name": "Jane Smith",
                "decision": "met",
                "decision_basis": "automatic",
                "decided_on": "2019-05-20",
                "meeting_held_on": "2019-06-10",
                "chair_email": "chair@example.org",
                "complaint_occurred_on": "2019-04-01",
                "complaint_reported_on": "2019-04-02",
                "complaint_agency_code": "BDC",
                "recommendation": "Install noise monitoring",
                "recommendation_agency_code": "BDC",
                "recommendation_due_on": "2019-07-31",
            },
            {
                "reference": "CT-2019-03",
                "complaint_occurred_on": "2019-04-10",
                "complaint_reported_on": "2019-04-10",
                "complaint_agency_code": "DERPOL",
                "recommendation": "Evening patrols",
                "recommendation_agency_code": "DERPOL",
                "recommendation_due_on": "2019-07-31",
            },
        ),
    )
]
