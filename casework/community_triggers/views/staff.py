"""Staff pages for Case Reviews: the coordinator's board, registering and screening applications,
the application page (threshold working, decision, deadlines, letters, audit trail), the meeting's
arrangements and information requests, appeals and withdrawal.

Views are thin: a form validates the input, a service applies the rules, the view commits. A service's
refusal (a RuleViolation, such as "not met" when the automatic threshold is met) is shown in the
form's error summary, and nothing is written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.accounts.models import User
from casework.accounts.policies import USERS
from casework.accounts.queries import (
    agencies_by_code,
    agencies_serving_area,
    agency_with_code,
    all_agencies,
    area_with_code,
    areas_with_ids,
    chairs_clause,
    names_of_users,
)
from casework.audit.services import record_view
from casework.community_triggers import (
    applicants,
    completeness,
    info_requests,
    letters,
    policies,
    queries,
    review_papers,
    services,
)
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers.forms import (
    AppealDecisionForm,
    AppealForm,
    AppealHandlerForm,
    AttendeeForm,
    DatedForm,
    DecisionForm,
    InformationRequestForm,
    LinkCaseForm,
    MeetingDetailsForm,
    MeetingForm,
    PapersSentForm,
    ScreenOutForm,
    StaffApplicationForm,
    SubmissionForm,
    WithdrawForm,
    choices,
    error_items,
    labels,
)
from casework.community_triggers.models import (
    Appeal,
    ApplicationStatus,
    ReviewMeeting,
    TriggerApplication,
)
from casework.community_triggers.schemas import audit_trail_seen_by, cases_seen, cases_withheld, working_seen_by
from casework.community_triggers.settings import STEP_DESCRIPTIONS
from casework.core import storage, uploads
from casework.core.dates import add_working_days
from casework.core.db import commit, records_view
from casework.core.downloads import file_response
from casework.core.errors import InvalidInput, NotFound
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.documents import layout
from casework.extensions import db
from casework.reminders.models import DeadlineStatus

bp = Blueprint("triggers", __name__, url_prefix="/case-reviews")

STATUS_LABELS = {
    ApplicationStatus.received: "Received",
    ApplicationStatus.screened_out: "Screened out",
    ApplicationStatus.threshold_not_met: "Threshold not met",
    ApplicationStatus.threshold_met: "Threshold met",
    ApplicationStatus.meeting_arranged: "Meeting arranged",
    ApplicationStatus.review_concluded: "Review concluded",
    ApplicationStatus.appealed: "Appealed",
    ApplicationStatus.closed: "Closed",
    ApplicationStatus.withdrawn: "Withdrawn",
}
#: GOV.UK tag colours per deadline state.
DEADLINE_TAGS = {
    "overdue": ("Overdue", "govuk-tag--red"),
    "due_soon": ("Due soon", "govuk-tag--yellow"),
    "due": ("Due", "govuk-tag--blue"),
    "none": ("No deadline", "govuk-tag--grey"),
}
#: A deadline this many working days away or fewer is "due soon".
DUE_SOON_WORKING_DAYS = 2


@bp.app_template_global("trigger_day")
def day_label(value: Any) -> str:
    """A day as "4 January 2027", whether a date or the ISO text a stored evaluation keeps."""
    from casework.core.templating import format_date

    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value)


@bp.app_template_global("trigger_status_label")
def status_label(status: Any) -> str:
    return STATUS_LABELS.get(status, str(status))


def _asked(form: Any) -> bool | None:
    """A ticked "Send the letter now" asks for it; unticked leaves the default (only today's steps)."""
    return True if form.send_letter.data else None


def _letter_note(on: date | None, form: Any, what: str) -> str:
    if services.sends_letters(on, _asked(form)):
        return f" The {what} letter has been produced."
    return " It is dated before today, so no letter was sent (past work is recorded only)."


def _deadline_state(rows: dict[str, Any]) -> tuple[str, str | None, date | None]:
    """The most pressing open deadline: (state, step, due day)."""
    open_rows = sorted(
        ((step, deadline_engine._row_due(row)) for step, row in rows.items() if row.status == DeadlineStatus.open),
        key=lambda pair: pair[1],
    )
    if not open_rows:
        return "none", None, None
    step, due = open_rows[0]
    day = today()
    if due < day:
        return "overdue", step, due
    if due <= add_working_days(day, DUE_SOON_WORKING_DAYS):
        return "due_soon", step, due
    return "due", step, due


# --- the board ---------------------------------------------------------------------------------------


@bp.get("/")
@requires(Permission.VIEW_TRIGGERS)
def board():
    status = request.args.get("status") or ""
    area_code = request.args.get("area") or ""
    deadline = request.args.get("deadline") or ""
    areas = areas_with_ids(current_user.area_ids)
    applications = queries.board_applications(current_user, status=status, area_code=area_code)
    rows = deadline_engine.deadline_rows([a.id for a in applications])
    items = []
    for application in applications:
        state, step, due = _deadline_state(rows[application.id])
        if deadline and state != deadline:
            continue
        items.append(
            {"application": application, "state": state, "step": STEP_DESCRIPTIONS.get(step or "", ""), "due": due}
        )
    stages = [(s, STATUS_LABELS[s]) for s in ApplicationStatus]
    return render_template(
        "community_triggers/staff/board.html",
        title="Case reviews",
        items=items,
        stages=stages,
        areas=areas,
        filters={"status": status, "area": area_code, "deadline": deadline},
        deadline_tags=DEADLINE_TAGS,
    )


# --- registering --------------------------------------------------------------------------------------


def _registration_choices(form: StaffApplicationForm) -> None:
    form.set_choices(areas_with_ids(current_user.area_ids), all_agencies())


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.REGISTER_APPLICATIONS)
def register():
    form = StaffApplicationForm()
    _registration_choices(form)
    status = 200
    if form.is_submitted() and form.add_complaint.data:
        form.complaints.append_entry()
        _registration_choices(form)
    elif form.validate_on_submit():
        area = area_with_code(form.area.data)
        agencies = agencies_by_code()
        if area is None or not policies.can_register(current_user, area.id):
            raise NotFound("Area not found.")
        try:
            application = services.register_application(
                current_user,
                form.application_data(
                    area=area, agencies=agencies, channel=form.channel.data, received_on=form.received_on.data
                ),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash(f"Application {application.reference} registered.", "success")
            return redirect(url_for(".show", application_id=application.id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "community_triggers/staff/register.html",
        title="Register an application",
        form=form,
        errors=error_items(form),
    ), status


# --- the application page -----------------------------------------------------------------------------


def _application(application_id: int, *, manage: bool = False) -> TriggerApplication:
    return policies.get_application_for(current_user, application_id, manage=manage)


@bp.get("/<int:application_id>")
@records_view
@requires(Permission.VIEW_TRIGGERS)
def show(application_id: int):
    application = _application(application_id)
    record_view(current_user, application, f"Viewed application {application.reference}")
    seen = cases_seen(current_user, [application])
    evaluation = None
    if application.decision is None:
        evaluation = working_seen_by(services.evaluate(application).to_dict(), seen)
    applicant_withheld = applicants.is_withheld(current_user, application)
    deadline_list: list[dict[str, Any]] = []
    rows = deadline_engine.deadline_rows([application.id])[application.id]
    for step, row in rows.items():
        deadline_list.append(
            {
                "step": STEP_DESCRIPTIONS.get(step, step),
                "due": deadline_engine._row_due(row),
                "status": row.status.value,
            }
        )
    deadline_list.sort(key=lambda item: item["due"])
    letter_rows = queries.letters_of(application)
    information = queries.information_requests_of(application)
    audit = queries.application_audit(application)
    actors = names_of_users(e.actor_id for e in audit)
    # Its steps are offered while it takes them: not once anonymised under the retention policy.
    can_manage = policies.can_take_steps(current_user, application)
    page = render_template(
        "community_triggers/staff/application.html",
        title=f"Application {application.reference}",
        # Its free text and its review's, as the reader may see them (``applicants.seen``).
        application=applicants.seen(application, applicant_withheld, on_page=True),
        applicant_withheld=applicant_withheld,
        withheld_notice=applicants.WITHHELD_NOTICE,
        # What the application's complaints say of the applicant, withheld with them.
        evaluation=applicants.threshold_seen(evaluation, applicant_withheld),
        stored_evaluation=applicants.threshold_seen(
            working_seen_by(
                (application.decision.evaluation if application.decision else None) or application.threshold_evaluation,
                seen,
            ),
            applicant_withheld,
        ),
        linked_cases=[case for case in application.cases if seen.can_see(case.id)],
        cases_withheld=cases_withheld(application, seen),
        deadlines=deadline_list,
        letters=applicants.seen(letter_rows, applicant_withheld, on_page=True),
        letter_titles=letters.LETTER_TITLES,
        information=information,
        audit=audit_trail_seen_by(current_user, audit, application),
        actors=actors,
        can_manage=can_manage,
        takes_steps=policies.takes_steps(application),
        acknowledge_form=DatedForm(prefix="ack", formdata=None),
        link_form=LinkCaseForm(formdata=None),
        info_form=(
            _info_form(application, formdata=None)
            if can_manage and not deadline_engine.information_stage_ended(application)
            else None
        ),
        owed=info_requests.still_owed([item.id for item in information]),
        # The files an agency submitted are named only to whom its submission is shown.
        readable=info_requests.readable_ids(current_user, information),
        outcome_pending=completeness.outcome_pending(application) is not None,
        lessons_open=any(m.held_on for m in application.meetings),
        # Who else the applicant is would tell who they are: as the reader may know of them.
        repeat=review_papers.repeat_applicant_seen_by(current_user, application, applicant_withheld),
        repeat_handling_label=review_papers.handling_label,
        today=today(),
    )
    commit()  # the view is audited
    return page


def _info_form(application: TriggerApplication, formdata: Any = ...) -> InformationRequestForm:
    form = InformationRequestForm() if formdata is ... else InformationRequestForm(formdata=formdata)
    agencies = agencies_serving_area(application.area_id)
    form.agency.choices = choices([("", "Select an agency")] + [(a.code, a.name) for a in agencies])
    return form


def _step_page(template: str, title: str, application: TriggerApplication, form: Any, status: int = 200, **extra: Any):
    return render_template(
        template, title=title, application=application, form=form, errors=error_items(form), **extra
    ), status


@bp.post("/<int:application_id>/acknowledge")
@requires(Permission.MANAGE_TRIGGERS)
def acknowledge(application_id: int):
    application = _application(application_id, manage=True)
    form = DatedForm(prefix="ack")
    if form.validate_on_submit():
        try:
            services.acknowledge(current_user, application, acknowledged_on=form.on.data, send_letter=_asked(form))
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash("Acknowledged." + _letter_note(form.on.data, form, "acknowledgement"), "success")
            return redirect(url_for(".show", application_id=application.id))
    return _step_page(
        "community_triggers/staff/acknowledge.html", "Acknowledge the application", application, form, 422
    )


@bp.route("/<int:application_id>/screen-out", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def screen_out(application_id: int):
    application = _application(application_id, manage=True)
    form = ScreenOutForm()
    status = 200
    if form.validate_on_submit():
        kind = labels(form.kind)[form.kind.data]
        try:
            services.screen_out(
                current_user,
                application,
                reason=f"{kind}: {form.reason.data}",
                screened_out_on=form.screened_out_on.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("The application has been screened out and the reason recorded.", "success")
            return redirect(url_for(".show", application_id=application.id))
    elif form.is_submitted():
        status = 422
    return _step_page(
        "community_triggers/staff/screen_out.html", "Screen out: not a Case Review", application, form, status
    )


@bp.route("/<int:application_id>/decision", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def decide(application_id: int):
    application = _application(application_id, manage=True)
    form = DecisionForm()
    status = 200
    if form.validate_on_submit():
        met = form.met.data == "yes"
        try:
            services.decide_threshold(
                current_user,
                application,
                met=met,
                basis=form.basis.data if met else None,
                reasons=form.reasons.data,
                decided_on=form.decided_on.data,
                persistence=form.persistence.data or None,
                harm=form.harm.data or None,
                adequacy=form.adequacy.data or None,
                send_letter=_asked(form),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("Decision recorded." + _letter_note(form.decided_on.data, form, "decision"), "success")
            return redirect(url_for(".show", application_id=application.id))
    elif form.is_submitted():
        status = 422
    return _step_page(
        "community_triggers/staff/decide.html",
        "Record the threshold decision",
        application,
        form,
        status,
        evaluation=working_seen_by(services.evaluate(application).to_dict(), cases_seen(current_user, [application])),
    )


@bp.post("/<int:application_id>/cases")
@requires(Permission.MANAGE_TRIGGERS)
def link_case(application_id: int):
    application = _application(application_id, manage=True)
    form = LinkCaseForm()
    if form.validate_on_submit():
        case = queries.visible_case_with_reference(current_user, form.case_reference.data)
        if case is None:
            form.case_reference.errors = ["There is no case with that reference that you can see"]
        else:
            try:
                services.link_cases(current_user, application, [case])
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(form, error)
            else:
                commit()
                flash(f"Case {case.reference} linked: its complaints now count towards the threshold.", "success")
                return redirect(url_for(".show", application_id=application.id))
    return _step_page("community_triggers/staff/link_case.html", "Link a case", application, form, 422)


# --- meetings -------------------------------------------------------------------------------------------


def _chairs() -> list[User]:
    return USERS.all(current_user, chairs_clause(), User.is_active.is_(True), order_by=User.name)


@bp.route("/<int:application_id>/meetings/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def arrange(application_id: int):
    application = _application(application_id, manage=True)
    form = MeetingForm()
    chairs = _chairs()
    form.chair.choices = choices(
        [("", "Select a chair")] + [(str(c.id), f"{c.name} ({c.agency.name})") for c in chairs]
    )
    status = 200
    if form.validate_on_submit():
        chair = USERS.get(current_user, form.chair.data, "chair")
        try:
            meeting = services.arrange_meeting(
                current_user,
                application,
                scheduled_on=form.scheduled_on.data,
                chair=chair,
                arranged_on=form.arranged_on.data,
                location=form.location.data or None,
                send_letter=_asked(form),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash(f"Meeting arranged with {chair.name} as chair.", "success")
            return redirect(url_for(".meeting", application_id=application.id, meeting_id=meeting.id))
    elif form.is_submitted():
        status = 422
    return _step_page("community_triggers/staff/arrange.html", "Arrange the review meeting", application, form, status)


def _meeting(application: TriggerApplication, meeting_id: int) -> ReviewMeeting:
    return policies.get_meeting_for(current_user, application, meeting_id)


@bp.route("/<int:application_id>/meetings/<int:meeting_id>", methods=["GET", "POST"])
@requires(Permission.VIEW_TRIGGERS)
def meeting(application_id: int, meeting_id: int):
    application = _application(application_id, manage=request.method == "POST")
    meeting = _meeting(application, meeting_id)
    # Once the meeting is held its arrangements are settled: the page then records only the day the
    # papers went to the panel, which is often entered afterwards (``review.MEETING_RECORDED_AFTER``).
    form: MeetingDetailsForm | PapersSentForm = (MeetingDetailsForm if meeting.held_on is None else PapersSentForm)(
        obj=None if request.method == "POST" else meeting
    )
    if request.method == "GET":
        form.show_version(meeting.version)
        if isinstance(form, MeetingDetailsForm) and meeting.victim_invited is not None:
            form.victim_invited.data = "yes" if meeting.victim_invited else "no"
    status = 200
    if form.validate_on_submit():
        form.refuse_if_changed(meeting.version)
        fields: dict[str, Any] = {"papers_sent_on": form.papers_sent_on.data}
        if isinstance(form, MeetingDetailsForm):
            fields.update(agenda=form.agenda.data or "", location=form.location.data or "")
            if form.victim_invited.data:
                fields["victim_invited"] = form.victim_invited.data == "yes"
                fields["victim_not_invited_reason"] = form.victim_not_invited_reason.data or ""
        try:
            services.update_meeting(current_user, meeting, **fields)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash(
                "Meeting arrangements saved."
                if isinstance(form, MeetingDetailsForm)
                else "The date the papers were sent is saved.",
                "success",
            )
            return redirect(url_for(".meeting", application_id=application.id, meeting_id=meeting.id))
    elif form.is_submitted():
        status = 422
    attendees = queries.attendees_of(meeting)
    attendee_form = AttendeeForm(formdata=None)
    attendee_form.agency.choices = agency_choices()
    papers_due = add_working_days(meeting.scheduled_on, -2)
    application_seen, meeting_seen, attendees_seen = applicants.seen_by(
        current_user, application, application, meeting, list(attendees), on_page=True
    )
    return render_template(
        "community_triggers/staff/meeting.html",
        title="Review meeting",
        application=application_seen,
        meeting=meeting_seen,
        form=form,
        errors=error_items(form),
        attendees=attendees_seen,
        attendee_form=attendee_form,
        papers_due=papers_due,
        can_manage=policies.can_take_steps(current_user, application),
        takes_steps=policies.takes_steps(application),
    ), status


def attendees_with(meeting: ReviewMeeting, form: AttendeeForm) -> list[dict[str, Any]]:
    """The meeting's attendees plus the one in ``form``, as ``services.update_meeting`` takes them."""
    agencies = agencies_by_code()
    by_id = {a.id: a for a in agencies.values()}
    current = [
        {"name": a.name, "role": a.role, "attended": a.attended, "agency": by_id.get(a.agency_id)}
        for a in queries.attendees_of(meeting)
    ]
    current.append(
        {
            "name": form.name.data,
            "role": form.role.data or None,
            "agency": agencies.get(form.agency.data),
            "attended": True,
        }
    )
    return current


def agency_choices() -> list[Any]:
    agencies = all_agencies()
    return choices([("", "No agency")] + [(a.code, a.name) for a in agencies])


@bp.post("/<int:application_id>/meetings/<int:meeting_id>/attendees")
@requires(Permission.MANAGE_TRIGGERS)
def add_attendee(application_id: int, meeting_id: int):
    application = _application(application_id, manage=True)
    meeting = _meeting(application, meeting_id)
    form = AttendeeForm()
    form.agency.choices = agency_choices()
    if form.validate_on_submit():
        current = attendees_with(meeting, form)
        try:
            services.update_meeting(current_user, meeting, attendees=current)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash(f"{form.name.data} added to the attendees.", "success")
            return redirect(url_for(".meeting", application_id=application.id, meeting_id=meeting.id))
    return _step_page(
        "community_triggers/staff/attendee.html", "Add an attendee", application, form, 422, meeting=meeting
    )


# --- information requests -------------------------------------------------------------------------------


@bp.post("/<int:application_id>/information-requests")
@requires(Permission.MANAGE_TRIGGERS)
def request_information(application_id: int):
    application = _application(application_id, manage=True)
    form = _info_form(application)
    if form.validate_on_submit():
        agency = agency_with_code(form.agency.data)
        try:
            info_requests.request_information(current_user, application, agency, due_on=form.due_on.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash(f"Information requested from {agency.name}.", "success")
            return redirect(url_for(".show", application_id=application.id, _anchor="information"))
    return _step_page(
        "community_triggers/staff/info_request.html", "Request information from an agency", application, form, 422
    )


@bp.get("/information-requests")
@requires(Permission.VIEW_TRIGGERS)
def my_information_requests():
    """What the signed-in officer's agency has been asked for."""
    items = queries.information_requests_to_agency(current_user.agency_id)
    references = queries.references_of_applications(i.application_id for i in items)
    return render_template(
        "community_triggers/staff/info_requests.html",
        title="Information requests for your agency",
        items=items,
        references=references,
        # Their submission page answers as its POST does, refused: listed, not linked.
        anonymised=queries.anonymised_applications(i.application_id for i in items),
        owed=info_requests.still_owed([item.id for item in items]),
        today=today(),
    )


@bp.route("/information-requests/<int:request_id>", methods=["GET", "POST"])
@requires(Permission.VIEW_TRIGGERS)
def submit_information(request_id: int):
    item = info_requests.get_request_for(current_user, request_id)
    application = queries.application_with_id(item.application_id)
    if application is not None:
        # Before the form, shown or sent: a Case Review anonymised under the retention policy takes
        # nothing more, so its page answers as its POST does (no form, no submission key).
        policies.refuse_anonymised(application)
    form = SubmissionForm()
    status = 200
    if form.validate_on_submit():
        upload = form.document.data
        file = None
        if upload is not None and getattr(upload, "filename", None):
            file = (upload.filename, upload.read(uploads.max_upload_bytes() + 1))
        try:
            info_requests.submit(current_user, item, text=form.submission.data, file=file)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("Your agency's information has been submitted.", "success")
            return redirect(url_for(".submit_information", request_id=item.id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "community_triggers/staff/submit_information.html",
        title="Submit your agency's information",
        item=item,
        reference=application.reference,
        form=form,
        errors=error_items(form),
    ), status


@bp.get("/documents/<int:document_id>")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def document(document_id: int):
    """An agency's file: always downloaded, never shown in the browser."""
    document = info_requests.get_document_for(current_user, document_id)
    filename, content_type = document.filename, document.content_type
    content = storage.read(document.stored_file)
    record_view(current_user, ("trigger_documents", document.id), f"Downloaded {filename}")
    commit()
    return file_response(content, filename, content_type, content_security_policy="default-src 'none'; sandbox")


# --- appeal and withdrawal --------------------------------------------------------------------------------


@bp.route("/<int:application_id>/appeal", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def appeal(application_id: int):
    application = _application(application_id, manage=True)
    form = AppealForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.lodge_appeal(
                current_user, application, received_on=form.received_on.data, grounds=form.grounds.data
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("Appeal recorded. Assign a handler who took no part.", "success")
            return redirect(url_for(".show", application_id=application.id, _anchor="appeal"))
    elif form.is_submitted():
        status = 422
    return _step_page(
        "community_triggers/staff/appeal.html",
        "Record an appeal",
        application,
        form,
        status,
        window=services.appeal_window(application),
    )


def _appeal(application: TriggerApplication, appeal_id: int) -> Appeal:
    return queries.appeal_of(application, appeal_id)


@bp.route("/<int:application_id>/appeals/<int:appeal_id>/handler", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def appeal_handler(application_id: int, appeal_id: int):
    application = _application(application_id, manage=True)
    item = _appeal(application, appeal_id)
    form = AppealHandlerForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.assign_appeal_handler(current_user, item, handler_name=form.handler_name.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("Appeal handler recorded.", "success")
            return redirect(url_for(".show", application_id=application.id, _anchor="appeal"))
    elif form.is_submitted():
        status = 422
    return _step_page(
        "community_triggers/staff/appeal_handler.html",
        "Assign the appeal handler",
        application,
        form,
        status,
        appeal=item,
    )


@bp.route("/<int:application_id>/appeals/<int:appeal_id>/decision", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def appeal_decision(application_id: int, appeal_id: int):
    application = _application(application_id, manage=True)
    item = _appeal(application, appeal_id)
    form = AppealDecisionForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.decide_appeal(
                current_user,
                item,
                decision=form.decision.data,
                reasons=form.reasons.data,
                decided_on=form.decided_on.data,
                send_letter=_asked(form),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("Appeal decision recorded. The letter has been produced.", "success")
            return redirect(url_for(".show", application_id=application.id, _anchor="appeal"))
    elif form.is_submitted():
        status = 422
    return _step_page(
        "community_triggers/staff/appeal_decision.html", "Decide the appeal", application, form, status, appeal=item
    )


@bp.route("/<int:application_id>/withdraw", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRIGGERS)
def withdraw(application_id: int):
    application = _application(application_id, manage=True)
    form = WithdrawForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.withdraw(current_user, application, withdrawn_on=form.withdrawn_on.data, reason=form.reason.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            status = 422
        else:
            commit()
            flash("The application has been withdrawn. It is kept and counted in the statistics.", "success")
            return redirect(url_for(".show", application_id=application.id))
    elif form.is_submitted():
        status = 422
    return _step_page("community_triggers/staff/withdraw.html", "Withdraw the application", application, form, status)


# --- letters ----------------------------------------------------------------------------------------------


@bp.get("/<int:application_id>/letters/<int:letter_id>")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def letter(application_id: int, letter_id: int):
    application = _application(application_id)
    item = queries.letter_of(application, letter_id)
    if item is None:
        raise NotFound("Letter not found.")
    record_view(current_user, application, f"Viewed the {letters.LETTER_TITLES[item.kind].lower()} letter")
    # A letter is written to the applicant (or the victim): withheld with their details.
    withheld = applicants.is_withheld(current_user, application)
    page = render_template(
        "community_triggers/staff/letter.html",
        title=f"{letters.LETTER_TITLES[item.kind]} letter",
        application=application,
        letter=item,
        view=None if withheld else letters.letter_view(application, item),
        withheld_notice=applicants.WITHHELD_NOTICE,
        letter_title=letters.LETTER_TITLES[item.kind],
        pdf_available=layout.pdf_available() and not withheld,
    )
    commit()
    return page


@bp.get("/<int:application_id>/letters/<int:letter_id>.pdf")
@records_view
@requires(Permission.VIEW_TRIGGERS, Permission.CHAIR_REVIEWS)
def letter_pdf(application_id: int, letter_id: int):
    application = _application(application_id)
    item = queries.letter_of(application, letter_id)
    if item is None or not layout.pdf_available() or applicants.is_withheld(current_user, application):
        raise NotFound("Letter not found.")
    title = f"{letters.LETTER_TITLES[item.kind]} letter"
    html = render_template("documents/letter_pdf.html", view=letters.letter_view(application, item), title=title)
    content = layout.to_pdf(html)
    filename = f"{application.reference}-{item.kind.value}.pdf"
    record_view(current_user, application, f"Downloaded the {letters.LETTER_TITLES[item.kind].lower()} letter as PDF")
    commit()
    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
