"""The "May qualify for a Case Review" board, and the case owner's tell-the-victim page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.extensions import db
from casework.threshold_watch import policies, services
from casework.threshold_watch.forms import ToldForm
from casework.threshold_watch.message import message_for
from casework.threshold_watch.models import TOLD_METHOD_LABELS, ToldMethod

bp = Blueprint("threshold_watch", __name__, url_prefix="/threshold-watch")


@bp.get("/")
@requires(Permission.MANAGE_TRIGGERS)
def board():
    areas = policies.watched_areas(current_user)
    code = request.args.get("area") or (areas[0].code if areas else None)
    if code is None:
        abort(404)
    area = policies.watched_area(current_user, code)
    return render_template(
        "threshold_watch/board.html", board=services.board(current_user, area), areas=areas, today=today()
    )


def _message(entry, person) -> dict[str, str]:
    """The letter and the email, from the area's template in force (``message``): the same words
    either way."""
    made = message_for(entry)
    return {"subject": made.subject, "text": made.text}


@bp.get("/<int:entry_id>/letter")
@requires(Permission.EDIT_CASES, Permission.MANAGE_TRIGGERS)
def letter(entry_id: int):
    entry = policies.get_entry_to_tell(current_user, entry_id)
    return render_template(
        "threshold_watch/letter.html",
        entry=entry,
        person=entry.person,
        message=_message(entry, entry.person),
        letter_date=today(),
    )


def _way_back(entry) -> str:
    """Where the tell page sends its reader (its back link, and after saving): the case the task is on
    when they may see it; else the area's board when they watch the area; else the person's page
    (whoever may tell sees the person, ``policies.can_tell``). Never a page that answers them 404."""
    if policies.sees_task_case(current_user, entry):
        return url_for("staff.cases.show", case_id=entry.task_case_id)
    if policies.can_watch(current_user, entry.area):
        return url_for(".board", area=entry.area.code)
    return url_for("staff.people.show", person_id=entry.person_id)


@bp.route("/<int:entry_id>/tell", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES, Permission.MANAGE_TRIGGERS)
def tell(entry_id: int):
    entry = policies.get_entry_to_tell(current_user, entry_id)
    person = entry.person
    message = _message(entry, person)
    form = ToldForm()
    if request.method == "GET":
        form.told_on.data = today()
    if form.validate_on_submit():
        try:
            services.record_told(
                current_user,
                entry,
                told_on=form.told_on.data,
                method=form.method.data,
                notes=form.notes.data,
                send_email=bool(form.send_email.data),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash(f"Recorded that {person.name} was told of their right to a Case Review", "success")
            return redirect(_way_back(entry))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "threshold_watch/tell.html",
        entry=entry,
        person=person,
        form=form,
        back_href=_way_back(entry),
        message=message,
        method_labels=TOLD_METHOD_LABELS,
        email_method=ToldMethod.email.value,
    ), status
