"""The papers of a Case Review as structured records, after the Derbyshire procedure's templates: the
meeting's agenda (set out with the standard items), the action plan (each recommendation with its
agency, owner, due date and the victim's view), the perpetrator proportionality assessment (each factor
with a note, and a conclusion), the county ASB forum's lessons-learnt review of a concluded review, and
how an area handles a complainant with many applications.

Services in the house style: plain arguments and the acting user, validate, flush, audit, raise domain
errors; the views commit. Each record has a printable form (``templates/community_triggers/papers``)
and a PDF made with WeasyPrint, as letters are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import User
from casework.accounts.services import area_settings, area_settings_on_days
from casework.audit.services import record_change, snapshot
from casework.community_triggers.models import (
    AgendaItem,
    LessonsReview,
    ProportionalityAssessment,
    RepeatHandling,
    ReviewMeeting,
    TriggerApplication,
)
from casework.community_triggers.settings import (
    REPEAT_APPLICATIONS_COUNT,
    REPEAT_APPLICATIONS_HANDLING,
    REPEAT_APPLICATIONS_MONTHS,
)
from casework.core.dates import within_months_beginning_with
from casework.core.errors import InvalidInput, RuleViolation
from casework.core.time import now
from casework.extensions import db

#: The Case Review agenda's standard items (the Derbyshire agenda template), with who usually leads.
STANDARD_AGENDA: tuple[tuple[str, str], ...] = (
    ("Welcome, introductions and apologies", "Chair"),
    ("Confidentiality, and the purpose of an ASB Case Review", "Chair"),
    ("The application: what the victim has experienced and what they want from the review", "Coordinator"),
    ("Each agency's information and the action it has taken", "Each agency"),
    ("The victim's views, in person, through a representative or in writing", "Victim or representative"),
    ("Perpetrator proportionality assessment", "Chair"),
    ("Has the response been adequate? Lessons for the agencies", "Chair"),
    ("Recommendations and the action plan: agency, owner and due date for each", "Chair"),
    ("How the outcome and the action plan go to the applicant and the victim", "Coordinator"),
    ("Any other business", "Chair"),
)

#: The factors of the perpetrator proportionality assessment (the Derbyshire template), in order.
PROPORTIONALITY_FACTORS: tuple[tuple[str, str, str], ...] = (
    ("age_note", "Age", "Their age, and whether youth justice or children's services should be involved"),
    (
        "vulnerability_note",
        "Vulnerability and capacity",
        "Mental health, disability, substance use, exploitation; whether they understand the consequences",
    ),
    (
        "consequences_note",
        "Housing and other consequences",
        "What the proposed action would mean for their tenancy, household, employment or care",
    ),
    (
        "previous_interventions_note",
        "Previous interventions and their effect",
        "What has been tried (warnings, contracts, notices, support) and whether it changed the behaviour",
    ),
    ("victim_view_note", "The victim's view", "What the victim wants to happen and what they think is fair"),
)
FACTOR_FIELDS = tuple(name for name, _label, _hint in PROPORTIONALITY_FACTORS)

REPEAT_HANDLING_LABELS = {
    RepeatHandling.record: "Recorded on the application only",
    RepeatHandling.read_together: "The coordinator reads the earlier applications together with this one",
    RepeatHandling.single_point_of_contact: "One named officer is the applicant's single point of contact",
}

AGENDA_AUDIT = ("position", "title", "lead", "notes")
ASSESSMENT_AUDIT = ("subject_name", "person_id", *FACTOR_FIELDS, "conclusion", "assessed_on")
LESSONS_AUDIT = ("forum", "reviewed_on", "lessons", "shared_with")


def _clean(value: Any) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _require_open_record(meeting: ReviewMeeting) -> None:
    if meeting.completeness_confirmed_on is not None:
        raise RuleViolation("The review has been confirmed complete: its papers can no longer be changed.")
    if meeting.application.status.value in {"withdrawn", "screened_out"}:
        raise RuleViolation("The application has ended.")


# --- the agenda --------------------------------------------------------------------------------------


def set_out_standard_agenda(meeting: ReviewMeeting) -> None:
    """The standard items, when the meeting is arranged."""
    meeting.agenda_items = [
        AgendaItem(position=index, title=title, lead=lead) for index, (title, lead) in enumerate(STANDARD_AGENDA, 1)
    ]


def save_agenda(actor: User | None, meeting: ReviewMeeting, items: Sequence[Mapping[str, Any]]) -> ReviewMeeting:
    """Replace the agenda with ``items`` [{title, lead, notes}] in order (notes may be filled in at the
    meeting). Until the review is confirmed complete."""
    _require_open_record(meeting)
    errors: dict[str, list[str]] = {}
    rows = []
    for index, item in enumerate(items):
        title = _clean(item.get("title"))
        if title is None:
            if _clean(item.get("lead")) or _clean(item.get("notes")):
                errors[f"agenda_items.{index}.title"] = ["Enter the item's title."]
            continue
        if len(title) > 300:
            errors[f"agenda_items.{index}.title"] = ["The title must be 300 characters or fewer."]
        rows.append({"title": title, "lead": _clean(item.get("lead")), "notes": _clean(item.get("notes"))})
    if not rows and not errors:
        errors["agenda_items"] = ["The agenda needs at least one item."]
    if errors:
        raise InvalidInput(errors)
    before = [snapshot(item, AGENDA_AUDIT) for item in meeting.agenda_items]
    meeting.agenda_items = [AgendaItem(position=index, **row) for index, row in enumerate(rows, 1)]
    # The items are rows of their own: touching the meeting gives it a new version, so that a save of
    # an agenda read before this one is refused ("changed since you read it"), on the page and the API.
    meeting.updated_at = now()
    db.session.flush()
    record_change(
        actor,
        meeting,
        {"agenda_items": before},
        {"agenda_items": [snapshot(item, AGENDA_AUDIT) for item in meeting.agenda_items]},
        f"Agenda of the meeting for {meeting.application.reference}",
    )
    return meeting


# --- the perpetrator proportionality assessment ------------------------------------------------------


def save_proportionality_assessment(
    actor: User | None,
    meeting: ReviewMeeting,
    *,
    assessment: ProportionalityAssessment | None = None,
    subject_name: str | None,
    conclusion: str | None,
    assessed_on: date | None,
    person_id: int | None = None,
    **factors: str | None,
) -> ProportionalityAssessment:
    """Record (or, given ``assessment``, change) a perpetrator proportionality assessment: each factor's
    note (``FACTOR_FIELDS``) and the conclusion. Until the review is confirmed complete."""
    from casework.community_triggers.services import event_date_errors

    _require_open_record(meeting)
    unknown = set(factors) - set(FACTOR_FIELDS)
    if unknown:
        raise InvalidInput({name: ["Unknown field."] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    if not _clean(subject_name):
        errors["subject_name"] = ["Enter the name of the person the assessment is about."]
    if not _clean(conclusion):
        errors["conclusion"] = ["Enter the conclusion: whether the proposed actions are proportionate."]
    if not any(_clean(factors.get(name)) for name in FACTOR_FIELDS):
        errors["factors"] = ["Note at least one factor."]
    errors.update(
        event_date_errors(
            assessed_on,
            "assessed_on",
            "of the assessment",
            not_before=[(meeting.arranged_on, "the day the meeting was arranged")],
        )
    )
    if errors:
        raise InvalidInput(errors)
    before = snapshot(assessment, ASSESSMENT_AUDIT) if assessment is not None else None
    if assessment is None:
        assessment = ProportionalityAssessment(meeting=meeting, assessed_by_id=getattr(actor, "id", None))
        db.session.add(assessment)
    assessment.subject_name = _clean(subject_name)
    assessment.person_id = person_id
    assessment.conclusion = _clean(conclusion)
    assessment.assessed_on = assessed_on
    for name in FACTOR_FIELDS:
        setattr(assessment, name, _clean(factors.get(name)))
    db.session.flush()
    record_change(
        actor,
        assessment,
        before,
        snapshot(assessment, ASSESSMENT_AUDIT),
        # An entry about another record names a person by number (DEVELOPMENT.md, "Audit"), or not at
        # all (a typed name): a summary cannot be rewritten later, only erased whole, its hash being
        # chained. The name is among the entry's changes, erased with the Case Review's record, as the
        # assessment's own copy of it is.
        f"Proportionality assessment of person {assessment.person_id} for {meeting.application.reference}"
        if assessment.person_id is not None
        else f"Proportionality assessment for {meeting.application.reference}",
    )
    return assessment


def perpetrators(application: TriggerApplication, user: Any) -> list[Any]:
    """The alleged perpetrators on the linked cases (people an assessment may be about) whom ``user``
    may see, one query: an independent chair from another agency is not shown the names on a case
    they could not open (they type the name instead)."""
    from casework.cases.models import CaseParty, PartyRole, Person
    from casework.cases.policies import visible_people_clause

    case_ids = [case.id for case in application.cases]
    if not case_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(
                Person.id.in_(
                    sa.select(CaseParty.person_id).where(
                        CaseParty.case_id.in_(case_ids), CaseParty.role == PartyRole.perpetrator
                    )
                ),
                visible_people_clause(user),
            )
            .order_by(Person.name)
        )
    )


# --- the county forum's lessons-learnt review --------------------------------------------------------


def record_lessons_review(
    actor: User | None,
    application: TriggerApplication,
    *,
    forum: str | None,
    reviewed_on: date | None,
    lessons: str | None,
    shared_with: str | None = None,
) -> LessonsReview:
    """The county ASB forum's lessons-learnt review of a concluded review, recorded on the application."""
    from casework.community_triggers.services import event_date_errors

    held = [meeting.held_on for meeting in application.meetings if meeting.held_on is not None]
    if not held:
        raise RuleViolation("The forum reviews concluded Case Reviews: no review meeting has been held yet.")
    errors = event_date_errors(
        reviewed_on, "reviewed_on", "of the forum's review", not_before=[(max(held), "the review meeting")]
    )
    if not _clean(forum):
        errors["forum"] = ["Enter the forum that reviewed it."]
    if not _clean(lessons):
        errors["lessons"] = ["Enter the lessons learnt, or that there were none."]
    if errors:
        raise InvalidInput(errors)
    review = LessonsReview(
        application=application,
        forum=_clean(forum),
        reviewed_on=reviewed_on,
        lessons=_clean(lessons),
        shared_with=_clean(shared_with),
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(review)
    db.session.flush()
    record_change(
        actor, review, None, snapshot(review, LESSONS_AUDIT), f"Lessons-learnt review of {application.reference}"
    )
    return review


# --- a complainant with many applications ------------------------------------------------------------


def earlier_applications(application: TriggerApplication, months: int) -> list[TriggerApplication]:
    """The applicant's other applications in the area received earlier, within ``months`` beginning
    with each (by email address when one was given, otherwise by name compared as the threshold compares
    names). One query, on the area and receipt index."""
    # ``area.id``: a new application is not flushed yet, so its ``area_id`` is not set.
    query = sa.select(TriggerApplication).where(
        TriggerApplication.area_id == application.area.id,
        TriggerApplication.received_on >= application.received_on - timedelta(days=31 * months),
        TriggerApplication.received_on <= application.received_on,
    )
    return [
        row
        for row in db.session.scalars(query.order_by(TriggerApplication.received_on, TriggerApplication.id))
        if _is_earlier_by_the_same_applicant(row, application, months)
    ]


def _is_earlier_by_the_same_applicant(row: TriggerApplication, application: TriggerApplication, months: int) -> bool:
    """Whether ``row`` (an application of ``application``'s area) is another by its applicant (by email
    address when one was given, otherwise by name compared as the threshold compares names), received
    earlier within ``months`` beginning with it."""
    from casework.community_triggers.threshold import normalise_complainant_name

    if row is application or (application.id is not None and row.id == application.id):
        return False
    if not (
        application.received_on - timedelta(days=31 * months) <= row.received_on <= application.received_on
        and within_months_beginning_with(row.received_on, months, application.received_on)
    ):
        return False
    wanted_email = (application.applicant_email or "").strip().lower()
    if wanted_email:
        return (row.applicant_email or "").strip().lower() == wanted_email
    return normalise_complainant_name(row.applicant_name) == normalise_complainant_name(application.applicant_name)


def note_repeat_applicant(application: TriggerApplication) -> None:
    """Record on the application how the area handles a complainant with many applications, when the
    applicant has reached the area's number. Never refuses: the right to apply is statutory."""
    settings = area_settings(application.area, on=application.received_on)
    threshold = settings[REPEAT_APPLICATIONS_COUNT]
    if not threshold:
        return
    earlier = earlier_applications(application, settings[REPEAT_APPLICATIONS_MONTHS])
    if len(earlier) + 1 >= threshold:
        application.earlier_applications = len(earlier)
        application.repeat_handling = RepeatHandling(settings[REPEAT_APPLICATIONS_HANDLING])


@dataclass(frozen=True)
class RepeatApplicant:
    """What a reader is told of the applicant's other applications: the earlier ones named on the
    application's page, how many there were (``earlier_applications``) and the area's handling
    (``repeat_handling``); nothing (``None``) when the applicant is not one with many applications
    as far as the reader may know."""

    earlier: list[TriggerApplication] = field(default_factory=list)
    count: int | None = None
    handling: RepeatHandling | None = None


def repeat_applicant_seen_by(user: Any, application: TriggerApplication, withheld: bool) -> RepeatApplicant:
    """The applicant's other applications as ``user`` may know of them (``withheld``: the applicant of
    ``application`` is withheld from them, ``applicants.is_withheld``): ``repeat_applicants_seen_by``
    for one application."""
    return repeat_applicants_seen_by(user, [application], {application.id} if withheld else set())[application.id]


def repeat_applicants_seen_by(
    user: Any, applications: Sequence[TriggerApplication], withheld_ids: Collection[int]
) -> dict[int, RepeatApplicant]:
    """Each application's applicant's other applications as ``user`` may know of them, by application id
    (``withheld_ids``: the applications whose applicant is withheld from them, ``applicants.withheld_ids``).
    At most three statements however many applications there are (a list runs a fixed number): the
    areas' settings on each application's day, the earlier applications in each area's window, and which
    of them the reader may read with their applicant.

    Who else an applicant is would tell who they are. To a reader the applicant is withheld from,
    nothing is said, as for an applicant with no other application. An earlier application the reader
    may not read with its applicant (``applicants.readable_ids``: linked to a restricted case they may
    not see, say, or not one a chair chairs) is left out as if it had not been made: naming or counting
    it beside this applicant would tell them who applied about that case, and registering an
    application with a guessed email address would tell them whether a hidden person applied. The
    count and the handling are then the reader's own, given only when the applications they may read
    reach the area's number. Those who run the review are
    withheld nothing, and read what was recorded when the application arrived."""
    answers = {application.id: RepeatApplicant() for application in applications}
    repeats = [a for a in applications if a.repeat_handling is not None and a.id not in withheld_ids]
    if not repeats:
        return answers
    settings = area_settings_on_days((a.area_id, a.received_on) for a in repeats)
    months = {a.id: settings[(a.area_id, a.received_on)][REPEAT_APPLICATIONS_MONTHS] for a in repeats}
    earlier = _earlier_applications_of(repeats, months)
    from casework.community_triggers import applicants

    readable = applicants.readable_ids(user, {other.id for others in earlier.values() for other in others})
    for application in repeats:
        others = earlier[application.id]
        seen = [other for other in others if other.id in readable]
        if len(seen) == len(others):
            answers[application.id] = RepeatApplicant(
                others, application.earlier_applications, application.repeat_handling
            )
            continue
        number = settings[(application.area_id, application.received_on)][REPEAT_APPLICATIONS_COUNT]
        if number and len(seen) + 1 >= number:
            answers[application.id] = RepeatApplicant(seen, len(seen), application.repeat_handling)
    return answers


def _earlier_applications_of(
    applications: Sequence[TriggerApplication], months: Mapping[int, int]
) -> dict[int, list[TriggerApplication]]:
    """``earlier_applications(application, months[application.id])`` for each of ``applications`` (saved
    ones), in one statement: each area's applications received within the widest of its windows, on the
    area and receipt index, sorted out to each application as ``earlier_applications`` chooses them."""
    windows: dict[int, tuple[date, date]] = {}
    for application in applications:
        start = application.received_on - timedelta(days=31 * months[application.id])
        low, high = windows.get(application.area_id, (start, application.received_on))
        windows[application.area_id] = (min(low, start), max(high, application.received_on))
    rows = db.session.scalars(
        sa.select(TriggerApplication)
        .where(
            sa.or_(
                *(
                    sa.and_(
                        TriggerApplication.area_id == area_id,
                        TriggerApplication.received_on >= low,
                        TriggerApplication.received_on <= high,
                    )
                    for area_id, (low, high) in sorted(windows.items())
                )
            )
        )
        .order_by(TriggerApplication.received_on, TriggerApplication.id)
    ).all()
    return {
        application.id: [
            row
            for row in rows
            if row.area_id == application.area_id
            and _is_earlier_by_the_same_applicant(row, application, months[application.id])
        ]
        for application in applications
    }


def handling_label(value: Any) -> str:
    try:
        return REPEAT_HANDLING_LABELS[RepeatHandling(value)]
    except ValueError:
        return str(value)


# --- PDF -------------------------------------------------------------------------------------------------
# The papers are forms (tables), not letters: WeasyPrint with their own small stylesheet
# (templates/community_triggers/papers/pdf.html); where Pango is missing (``layout.pdf_available``) the
# printable page remains.

_PAPER_PDF_CSS = """
@page { size: A4; margin: 25mm 20mm; }
body { font-family: Arial, sans-serif; font-size: 11pt; line-height: 1.45; color: #0b0c0c; }
h1 { font-size: 13pt; margin: 0 0 12pt; }
.app-preserve-lines { white-space: pre-line; }
h2 { font-size: 12pt; margin: 14pt 0 6pt; }
table { width: 100%; border-collapse: collapse; margin: 0 0 12pt; }
caption { text-align: left; font-weight: bold; margin-bottom: 4pt; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #b1b4b6; padding: 4pt 6pt 4pt 0; }
"""


def paper_pdf(html: str) -> bytes:
    """A review paper's printable HTML as an A4 PDF."""
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=_PAPER_PDF_CSS)])


# --- merging people ----------------------------------------------------------------------------------------


def move_person_records(merge: Any) -> None:
    """A proportionality assessment about the merged person is about the kept one (recorded, so an
    undo moves it back)."""
    ids = list(
        db.session.scalars(
            sa.select(ProportionalityAssessment.id).where(ProportionalityAssessment.person_id == merge.merged_id)
        )
    )
    db.session.execute(
        sa.update(ProportionalityAssessment)
        .where(ProportionalityAssessment.id.in_(ids))
        .values(person_id=merge.kept_id)
    )
    merge.record("trigger_proportionality_assessments", ids)


def restore_person_records(merge: Any) -> None:
    db.session.execute(
        sa.update(ProportionalityAssessment)
        .where(ProportionalityAssessment.id.in_(merge.ids("trigger_proportionality_assessments")))
        .values(person_id=merge.merged_id)
    )
