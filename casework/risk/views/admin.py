"""Admin pages: edit the risk questionnaire for all areas or one area (each save is a new version)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.accounts.queries import all_areas
from casework.accounts.services import get_area
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.permissions import Permission, requires
from casework.extensions import db
from casework.risk import services
from casework.risk.forms import QuestionnaireForm, questions_from_request

bp = Blueprint("risk", __name__)


@bp.route("/risk-questionnaire", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def questionnaire():
    area_code = (request.args.get("area") or "").strip()
    area = get_area(area_code) if area_code else None
    current = services.current_questionnaire(area)
    inherited = area is not None and current.area_id is None
    form = QuestionnaireForm(
        # Each save is a new questionnaire (a row of its own): the one read is its id.
        data={
            "title": current.title,
            "medium_from": str(current.medium_from),
            "high_from": str(current.high_from),
            "version": str(current.id),
        }
        if request.method == "GET"
        else None
    )
    problems: list[str] = []
    questions = current.questions
    if request.method == "POST" and form.validate():
        form.refuse_if_changed(current.id)
        questions = questions_from_request(request.form, current.questions)
        try:
            cut_offs = {name: int(getattr(form, name).data) for name in ("medium_from", "high_from")}
        except ValueError:
            form.high_from.errors = ["Enter whole numbers for the scores"]
        else:
            try:
                saved = services.save_questionnaire(
                    current_user, area, title=form.title.data, questions=questions, **cut_offs
                )
            except InvalidInput as error:
                db.session.rollback()
                problems = [m for messages in error.errors.values() for m in messages]
            else:
                commit()
                flash(f"Saved as version {saved.version}. New assessments use it; earlier ones keep theirs.", "success")
                return redirect(url_for(".questionnaire", area=area_code or None))
    form.form_errors.extend(problems)
    areas = all_areas()
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "risk/admin_questionnaire.html",
        form=form,
        current=current,
        questions=questions,
        area=area,
        areas=areas,
        inherited=inherited,
    ), status
