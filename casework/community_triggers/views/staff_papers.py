"""Staff pages for the end of a review and its papers: confirming the review complete (which sends the
outcome letter), the victim's consultation on the action plan, the agenda, the perpetrator
proportionality assessment, the action plan and the county forum's lessons-learnt review, each paper
with a printable page and a PDF.

The area's coordinators and managers, and the meeting's chair, write the agenda and the assessments;
only the coordinators and managers confirm the review complete and record the forum's review. Whoever
may see the application may print its papers. Views are thin: a form validates, a service applies the
rules (the same services the API calls), the view commits.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.audit.services import record_view
from casework.community_triggers import applicants, completeness, letters, policies, queries, review_papers, services
from casework.community_triggers.forms import (
    AgendaForm,
    LessonsReviewForm,
    ProportionalityForm,
    choices,
    completeness_form,
    consultation_form,
    error_items,
)
from casework.community_triggers.models import ProportionalityAssessment, ReviewMeeting, TriggerApplication
from casework.core.db import commit, records_view
from casework.core.errors import Forbidden, InvalidInput, NotFound
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.documents import layout
from casework.extensions import db

bp = Blueprint("trigger_papers", __name__, url_prefix="/case-reviews")

#: The printable papers: (template, title, file name part).
PAPERS = {
    "agenda": ("community_triggers/papers/agenda.html", "Agenda", "agenda"),
    "action_plan": ("community_triggers/papers/action_plan.html", "Action plan", "action-plan"),
    "assessment": (
        "community_triggers/papers/assessment.html",
        "Perpetrator proportionality assessment",
        "proportionality-assessment",
    ),
}


def _meeting(application_id: int, meeting_id: int, *, write: bool = False) -> tuple[TriggerApplication, ReviewMeeting]:
    """The meeting, when its application is visible (404 otherwise); ``write``: the area's coordinators
    and managers or the meeting's chair."""
    application = policies.get_application_for(current_user, application_id)
    meeting = policies.get_meeting_for(current_user, application, meeting_id)
    if write and not (policies.can_manage(current_user, application) or policies.can_chair(current_user, meeting)):
        raise Forbidden("Only the coordinator or the meeting's chair can do this.")
    if write:
        policies.refuse_anonymised(application)
    return application, meeting


def back_to(application: TriggerApplication, meeting: ReviewMeeting) -> str:
    """Where the chair or the coordinator came from."""
    if policies.can_chair(current_user, meeting) and not policies.can_manage(current_user, application):
        return url_for("staff.reviews.show", meeting_id=meeting.id)
    return url_for("staff.triggers.meeting", application_id=application.id, meeting_id=meeting.id)


def _page(
    template: str, title: str, application: TriggerApplication, meeting: Any, form: Any, status: int, **extra: Any
):
    return render_template(
        template,
        title=title,
        application=application,
        meeting=meeting,
        form=form,
        errors=error_items(form),
        back=back_to(application, meeting)
        if meeting is not None
        else url_for("staff.triggers.show", application_id=application.id),
        **extra,
    ), status


# --- completeness --------------------------------------------------------------------------------------


@bp.route("/<int:application_id>/meetings/<int:meeting_id>/complete", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def complete(application_id: int, meeting_id: int):
    """Confirm the review complete; the outcome letter goes out."""
    application = policies.get_application_for(current_user, application_id, manage=True)
    meeting = policies.get_meeting_for(current_user, application, meeting_id)
    checklist = completeness.summary(meeting)
    missing = [item.agency for item in checklist["information"] if not item.is_in and not item.missing_reason]
    form = completeness_form(missing)
    status = 200
    if form.validate_on_submit():
        try:
            completeness.confirm_complete(
                current_user,
                meeting,
                missing_information=form.missing_reasons(missing),
                victim_not_consulted_reason=form.victim_not_consulted_reason.data,
                held_early_reason=form.held_early_reason.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("The review is confirmed complete. The outcome letter has been produced.", "success")
            return redirect(url_for("staff.triggers.show", application_id=application.id, _anchor="letters"))
    elif form.is_submitted():
        status = 422
    return _page(
        "community_triggers/staff/complete.html",
        "Confirm the review is complete",
        application,
        meeting,
        form,
        status,
        checklist=checklist,
        missing=missing,
        victim_copy=letters.victim_gets_a_copy(application),
    )


@bp.route("/<int:application_id>/meetings/<int:meeting_id>/consultation", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def consultation(application_id: int, meeting_id: int):
    """The coordinator records the victim's consultation on the action plan (the chair can too)."""
    application = policies.get_application_for(current_user, application_id, manage=True)
    meeting = policies.get_meeting_for(current_user, application, meeting_id)
    return consultation_page(application, meeting, done=url_for("staff.triggers.show", application_id=application.id))


def consultation_page(application: TriggerApplication, meeting: ReviewMeeting, *, done: str):
    """The consultation form and its handling, shared by the coordinator's and the chair's pages."""
    form = consultation_form(list(meeting.recommendations))
    if request.method == "GET":
        form.show_version(meeting.version)
    status = 200
    if form.validate_on_submit():
        form.refuse_if_changed(meeting.version)
        try:
            services.record_victim_consultation(
                current_user,
                meeting,
                consulted_on=form.consulted_on.data,
                notes=form.notes.data,
                views=form.views(list(meeting.recommendations)),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("The victim's views on the action plan are recorded.", "success")
            return redirect(done)
    elif form.is_submitted():
        status = 422
    return render_template(
        "community_triggers/reviews/consultation.html",
        title="Consult the victim on the action plan",
        meeting=meeting,
        application=application,
        form=form,
        errors=error_items(form),
        back=done,
    ), status


# --- the agenda ----------------------------------------------------------------------------------------


@bp.route("/<int:application_id>/meetings/<int:meeting_id>/agenda", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS, Permission.CHAIR_REVIEWS)
def agenda(application_id: int, meeting_id: int):
    application, meeting = _meeting(application_id, meeting_id, write=True)
    if request.method == "POST":
        form = AgendaForm()
    else:
        form = AgendaForm(
            data={"items": [{"title": i.title, "lead": i.lead, "notes": i.notes} for i in meeting.agenda_items]}
        )
        form.show_version(meeting.version)
    status = 200
    if form.is_submitted() and form.add_item.data:
        form.items.append_entry()
    elif form.validate_on_submit():
        form.refuse_if_changed(meeting.version)
        try:
            review_papers.save_agenda(current_user, meeting, form.rows())
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("The agenda is saved.", "success")
            return redirect(url_for(".agenda_paper", application_id=application.id, meeting_id=meeting.id))
    elif form.is_submitted():
        status = 422
    return _page("community_triggers/papers/agenda_edit.html", "Edit the agenda", application, meeting, form, status)


# --- the perpetrator proportionality assessment --------------------------------------------------------


def _assessment(meeting: ReviewMeeting, assessment_id: int) -> ProportionalityAssessment:
    return queries.assessment_of(meeting, assessment_id)


@bp.route("/<int:application_id>/meetings/<int:meeting_id>/proportionality/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS, Permission.CHAIR_REVIEWS)
def new_assessment(application_id: int, meeting_id: int):
    application, meeting = _meeting(application_id, meeting_id, write=True)
    return _assessment_page(application, meeting, None)


@bp.route(
    "/<int:application_id>/meetings/<int:meeting_id>/proportionality/<int:assessment_id>/edit",
    methods=["GET", "POST"],
)
@requires(Permission.MANAGE_TRIGGERS, Permission.CHAIR_REVIEWS)
def edit_assessment(application_id: int, meeting_id: int, assessment_id: int):
    application, meeting = _meeting(application_id, meeting_id, write=True)
    return _assessment_page(application, meeting, _assessment(meeting, assessment_id))


def _assessment_page(
    application: TriggerApplication, meeting: ReviewMeeting, assessment: ProportionalityAssessment | None
):
    people = review_papers.perpetrators(application, current_user)
    if request.method == "POST" or assessment is None:
        form = ProportionalityForm()
    else:
        form = ProportionalityForm(obj=assessment)
        form.person.data = str(assessment.person_id) if assessment.person_id else ""
        if assessment.person_id is None:
            form.subject_name.data = assessment.subject_name
        form.assessed_on.data = assessment.assessed_on
        form.show_version(assessment.version)
    form.person.choices = choices(
        [("", "Someone not listed (enter their name)")] + [(str(p.id), p.name) for p in people]
    )
    status = 200
    if form.validate_on_submit():
        if assessment is not None:
            form.refuse_if_changed(assessment.version)
        by_id = {str(p.id): p for p in people}
        person = by_id.get(form.person.data or "")
        try:
            saved = review_papers.save_proportionality_assessment(
                current_user,
                meeting,
                assessment=assessment,
                subject_name=person.name if person is not None else form.subject_name.data,
                person_id=person.id if person is not None else None,
                conclusion=form.conclusion.data,
                assessed_on=form.assessed_on.data,
                **{name: form[name].data for name in review_papers.FACTOR_FIELDS},
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash(f"The proportionality assessment of {saved.subject_name} is saved.", "success")
            return redirect(
                url_for(
                    ".assessment_paper", application_id=application.id, meeting_id=meeting.id, assessment_id=saved.id
                )
            )
    elif form.is_submitted():
        status = 422
    return _page(
        "community_triggers/papers/assessment_edit.html",
        "Perpetrator proportionality assessment",
        application,
        meeting,
        form,
        status,
        factors=review_papers.PROPORTIONALITY_FACTORS,
        assessment=assessment,
    )


# --- the printable papers ------------------------------------------------------------------------------


def _paper_context(
    application: TriggerApplication, meeting: ReviewMeeting, paper: str, assessment_id: int | None = None
) -> dict[str, Any]:
    """The paper's records as the reader may see them (``applicants.seen``): the page and the PDF alike."""
    _template, title, _ = PAPERS[paper]
    withheld = applicants.is_withheld(current_user, application)
    context: dict[str, Any] = {
        "application": applicants.seen(application, withheld, on_page=True),
        "meeting": applicants.seen(meeting, withheld, on_page=True),
        "paper_title": title,
    }
    if paper == "assessment":
        context["assessment"] = applicants.seen(_assessment(meeting, assessment_id), withheld, on_page=True)
        context["factors"] = review_papers.PROPORTIONALITY_FACTORS
    return context


def _paper_page(application_id: int, meeting_id: int, paper: str, assessment_id: int | None = None):
    """A paper as a printable page (the browser's print command), with a link to its PDF."""
    application, meeting = _meeting(application_id, meeting_id)
    context = _paper_context(application, meeting, paper, assessment_id)
    template, title, _ = PAPERS[paper]
    record_view(current_user, application, f"Viewed the {title.lower()} of {application.reference}")
    can_write = policies.can_manage(current_user, application) or policies.can_chair(current_user, meeting)
    pdf_endpoint = {"agenda": ".agenda_pdf", "action_plan": ".action_plan_pdf", "assessment": ".assessment_pdf"}[paper]
    pdf_args: dict[str, Any] = {"application_id": application.id, "meeting_id": meeting.id}
    if assessment_id:
        pdf_args["assessment_id"] = assessment_id
    page = render_template(
        "community_triggers/papers/page.html",
        title=f"{title}: {application.reference}",
        paper_template=template,
        paper=paper,
        pdf_url=url_for(pdf_endpoint, **pdf_args),
        pdf_available=layout.pdf_available(),
        can_write=can_write and meeting.completeness_confirmed_on is None and policies.takes_steps(application),
        back=back_to(application, meeting)
        if can_write
        else url_for("staff.triggers.show", application_id=application.id),
        **context,
    )
    commit()
    return page


def _paper_pdf(application_id: int, meeting_id: int, paper: str, assessment_id: int | None = None):
    application, meeting = _meeting(application_id, meeting_id)
    if not layout.pdf_available():
        raise NotFound("PDFs are not available on this server.")
    context = _paper_context(application, meeting, paper, assessment_id)
    template, title, filename = PAPERS[paper]
    html = render_template("community_triggers/papers/pdf.html", paper_template=template, **context)
    content = review_papers.paper_pdf(html)
    record_view(current_user, application, f"Downloaded the {title.lower()} of {application.reference} as PDF")
    commit()
    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{application.reference}-{filename}.pdf"'},
    )


MEETING = "/<int:application_id>/meetings/<int:meeting_id>"


@bp.get(f"{MEETING}/agenda/print")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def agenda_paper(application_id: int, meeting_id: int):
    return _paper_page(application_id, meeting_id, "agenda")


@bp.get(f"{MEETING}/agenda.pdf")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def agenda_pdf(application_id: int, meeting_id: int):
    return _paper_pdf(application_id, meeting_id, "agenda")


@bp.get(f"{MEETING}/action-plan")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def action_plan_paper(application_id: int, meeting_id: int):
    return _paper_page(application_id, meeting_id, "action_plan")


@bp.get(f"{MEETING}/action-plan.pdf")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def action_plan_pdf(application_id: int, meeting_id: int):
    return _paper_pdf(application_id, meeting_id, "action_plan")


@bp.get(f"{MEETING}/proportionality/<int:assessment_id>")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def assessment_paper(application_id: int, meeting_id: int, assessment_id: int):
    return _paper_page(application_id, meeting_id, "assessment", assessment_id)


@bp.get(f"{MEETING}/proportionality/<int:assessment_id>.pdf")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def assessment_pdf(application_id: int, meeting_id: int, assessment_id: int):
    return _paper_pdf(application_id, meeting_id, "assessment", assessment_id)


# --- the county forum's lessons-learnt review ----------------------------------------------------------


@bp.route("/<int:application_id>/lessons", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def lessons(application_id: int):
    application = policies.get_application_for(current_user, application_id, manage=True)
    form = LessonsReviewForm()
    status = 200
    if form.validate_on_submit():
        try:
            review_papers.record_lessons_review(
                current_user,
                application,
                forum=form.forum.data,
                reviewed_on=form.reviewed_on.data,
                lessons=form.lessons.data,
                shared_with=form.shared_with.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("The forum's lessons-learnt review is recorded.", "success")
            return redirect(url_for("staff.triggers.show", application_id=application.id, _anchor="lessons"))
    elif form.is_submitted():
        status = 422
    return _page(
        "community_triggers/staff/lessons.html",
        "Record the forum's lessons-learnt review",
        application,
        None,
        form,
        status,
    )
