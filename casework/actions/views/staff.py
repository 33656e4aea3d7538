"""Action pages: my actions, add an action to a case, see and update one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from casework.accounts.models import Agency, User
from casework.accounts.policies import AGENCIES_BY_ID, USERS
from casework.actions import queries, services, sight
from casework.actions.forms import STATUS_LABELS, ActionForm, ActionUpdateForm
from casework.cases.models import Action, Case
from casework.cases.policies import case_readers_clause, get_case_for
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import show_service_errors
from casework.core.inputs import whole_number
from casework.core.pagination import page_number, paginate
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.extensions import db

bp = Blueprint("actions", __name__)


@bp.get("/actions")
@requires(Permission.VIEW_CASES)
def index():
    overdue_only = request.args.get("overdue") == "1"
    page = page_number(request.args.get("page"))
    query = services.visible_actions(current_user).where(
        Action.assignee_id == current_user.id, Action.status.in_(services.OPEN_STATUSES)
    )
    if overdue_only:
        query = query.where(services.overdue_clause())
    items, total = paginate(query.order_by(Action.due_on.is_(None), Action.due_on, Action.id), page, 50)
    on = today()
    return render_template(
        "actions/index.html",
        actions=sight.seen(current_user, items, on_page=True),
        total=total,
        page=page,
        per_page=50,
        overdue_only=overdue_only,
        overdue_ids={a.id for a in items if services.is_overdue(a, on)},
        status_labels=STATUS_LABELS,
    )


def _case_agencies(case: Case) -> list[Agency]:
    return queries.agencies_working_on(case)


@bp.route("/cases/<int:case_id>/actions/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new(case_id: int):
    case = get_case_for(current_user, case_id, edit=True)
    agencies = _case_agencies(case)
    people = USERS.all(
        current_user, User.agency_id.in_([a.id for a in agencies]), case_readers_clause(case), order_by=User.name
    )
    form = ActionForm()
    form.agency_id.choices = [SelectChoice("", "Choose an agency")] + [
        SelectChoice(str(a.id), a.name) for a in agencies
    ]
    form.assignee_id.choices = [SelectChoice("", "Nobody yet")] + [
        SelectChoice(str(u.id), f"{u.name} ({u.agency.name})") for u in people
    ]
    if request.method == "GET":
        form.agency_id.data = str(current_user.agency_id)
    if form.validate_on_submit():
        # Any agency by its id: that it works on the case is the actions service's rule
        # (``_require_working_on``), whose refusal, on ``agency_code``, goes on the agency select.
        agency = AGENCIES_BY_ID.find(current_user, form.agency_id.data)
        if agency is None:
            form.agency_id.errors = [AGENCIES_BY_ID.missing_message]
        else:
            try:
                services.create_action(
                    current_user,
                    case,
                    description=form.description.data,
                    agency=agency,
                    assignee_id=int(form.assignee_id.data) if form.assignee_id.data else None,
                    due_on=form.due_on.data,
                )
            except InvalidInput as error:
                db.session.rollback()
                show_service_errors(form, error, {"agency_code": "agency_id"})
            else:
                commit()
                flash("Action added", "success")
                return redirect(f"/cases/{case.id}#actions")
    status = 422 if form.errors or form.form_errors else 200
    return render_template("actions/form.html", case=case, form=form), status


def _show(action: Action, form: ActionUpdateForm | None = None, status: int = 200):
    # A Case Review recommendation's texts withheld from the reader (``sight``): the form is not filled
    # with them, nor offers the outcome (it would save "Withheld" back, or overwrite it blind).
    seen = sight.seen_one(current_user, action, on_page=True)
    withheld = sight.is_withheld(seen)
    if form is None:
        outcome = None if withheld else action.outcome
        form = ActionUpdateForm(data={"status": action.status.value, "outcome": outcome, "due_on": action.due_on})
    can_edit = services.can_update_action(current_user, action)
    return render_template(
        "actions/show.html",
        action=seen,
        outcome_withheld=withheld,
        form=form,
        can_edit=can_edit,
        status_labels=STATUS_LABELS,
        is_overdue=services.is_overdue(action),
    ), status


@bp.get("/actions/<int:action_id>")
@requires(Permission.VIEW_CASES)
def show(action_id: int):
    return _show(services.get_action_for(current_user, action_id))


@bp.post("/actions/<int:action_id>")
@requires(Permission.EDIT_CASES)
def update(action_id: int):
    action = services.get_action_for(current_user, action_id, edit=True)
    form = ActionUpdateForm()
    if not form.validate_on_submit():
        return _show(action, form, 422)
    version = whole_number(form.version.data)
    changes = {"status": form.status.data, "due_on": form.due_on.data}
    if not sight.is_withheld(sight.seen_one(current_user, action)):
        # The form offers the outcome only to a reader it is not withheld from (``_show``).
        changes["outcome"] = form.outcome.data
    try:
        services.update_action(current_user, action, changes, version)
    except InvalidInput as error:
        db.session.rollback()
        show_service_errors(form, error)
        return _show(services.get_action_for(current_user, action_id), form, 422)
    commit()
    flash("Action updated", "success")
    return redirect(url_for(".show", action_id=action.id))
