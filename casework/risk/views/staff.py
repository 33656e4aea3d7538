"""Risk pages: the case's assessment history and taking an assessment."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.cases.policies import can_edit_case, get_case_for
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.extensions import db
from casework.risk import queries, services
from casework.risk.forms import QUESTION_PREFIX, answers_from, assessment_form
from casework.risk.models import BAND_LABELS

bp = Blueprint("risk", __name__)


@bp.get("/cases/<int:case_id>/risk-assessments")
@requires(Permission.VIEW_CASES)
def history(case_id: int):
    case = get_case_for(current_user, case_id)
    return render_template(
        "risk/history.html",
        case=case,
        assessments=services.case_assessments(case.id),
        band_labels=BAND_LABELS,
        can_assess=can_edit_case(current_user, case),
    )


@bp.route("/cases/<int:case_id>/risk-assessments/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new(case_id: int):
    case = get_case_for(current_user, case_id, edit=True)
    questionnaire = services.current_questionnaire(case.area)
    victims = queries.victims_of(case)
    form = assessment_form(questionnaire, victims, request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.assessed_on.data = today()
    if request.method == "POST" and form.validate():
        try:
            assessment = services.create_assessment(
                current_user,
                case,
                answers_from(form, questionnaire),
                victim_person_id=int(form.victim_person_id.data) if form.victim_person_id.data else None,
                assessed_on=form.assessed_on.data,
                notes=(form.notes.data or "").strip() or None,
            )
        except InvalidInput as error:
            db.session.rollback()
            questions = {key: QUESTION_PREFIX + key.removeprefix("answers.") for key in error.errors}
            show_service_errors(form, error, {k: v for k, v in questions.items() if v in form._fields})
        else:
            commit()
            band = BAND_LABELS[assessment.band].lower()
            flash(f"Risk assessed as {band} (score {assessment.score})", "success")
            return redirect(url_for(".history", case_id=case.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "risk/form.html",
        case=case,
        form=form,
        questionnaire=questionnaire,
        question_prefix=QUESTION_PREFIX,
        has_victims=bool(victims),
    ), status
