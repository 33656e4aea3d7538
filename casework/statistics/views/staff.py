"""The staff statistics page: an area's figures for a financial year, counted now, with the drafts and
published versions, and the compile and publish (approve) actions; and the page that shows a
compilation's progress while it runs."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.accounts.services import get_area
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.extensions import db
from casework.statistics import policies, services
from casework.statistics.forms import ChooseForm, PeriodForm, PublishForm, financial_year_choices
from casework.statistics.models import SnapshotStatus, StatisticsJob, StatisticsSnapshot
from casework.statistics.queries import EXTRA_KEYS, LABELS, STATUTORY_KEYS, compute_area_figures

bp = Blueprint("statistics", __name__, url_prefix="/reports/statistics")

#: How often the progress page reloads itself while a compilation runs (seconds).
REFRESH_SECONDS = 3


def figures_to_publish(user: Any) -> dict[str, Any]:
    """The manager's areas whose financial year has ended without published figures (one query)."""
    areas = policies.visible_areas(user)
    if not areas:
        return {}
    period_start, period_end = services.last_ended_financial_year(today())
    published = set(
        db.session.scalars(
            sa.select(StatisticsSnapshot.area_id).where(
                StatisticsSnapshot.area_id.in_([a.id for a in areas]),
                StatisticsSnapshot.period_start == period_start,
                StatisticsSnapshot.period_end == period_end,
                StatisticsSnapshot.status == SnapshotStatus.published,
            )
        )
    )
    name = services.period_name(period_start, period_end)
    return {
        "statistics_to_publish": [
            {
                "area": area.name,
                "period": name,
                "href": url_for("staff.statistics.index", area=area.code, year=period_start.year),
            }
            for area in areas
            if area.id not in published
        ]
    }


def _period_fields(area: Any, period_start: date, period_end: date) -> dict[str, Any]:
    return {"area_code": area.code, "period_start": period_start.isoformat(), "period_end": period_end.isoformat()}


def _render_index(
    area: Any,
    areas: list[Any],
    period_start: date,
    period_end: date,
    publish_form: PublishForm | None = None,
    status: int = 200,
):
    choose = ChooseForm(formdata=None, area=area.code, year=str(period_start.year))
    choose.area.choices = [(a.code, a.name) for a in areas]
    choose.year.choices = financial_year_choices(services.financial_year(today())[0].year)
    snapshots = services.snapshots_for(area, period_start, period_end)
    published = [s for s in snapshots if s.status == SnapshotStatus.published]
    jobs = db.session.scalars(
        sa.select(StatisticsJob)
        .where(
            StatisticsJob.area_id == area.id,
            StatisticsJob.period_start == period_start,
            StatisticsJob.period_end == period_end,
        )
        .order_by(StatisticsJob.id.desc())
        .limit(5)
    ).all()
    fields = _period_fields(area, period_start, period_end)
    return render_template(
        "statistics/staff_index.html",
        title="Case Review statistics",
        area=area,
        period_start=period_start,
        period_end=period_end,
        period_name=services.period_name(period_start, period_end),
        choose=choose,
        figures=compute_area_figures(area.id, period_start, period_end),
        statutory_keys=STATUTORY_KEYS,
        extra_keys=EXTRA_KEYS,
        labels=LABELS,
        snapshots=snapshots,
        next_version=(published[0].version + 1) if published else 1,
        jobs=jobs,
        compile_form=PeriodForm(formdata=None, **fields),
        publish_form=publish_form or PublishForm(formdata=None, **fields),
        form=publish_form,
        can_compile=policies.can(current_user, Permission.COMPILE_STATISTICS, area),
        can_publish=policies.can(current_user, Permission.PUBLISH_STATISTICS, area),
        has_ended=period_end < today(),
    ), status


@bp.get("/")
@requires(Permission.VIEW_STATISTICS)
def index():
    areas = policies.visible_areas(current_user)
    if not areas:
        return render_template("statistics/staff_no_areas.html", title="Case Review statistics")
    by_code = {a.code: a for a in areas}
    area = by_code.get(request.args.get("area", ""), areas[0])
    # A period other than a financial year comes as ?period_start=&period_end= (ISO dates).
    try:
        period_start = date.fromisoformat(request.args["period_start"])
        period_end = date.fromisoformat(request.args["period_end"])
        services.validate_period(period_start, period_end)
    except (KeyError, ValueError, InvalidInput):
        # The year most often wanted is the one that has just ended: the one to publish.
        year = request.args.get("year", "")
        start_year = int(year) if year.isdigit() else services.last_ended_financial_year(today())[0].year
        period_start, period_end = date(start_year, 4, 1), date(start_year + 1, 3, 31)
    return _render_index(area, areas, period_start, period_end)


def _area_and_period(form: PeriodForm) -> tuple[Any, date, date]:
    if not form.validate():
        raise InvalidInput({k: list(v) for k, v in form.errors.items()})
    return get_area(form.area_code.data), form.period_start.data, form.period_end.data


@bp.post("/compile")
@requires(Permission.COMPILE_STATISTICS)
def compile_figures():
    area, period_start, period_end = _area_and_period(PeriodForm())
    job = services.request_compile(current_user, area, period_start, period_end)
    commit()
    return redirect(url_for("staff.statistics.job", job_id=job.id))


@bp.get("/jobs/<int:job_id>")
@requires(Permission.VIEW_STATISTICS)
def job(job_id: int):
    job = db.session.get(StatisticsJob, job_id)
    if job is None:
        raise NotFound("No such compilation.")
    policies.require(current_user, Permission.VIEW_STATISTICS, job.area)
    # WCAG 2.2.1: the person can stop the automatic reloading.
    refresh = not job.is_finished and request.args.get("refresh") != "off"
    return render_template(
        "statistics/staff_job.html",
        title="Compiling the figures",
        job=job,
        refresh_seconds=REFRESH_SECONDS if refresh else None,
        period_name=services.period_name(job.period_start, job.period_end),
        statutory_keys=STATUTORY_KEYS,
        labels=LABELS,
    )


@bp.post("/publish")
@requires(Permission.PUBLISH_STATISTICS)
def publish():
    form = PublishForm()
    area, period_start, period_end = _area_and_period(form)
    policies.require(current_user, Permission.PUBLISH_STATISTICS, area)
    try:
        snapshot = services.publish(
            current_user,
            area,
            period_start,
            period_end,
            note=form.note.data,
            publish_extras=bool(form.publish_extras.data),
        )
    except InvalidInput as error:
        db.session.rollback()
        messages = [m for field, msgs in error.errors.items() if field != "_rule" for m in msgs]
        form.note.errors = list(error.errors.get("note") or messages or error.errors.get("_rule", []))
        return _render_index(
            area, policies.visible_areas(current_user), period_start, period_end, publish_form=form, status=422
        )
    commit()
    flash(
        f"Version {snapshot.version} of the {area.name} figures for {services.period_name(period_start, period_end)} "
        "is published.",
        "success",
    )
    return redirect(
        url_for(
            "staff.statistics.index",
            area=area.code,
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
        )
    )
