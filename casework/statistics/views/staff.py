"""The staff statistics page: an area's figures for a financial year, counted now, with the drafts and
published versions, and the compile and publish (approve) actions; and the page that shows a
compilation's progress while it runs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.accounts.services import get_area
from casework.core.db import commit
from casework.core.errors import InvalidInput, NotFound, RuleViolation
from casework.core.inputs import is_digits, iso_day
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.extensions import db
from casework.statistics import policies, services
from casework.statistics.forms import ChooseForm, PeriodForm, PublishForm, WithdrawForm
from casework.statistics.models import SnapshotStatus
from casework.statistics.queries import (
    EXTRA_KEYS,
    LABELS,
    STATUTORY_KEYS,
    compute_area_figures,
    job_with_id,
    latest_jobs_for,
)

bp = Blueprint("statistics", __name__, url_prefix="/reports/statistics")

#: How often the progress page reloads itself while a compilation runs (seconds).
REFRESH_SECONDS = 3


#: How far back the dashboard looks for published figures that the records now contradict.
CHANGED_LOOKBACK_DAYS = 2 * 366


def figures_to_publish(user: Any) -> dict[str, Any]:
    """The manager's areas whose last reporting period has ended without published figures (that are
    not withdrawn), and published periods whose figures the records now give differently."""
    areas = policies.visible_areas(user)
    if not areas or not user.can(Permission.PUBLISH_STATISTICS):
        return {}
    on = today()
    due = {area.id: services.last_ended_reporting_period(area, on) for area in areas}
    public = {(s.area_id, s.period_start, s.period_end) for s in services.latest_published([a.id for a in areas])}
    to_publish = [
        {
            "area": area.name,
            "period": services.period_name(*due[area.id]),
            "href": _index_url(area, *due[area.id]),
        }
        for area in areas
        if (area.id, *due[area.id]) not in public
    ]
    changed = [
        {
            "area": item["snapshot"].area.name,
            "period": services.period_name(item["snapshot"].period_start, item["snapshot"].period_end),
            "version": item["snapshot"].version,
            "count": len(item["differences"]),
            "href": _index_url(item["snapshot"].area, item["snapshot"].period_start, item["snapshot"].period_end),
        }
        for item in services.changed_since_publication(
            [a.id for a in areas], ended_after=on - timedelta(days=CHANGED_LOOKBACK_DAYS)
        )
    ]
    return {"statistics_to_publish": to_publish, "statistics_changed": changed}


def _index_url(area: Any, period_start: date, period_end: date) -> str:
    return url_for(
        "staff.statistics.index",
        area=area.code,
        period_start=period_start.isoformat(),
        period_end=period_end.isoformat(),
    )


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
    on = today()
    periods = services.reporting_periods(area, on)
    choose = ChooseForm(formdata=None, area=area.code, period=period_start.isoformat())
    choose.area.choices = [(a.code, a.name) for a in areas]
    choose.period.choices = [(start.isoformat(), services.period_name(start, end)) for start, end in periods]
    if (period_start, period_end) not in periods:
        choose.period.choices.insert(0, (period_start.isoformat(), services.period_name(period_start, period_end)))
    snapshots = services.snapshots_for(area, period_start, period_end)
    published = [s for s in snapshots if s.status == SnapshotStatus.published]
    jobs = latest_jobs_for(area.id, period_start, period_end)
    fields = _period_fields(area, period_start, period_end)
    figures = compute_area_figures(area.id, period_start, period_end)
    public = next((s for s in published if not s.is_withdrawn), None)
    try:
        services.require_whole_reporting_period(area, period_start, period_end)
        not_a_reporting_period = None
    except RuleViolation as error:
        not_a_reporting_period = error.errors["_rule"][0]
    return render_template(
        "statistics/staff_index.html",
        title="Case Review statistics",
        area=area,
        period_start=period_start,
        period_end=period_end,
        period_name=services.period_name(period_start, period_end),
        reporting_period=services.describe_reporting_period(area, on),
        not_a_reporting_period=not_a_reporting_period,
        choose=choose,
        figures=figures,
        statutory_keys=STATUTORY_KEYS,
        extra_keys=EXTRA_KEYS,
        labels=LABELS,
        snapshots=snapshots,
        public=public,
        differences=services.differences(public, figures) if public else [],
        next_version=max((s.version for s in published), default=0) + 1,
        jobs=jobs,
        compile_form=PeriodForm(formdata=None, **fields),
        publish_form=publish_form or PublishForm(formdata=None, **fields),
        form=publish_form,
        can_compile=policies.can(current_user, Permission.COMPILE_STATISTICS, area),
        can_publish=policies.can(current_user, Permission.PUBLISH_STATISTICS, area),
        has_ended=period_end < on,
    ), status


@bp.get("/")
@requires(Permission.VIEW_STATISTICS)
def index():
    areas = policies.visible_areas(current_user)
    if not areas:
        return render_template("statistics/staff_no_areas.html", title="Case Review statistics")
    by_code = {a.code: a for a in areas}
    area = by_code.get(request.args.get("area", ""), areas[0])
    # Any run of days (up to 12 months) can be looked at as ?period_start=&period_end= (ISO dates);
    # ?period= (a start day) picks one of the area's reporting periods; ?year= a financial year.
    # A date given in another form than YYYY-MM-DD is refused (``iso_day``); a period of real days
    # that is not one the page shows (longer than 12 months) shows the period it would by default.
    given = {name: request.args.get(name) for name in ("period_start", "period_end", "period")}
    if any(value and iso_day(value) is None for value in given.values()):
        raise InvalidInput({"period_start": ["Enter the period's dates as YYYY-MM-DD."]})
    period_start, period_end = iso_day(given["period_start"]), iso_day(given["period_end"])
    if period_start is None or period_end is None or not _shows_period(period_start, period_end):
        period_start, period_end = _chosen_period(area)
    return _render_index(area, areas, period_start, period_end)


def _shows_period(period_start: date, period_end: date) -> bool:
    """Whether the page shows this run of days as it is (``services.validate_period``: up to 12 months)."""
    try:
        services.validate_period(period_start, period_end)
    except InvalidInput:
        return False
    return True


def _chosen_period(area: Any) -> tuple[date, date]:
    """The reporting period asked for, else the one that has just ended: the one to publish."""
    chosen = iso_day(request.args.get("period"))
    if chosen is not None and chosen.year >= 1900:
        return services.reporting_period_containing(area, chosen)
    year = request.args.get("year", "")
    if is_digits(year) and len(year) == 4 and 1900 <= int(year) <= 2099:
        return date(int(year), 4, 1), date(int(year) + 1, 3, 31)
    return services.last_ended_reporting_period(area, today())


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
    job = job_with_id(job_id)
    # Another area's compilation answers as a missing one: a 403 would confirm the id and name the area.
    if job is None or not policies.can(current_user, Permission.VIEW_STATISTICS, job.area):
        raise NotFound("No such compilation.")
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
    if form.publish_extras.data and not snapshot.extras_published:
        flash(
            f"The optional figures were not published: with fewer than {services.MIN_APPLICATIONS_FOR_EXTRAS} "
            "applications they could identify an applicant.",
            "important",
        )
    return redirect(
        url_for(
            "staff.statistics.index",
            area=area.code,
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
        )
    )


def _visible_snapshot(snapshot_id: int) -> Any:
    snapshot = services.get_snapshot(snapshot_id)
    if not policies.can(current_user, Permission.VIEW_STATISTICS, snapshot.area) or not snapshot.is_published:
        raise NotFound("No such published version.")
    return snapshot


@bp.route("/versions/<int:snapshot_id>/withdraw", methods=["GET", "POST"])
@requires(Permission.PUBLISH_STATISTICS)
def withdraw(snapshot_id: int):
    """Withdraw a version published by mistake (a manager of the area), with a note saying why."""
    snapshot = _visible_snapshot(snapshot_id)
    policies.require(current_user, Permission.PUBLISH_STATISTICS, snapshot.area)
    form = WithdrawForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.withdraw(current_user, snapshot, form.note.data)
        except InvalidInput as error:
            db.session.rollback()
            form.note.errors = list(dict.fromkeys(m for messages in error.errors.values() for m in messages))
            status = 422
        else:
            commit()
            flash(
                f"Version {snapshot.version} of the {snapshot.area.name} figures for "
                f"{services.period_name(snapshot.period_start, snapshot.period_end)} is withdrawn.",
                "success",
            )
            return redirect(_index_url(snapshot.area, snapshot.period_start, snapshot.period_end))
    elif form.is_submitted():
        status = 422
    return render_template(
        "statistics/staff_withdraw.html",
        title="Withdraw published figures",
        form=form,
        snapshot=snapshot,
        period_name=services.period_name(snapshot.period_start, snapshot.period_end),
        statutory_keys=STATUTORY_KEYS,
        labels=LABELS,
        back=_index_url(snapshot.area, snapshot.period_start, snapshot.period_end),
    ), status
