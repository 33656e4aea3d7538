"""The queue of police log calls that need an officer: see them, add one to a case, or dismiss it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField, StringField, TextAreaField

from casework.cases import police_reports, queries
from casework.core.db import commit
from casework.core.errors import InvalidInput
from casework.core.forms import FlaskForm, show_service_errors
from casework.core.inputs import whole_number
from casework.core.pagination import page_number, paginate
from casework.core.permissions import Permission, requires
from casework.extensions import db

bp = Blueprint("police_reports", __name__, url_prefix="/cases/police-reports")
PER_PAGE = 50


class MatchForm(FlaskForm):
    action = HiddenField()
    version = HiddenField()
    case_reference = StringField("Case reference", description="For example, BOL-2026-0042")
    reason = TextAreaField("Why is this call not about one of your cases?")


@bp.get("/")
@requires(Permission.OPEN_CASES)
def index():
    page = page_number(request.args.get("page"))
    reports, total = paginate(police_reports.queue_query(current_user), page, PER_PAGE)
    return render_template(
        "cases/police_reports.html",
        reports=reports,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
    )


@bp.route("/<int:report_id>", methods=["GET", "POST"])
@requires(Permission.OPEN_CASES)
def show(report_id: int):
    report = police_reports.get_report_for(current_user, report_id)
    form = MatchForm(data={"version": report.version} if request.method == "GET" else None)
    if form.validate_on_submit() and report.status.value == "queued":
        version = whole_number(form.version.data)
        try:
            if form.action.data == "dismiss":
                police_reports.dismiss(current_user, report, reason=form.reason.data or "", expected_version=version)
                message = f"Call {report.police_reference} dismissed"
            else:
                reference = (form.case_reference.data or "").strip().upper()
                case = queries.visible_case_with_reference(current_user, reference)
                if case is None:
                    raise InvalidInput(
                        {
                            "case_reference": [
                                "Enter the reference of a case you can see" if reference else "Enter the case reference"
                            ]
                        }
                    )
                police_reports.add_to_case(current_user, report, case, expected_version=version)
                message = f"Call {report.police_reference} added to {case.reference}"
        except InvalidInput as error:
            db.session.rollback()
            show_service_errors(form, error)
        else:
            commit()
            flash(message, "success")
            return redirect(url_for(".index"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("cases/police_report.html", report=report, form=form), status
