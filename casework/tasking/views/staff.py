"""Tasking meeting pages: the list, setting up a series, the meeting (agenda, attendance, each case),
the minutes (page and PDF), and nominating a case from its page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from casework.accounts.models import Area, User
from casework.accounts.policies import USERS
from casework.actions.queries import agencies_working_on
from casework.cases.policies import case_readers_clause, get_case_for, refuse_anonymised, takes_writes
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound, not_found_as
from casework.core.forms import ConfirmForm, show_service_errors
from casework.core.inputs import is_digits
from casework.core.permissions import Permission, requires
from casework.documents import layout
from casework.extensions import db
from casework.tasking import policies, queries, services
from casework.tasking.agenda import REASON_LABELS
from casework.tasking.forms import (
    AddCaseForm,
    AllocateForm,
    AttendanceForm,
    ItemForm,
    MeetingForm,
    MoveForm,
    NominateForm,
    SeriesForm,
)
from casework.tasking.models import (
    AgendaReason,
    AttendanceStatus,
    MeetingStatus,
    TaskingMeeting,
)

bp = Blueprint("tasking", __name__)

ATTENDANCE_LABELS = {
    AttendanceStatus.attended: "Attended",
    AttendanceStatus.apologies: "Apologies",
    AttendanceStatus.absent: "Absent",
}


def _labels(reasons: list[str]) -> list[str]:
    return [REASON_LABELS[AgendaReason(r)] for r in reasons]


@bp.get("/tasking")
@requires(Permission.VIEW_CASES)
def index():
    series = queries.visible_series(current_user)
    meetings = queries.latest_meetings_of([s.id for s in series])
    by_series: dict[int, list[TaskingMeeting]] = {}
    for meeting in meetings:
        by_series.setdefault(meeting.series_id, []).append(meeting)
    return render_template(
        "tasking/index.html", series=series, by_series=by_series, can_run=policies.can_run(current_user)
    )


def _area_choices() -> list[Area]:
    return queries.areas_of_agency(current_user.agency_id)


@bp.route("/tasking/new", methods=["GET", "POST"])
@requires(Permission.RUN_TASKING_MEETINGS)
def new_series():
    areas = _area_choices()
    area_ids = [a.id for a in areas]
    agencies = queries.agencies_covering(area_ids)
    form = SeriesForm()
    form.area_id.choices = [SelectChoice("", "Choose an area")] + [SelectChoice(str(a.id), a.name) for a in areas]
    form.agency_ids.choices = [SelectChoice(str(a.id), a.name) for a in agencies]
    if request.method == "GET":
        form.agency_ids.data = [str(current_user.agency_id)]
        form.interval_days.data = 7
    if form.validate_on_submit():
        area = next((a for a in areas if str(a.id) == form.area_id.data), None)
        chosen = [a for a in agencies if str(a.id) in set(form.agency_ids.data or [])]
        if area is None:
            form.area_id.errors = ["Choose an area your agency works in"]
        else:
            try:
                series = services.create_series(
                    current_user, area=area, name=form.name.data, interval_days=form.interval_days.data, agencies=chosen
                )
                meeting = services.schedule_meeting(current_user, series, form.held_on.data)
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(form, error)
            else:
                commit()
                flash("Tasking meeting set up", "success")
                return redirect(url_for(".meeting", tasking_meeting_id=meeting.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("tasking/new_series.html", form=form), status


@bp.route("/tasking/series/<int:series_id>/meetings/new", methods=["GET", "POST"])
@requires(Permission.RUN_TASKING_MEETINGS)
def new_meeting(series_id: int):
    series = policies.get_series_for(current_user, series_id, run=True)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = services.schedule_meeting(current_user, series, form.held_on.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash("Meeting scheduled and its agenda built", "success")
            return redirect(url_for(".meeting", tasking_meeting_id=meeting.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("tasking/new_meeting.html", form=form, series=series), status


def _representatives(meeting: TaskingMeeting) -> dict[int, list[User]]:
    agency_ids = [row.agency_id for row in meeting.attendance]
    people: dict[int, list[User]] = {}
    for user in USERS.all(current_user, User.agency_id.in_(agency_ids), order_by=User.name):
        people.setdefault(user.agency_id, []).append(user)
    return people


def _show_meeting(
    meeting: TaskingMeeting, *, add_form: Any = None, attendance_errors: dict | None = None, status: int = 200
):
    can_run = policies.can_run(current_user) and meeting.status is MeetingStatus.planned
    return render_template(
        "tasking/meeting.html",
        meeting=meeting,
        view=services.meeting_view(current_user, meeting),
        labels=_labels,
        can_run=can_run,
        is_chair=policies.can_run(current_user),
        add_form=add_form or AddCaseForm(),
        confirm_form=ConfirmForm(),
        attendance_labels=ATTENDANCE_LABELS,
        representatives=_representatives(meeting) if can_run else {},
        attendance_errors=attendance_errors or {},
    ), status


@bp.get("/tasking/meetings/<int:tasking_meeting_id>")
@requires(Permission.VIEW_CASES)
def meeting(tasking_meeting_id: int):
    return _show_meeting(policies.get_meeting_for(current_user, tasking_meeting_id))


@bp.post("/tasking/meetings/<int:tasking_meeting_id>/agenda/refresh")
@requires(Permission.RUN_TASKING_MEETINGS)
def refresh_agenda(tasking_meeting_id: int):
    meeting = policies.get_meeting_for(current_user, tasking_meeting_id, run=True)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _show_meeting(meeting, status=400)
    try:
        added = services.build_agenda(meeting)
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".meeting", tasking_meeting_id=tasking_meeting_id))
    commit()
    flash(f"Agenda brought up to date: {added} case{'s' if added != 1 else ''} added", "success")
    return redirect(url_for(".meeting", tasking_meeting_id=meeting.id))


@bp.post("/tasking/meetings/<int:tasking_meeting_id>/agenda/add")
@requires(Permission.RUN_TASKING_MEETINGS)
def add_case(tasking_meeting_id: int):
    meeting = policies.get_meeting_for(current_user, tasking_meeting_id, run=True)
    form = AddCaseForm()
    if form.validate_on_submit():
        try:
            services.add_case(current_user, meeting, form.reference.data)
        except InvalidInput as error:
            db.session.rollback()
            form.reference.errors = [*form.reference.errors, *[m for ms in error.errors.values() for m in ms]]
            meeting = policies.get_meeting_for(current_user, tasking_meeting_id)
        else:
            commit()
            flash("Case added to the agenda", "success")
            return redirect(url_for(".meeting", tasking_meeting_id=meeting.id))
    return _show_meeting(meeting, add_form=form, status=422)


@bp.post("/tasking/items/<int:tasking_item_id>/move")
@requires(Permission.RUN_TASKING_MEETINGS)
def move_item(tasking_item_id: int):
    meeting, item, _case = _item_for(tasking_item_id, run=True)  # only a case the chair sees
    tasking_meeting_id = meeting.id
    form = MoveForm()
    if not form.validate_on_submit():
        return _show_meeting(meeting, status=422)
    try:
        services.move_item(current_user, meeting, item, form.direction.data)
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".meeting", tasking_meeting_id=tasking_meeting_id))
    commit()
    return redirect(url_for(".meeting", tasking_meeting_id=meeting.id, _anchor=f"item-{item.id}"))


@bp.post("/tasking/meetings/<int:tasking_meeting_id>/attendance")
@requires(Permission.RUN_TASKING_MEETINGS)
def attendance(tasking_meeting_id: int):
    meeting = policies.get_meeting_for(current_user, tasking_meeting_id, run=True)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return _show_meeting(meeting, status=400)
    choices: dict[int, tuple[str, int | None]] = {}
    errors: dict[str, list[str]] = {}
    for row in meeting.attendance:
        status = request.form.get(f"status-{row.agency_id}", "")
        representative = request.form.get(f"representative-{row.agency_id}", "").strip()
        if representative and not (is_digits(representative) and len(representative) < 10):
            errors[f"representative-{row.agency_id}"] = [f"Choose someone who works for {row.agency.name}"]
            continue
        choices[row.agency_id] = (status, int(representative) if representative else None)
    try:
        if errors:
            raise InvalidInput(errors)
        services.record_attendance(current_user, meeting, choices)
    except InvalidInput as error:
        db.session.rollback()
        meeting = policies.get_meeting_for(current_user, tasking_meeting_id)
        return _show_meeting(meeting, attendance_errors=error.errors, status=422)
    commit()
    flash("Attendance recorded", "success")
    return redirect(url_for(".meeting", tasking_meeting_id=meeting.id, _anchor="attendance"))


def _item_for(item_id: int, *, run: bool = False) -> tuple[TaskingMeeting, Any, Any]:
    """The item's meeting, the item, and its case: 404 unless the user sees the meeting and the case;
    ``run``: for a write on the item, refused (422) when the case was anonymised under the retention policy."""
    message = "Agenda item not found."
    item = queries.agenda_item_with_id(item_id)
    if item is None:
        raise NotFound(message)
    with not_found_as(message):
        meeting = policies.get_meeting_for(current_user, item.meeting_id)
        case = get_case_for(current_user, item.case_id)
    # Only once the item is known to be visible: asked first, it would answer a hidden item differently.
    if run and not policies.can_run(current_user):
        raise NotFound("Meeting not found.")
    if run:
        # Discussion, decisions and actions are written about the case: not once it is anonymised.
        refuse_anonymised(case)
    return meeting, item, case


def _allocate_form(case: Any, form: AllocateForm | None = None) -> AllocateForm:
    form = form or AllocateForm()
    agencies = agencies_working_on(case)
    people = USERS.all(
        current_user, User.agency_id.in_([a.id for a in agencies]), case_readers_clause(case), order_by=User.name
    )
    form.agency_id.choices = [SelectChoice("", "Choose an agency")] + [
        SelectChoice(str(a.id), a.name) for a in agencies
    ]
    form.assignee_id.choices = [SelectChoice("", "Nobody yet")] + [
        SelectChoice(str(u.id), f"{u.name} ({u.agency.name})") for u in people
    ]
    return form


def _show_item(
    meeting: TaskingMeeting,
    item: Any,
    case: Any,
    *,
    item_form: Any = None,
    allocate_form: Any = None,
    status: int = 200,
):
    view = services.meeting_view(current_user, meeting)
    logged = next((entries for (i, _c, entries) in view.items if i.id == item.id), [])
    # The item's forms write about its case: not offered once it is anonymised (``_item_for(run=True)``).
    can_run = policies.can_run(current_user) and meeting.status is MeetingStatus.planned and takes_writes(case)
    return render_template(
        "tasking/item.html",
        meeting=meeting,
        item=item,
        case=case,
        logged=logged,
        reasons=_labels(item.reasons),
        can_run=can_run,
        item_form=item_form
        or ItemForm(
            data={
                "discussion": view.words(item.discussion),
                "decisions": view.words(item.decisions),
                "version": str(item.version),
            }
        ),
        words=view.words,
        allocate_form=allocate_form or _allocate_form(case),
    ), status


@bp.get("/tasking/items/<int:tasking_item_id>")
@requires(Permission.VIEW_CASES)
def item(tasking_item_id: int):
    return _show_item(*_item_for(tasking_item_id))


@bp.post("/tasking/items/<int:tasking_item_id>")
@requires(Permission.RUN_TASKING_MEETINGS)
def record_item(tasking_item_id: int):
    meeting, item, case = _item_for(tasking_item_id, run=True)
    form = ItemForm()
    if form.validate_on_submit():
        form.refuse_if_changed(item.version)
        try:
            services.record_item(
                current_user, meeting, item, discussion=form.discussion.data, decisions=form.decisions.data
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            meeting, item, case = _item_for(tasking_item_id)
        else:
            commit()
            flash("Discussion and decisions saved", "success")
            return redirect(url_for(".item", tasking_item_id=item.id))
    return _show_item(meeting, item, case, item_form=form, status=422)


@bp.post("/tasking/items/<int:tasking_item_id>/actions")
@requires(Permission.RUN_TASKING_MEETINGS)
def allocate(tasking_item_id: int):
    meeting, item, case = _item_for(tasking_item_id, run=True)
    form = _allocate_form(case, AllocateForm())
    if form.validate_on_submit():
        try:
            get_case_for(current_user, case.id, edit=True)
            services.allocate_action(
                current_user,
                meeting,
                item,
                case,
                description=form.description.data,
                agency_id=form.agency_id.data,
                assignee_id=int(form.assignee_id.data) if form.assignee_id.data else None,
                due_on=form.due_on.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            # The actions service names the agency ``agency_code`` (the API's name): the form's select.
            show_service_errors(form, error, {"agency_code": "agency_id"})
            meeting, item, case = _item_for(tasking_item_id)
            form = _allocate_form(case, form)
        else:
            commit()
            flash("Action allocated", "success")
            return redirect(url_for(".item", tasking_item_id=item.id, _anchor="actions"))
    return _show_item(meeting, item, case, allocate_form=form, status=422)


@bp.post("/tasking/meetings/<int:tasking_meeting_id>/publish")
@requires(Permission.RUN_TASKING_MEETINGS)
def publish(tasking_meeting_id: int):
    meeting = policies.get_meeting_for(current_user, tasking_meeting_id, run=True)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _show_meeting(meeting, status=400)
    try:
        emails = services.publish_minutes(current_user, meeting)
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".meeting", tasking_meeting_id=tasking_meeting_id))
    commit()
    flash(
        f"Minutes published; {len(emails)} attendee{'s' if len(emails) != 1 else ''} emailed a link to them", "success"
    )
    return redirect(url_for(".minutes", tasking_meeting_id=meeting.id))


@bp.post("/tasking/meetings/<int:tasking_meeting_id>/next")
@requires(Permission.RUN_TASKING_MEETINGS)
def schedule_next(tasking_meeting_id: int):
    meeting = policies.get_meeting_for(current_user, tasking_meeting_id, run=True)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _show_meeting(meeting, status=400)
    try:
        following = services.schedule_next(current_user, meeting)
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".meeting", tasking_meeting_id=tasking_meeting_id))
    commit()
    flash("Next meeting scheduled and its agenda built", "success")
    return redirect(url_for(".meeting", tasking_meeting_id=following.id))


def _minutes_context(meeting: TaskingMeeting) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "view": services.meeting_view(current_user, meeting),
        "labels": _labels,
        "attendance_labels": ATTENDANCE_LABELS,
    }


def _published_for(tasking_meeting_id: int) -> TaskingMeeting:
    """Published minutes for all who attend; the chair also sees the draft."""
    meeting = policies.get_meeting_for(current_user, tasking_meeting_id)
    if meeting.status is not MeetingStatus.held and not policies.can_run(current_user):
        raise NotFound("The minutes of this meeting are not published yet.")
    return meeting


@bp.get("/tasking/meetings/<int:tasking_meeting_id>/minutes")
@requires(Permission.VIEW_CASES)
def minutes(tasking_meeting_id: int):
    meeting = _published_for(tasking_meeting_id)
    return render_template("tasking/minutes.html", pdf_available=layout.pdf_available(), **_minutes_context(meeting))


@bp.get("/tasking/meetings/<int:tasking_meeting_id>/minutes.pdf")
@requires(Permission.VIEW_CASES)
def minutes_pdf(tasking_meeting_id: int):
    meeting = _published_for(tasking_meeting_id)
    if not layout.pdf_available():
        raise NotFound("PDFs cannot be made on this server.")
    html = render_template("tasking/minutes_pdf.html", **_minutes_context(meeting))
    filename = f"tasking-{meeting.series.area.code}-{meeting.held_on.isoformat()}.pdf"
    return Response(
        layout.to_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/cases/<int:case_id>/tasking-nomination", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def nominate(case_id: int):
    case = get_case_for(current_user, case_id, edit=True)
    next_meeting = services.next_meeting_for_case(current_user, case)
    form = NominateForm()
    if form.validate_on_submit():
        try:
            item = services.nominate(current_user, case, form.note.data)
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
            case = get_case_for(current_user, case_id, edit=True)
        else:
            commit()
            flash(f"Case nominated for the tasking meeting on {item.meeting.held_on:%-d %B %Y}", "success")
            return redirect(f"/cases/{case.id}")
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "tasking/nominate.html",
        case=case,
        form=form,
        next_meeting=next_meeting,
        no_meeting=None if next_meeting else services.no_meeting_message(current_user, case),
    ), status
