"""Administration: figures of the years before the service was used, entered by hand from the papers
that published them (stored as published versions marked "entered by hand", with their source)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from casework.accounts.queries import all_areas
from casework.core.db import commit
from casework.core.errors import RULE, InvalidInput
from casework.core.forms import show_service_errors
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.extensions import db
from casework.statistics import services
from casework.statistics.forms import HistoricForm, financial_year_choices
from casework.statistics.models import StatisticsSnapshot
from casework.statistics.queries import MAX_FIGURE_ENTERED, STATUTORY_KEYS, figures_entered_by_hand

bp = Blueprint("statistics", __name__, url_prefix="/statistics")


def _entered() -> list[StatisticsSnapshot]:
    return figures_entered_by_hand()


@bp.route("/historic", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def historic():
    areas = all_areas()
    form = HistoricForm()
    form.area.choices = [("", "Choose an area")] + [(a.code, a.name) for a in areas]
    # Only years that have ended can be entered (and the service refuses those it holds records for).
    form.year.choices = [
        ("", "Choose a year"),
        *financial_year_choices(services.last_ended_financial_year(today())[0].year),
    ]
    status = 200
    if form.validate_on_submit():
        area = next(a for a in areas if a.code == form.area.data)
        year = int(form.year.data)
        try:
            snapshot = services.enter_historic(
                current_user,
                area,
                date(year, 4, 1),
                date(year + 1, 3, 31),
                {key: getattr(form, key).data for key in STATUTORY_KEYS},
                form.note.data,
            )
        except InvalidInput as error:
            db.session.rollback()
            # A rule about the period (not whole, not ended, held by the service) goes on the year; one
            # about the figures as a whole on the note, where the admin explains them.
            names_period = bool({"period_start", "period_end"} & set(error.errors))
            show_service_errors(
                form,
                error,
                {"period_start": "year", "period_end": "year", RULE: None if names_period else "note"},
            )
        else:
            commit()
            flash(
                f"The {area.name} figures for {services.period_name(snapshot.period_start, snapshot.period_end)} "
                f"are published (version {snapshot.version}).",
                "success",
            )
            return redirect(url_for("admin.statistics.historic"))
    if form.errors:
        status = 422
    return render_template(
        "statistics/admin_historic.html",
        title="Figures from before the service",
        form=form,
        entered=_entered(),
        max_figure=MAX_FIGURE_ENTERED,
        period_name=services.period_name,
    ), status
