"""The partnership performance report: an area's (or a group of areas') figures for a period, the same
figures for the same dates a year earlier, and each figure's change in numbers and words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from casework.accounts.models import Area
from casework.core.errors import InvalidInput
from casework.core.jobs import queued_lease
from casework.reports.disclosure import is_withheld, missing_row, small_count, withhold_small_counts
from casework.reports.queries import (
    BREAKDOWN_KEYS,
    CASE_REVIEW_KEYS,
    CASE_REVIEW_MEDIANS,
    COUNT_KEYS,
    DERIVED_KEYS,
    compute_periods,
    empty_figures,
    months_before,
    steps_for,
)
from casework.statistics.services import period_name

#: The longest period a report covers: five years (a board compares years, not decades).
LONGEST_PERIOD_MONTHS = 60


def validate_period(period_start: date, period_end: date) -> None:
    if period_end < period_start:
        raise InvalidInput({"period_end": ["The end of the period must be on or after its start."]})
    if months_before(period_end, LONGEST_PERIOD_MONTHS) >= period_start:
        raise InvalidInput({"period_end": ["A report can cover at most 5 years."]})


def previous_period(period_start: date, period_end: date) -> tuple[date, date]:
    """The same dates a year earlier (29 February becomes 28 February)."""
    return months_before(period_start, 12), months_before(period_end, 12)


def short_period_name(period_start: date, period_end: date) -> str:
    """``2019`` for a calendar year, ``2019/20`` for a financial year, otherwise the two dates."""
    if (period_start.month, period_start.day, period_end.month, period_end.day) == (1, 1, 12, 31) and (
        period_start.year == period_end.year
    ):
        return str(period_start.year)
    return period_name(period_start, period_end)


def change(current: int | float | None, previous: int | float | None, previous_name: str) -> dict[str, Any]:
    """The difference, the percentage (one decimal; none from zero) and the words: ``down 21.6% on 2019``;
    none when either figure is withheld (``casework.reports.disclosure``)."""
    if current is None or previous is None or is_withheld(current) or is_withheld(previous):
        return {"difference": None, "percent": None, "words": f"no comparison with {previous_name}"}
    difference = current - previous
    if isinstance(difference, float):
        difference = round(difference, 1)
    if previous == 0:
        words = f"the same as {previous_name} (none)" if current == 0 else f"up from none in {previous_name}"
        return {"difference": difference, "percent": None, "words": words}
    percent = round(abs(difference) * 100 / previous, 1)
    if difference == 0:
        return {"difference": 0, "percent": 0.0, "words": f"the same as {previous_name}"}
    direction = "up" if difference > 0 else "down"
    shown = f"{percent:.1f}".rstrip("0").rstrip(".")
    return {
        "difference": difference,
        "percent": percent if difference > 0 else -percent,
        "words": f"{direction} {shown}% on {previous_name}",
    }


def points_change(current: float | None, previous: float | None, previous_name: str) -> dict[str, Any]:
    """The change of a share in per cent, in percentage points: ``up 4.5 percentage points on 2019``
    (a relative change of a percentage reads as nonsense)."""
    if current is None or previous is None or is_withheld(current) or is_withheld(previous):
        return {"difference": None, "percent": None, "words": f"no comparison with {previous_name}"}
    difference = round(current - previous, 1)
    if difference == 0:
        return {"difference": 0.0, "percent": None, "words": f"the same as {previous_name}"}
    shown = f"{abs(difference):.1f}".rstrip("0").rstrip(".")
    direction = "up" if difference > 0 else "down"
    return {
        "difference": difference,
        "percent": None,
        "words": f"{direction} {shown} percentage points on {previous_name}",
    }


def changes(figures: dict[str, Any], previous: dict[str, Any], previous_name: str, missing: Any = 0) -> dict[str, Any]:
    """The change of every figure, in the shape of ``figures`` (breakdowns by name, Case Review figures);
    ``missing``: what a breakdown's row absent from one period counts as."""
    result: dict[str, Any] = {key: change(figures[key], previous[key], previous_name) for key in COUNT_KEYS}
    for key in DERIVED_KEYS:
        measure = points_change if key.endswith("_share") else change
        result[key] = measure(figures[key], previous[key], previous_name)
    for key in BREAKDOWN_KEYS:
        names = sorted(set(figures[key]) | set(previous[key]))
        result[key] = {
            name: change(figures[key].get(name, missing), previous[key].get(name, missing), previous_name)
            for name in names
        }
    result["case_review"] = {
        key: (points_change if key.endswith("_share") else change)(
            figures["case_review"][key], previous["case_review"][key], previous_name
        )
        for key in CASE_REVIEW_KEYS
    }
    return result


def build_report(areas: list[Area], period_start: date, period_end: date, *, whole_group: bool) -> dict[str, Any]:
    """The report of one area (``whole_group`` false, one area) or of a group of areas added up (the
    county), with each area's own figures alongside."""
    validate_period(period_start, period_end)
    now, before = compute_both(areas, period_start, period_end)
    return assemble_report(areas, period_start, period_end, whole_group=whole_group, now=now, before=before)


def compute_both(
    areas: list[Area], period_start: date, period_end: date, progress: Any = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``compute_report`` for the period and for the same dates a year earlier, counted together;
    ``progress(done, total)`` after each step."""
    now, before = compute_periods(
        [area.id for area in areas], [(period_start, period_end), previous_period(period_start, period_end)], progress
    )
    return now, before


def assemble_report(
    areas: list[Area],
    period_start: date,
    period_end: date,
    *,
    whole_group: bool,
    now: dict[str, Any],
    before: dict[str, Any],
) -> dict[str, Any]:
    """The report from the figures of the period (``now``) and of the year before (``before``), its
    small counts withheld (``casework.reports.disclosure``): every output shows this report."""
    previous_start, previous_end = previous_period(period_start, period_end)
    previous_name = short_period_name(previous_start, previous_end)
    threshold = small_count()
    if whole_group:
        figures, previous = now["total"], before["total"]
    else:
        figures, previous = now["areas"][areas[0].id], before["areas"][areas[0].id]
    figures, previous = withhold_small_counts(figures, threshold), withhold_small_counts(previous, threshold)
    missing = missing_row(threshold)
    return {
        "areas": areas,
        "whole_group": whole_group,
        "period_start": period_start,
        "period_end": period_end,
        "period_name": short_period_name(period_start, period_end),
        "previous_start": previous_start,
        "previous_end": previous_end,
        "previous_name": previous_name,
        "figures": figures,
        "previous": previous,
        "changes": changes(figures, previous, previous_name, missing),
        "small_count": threshold,
        "missing": missing,
        "by_area": [
            {
                "area": area,
                "figures": withhold_small_counts(now["areas"][area.id], threshold),
                "previous": withhold_small_counts(before["areas"][area.id], threshold),
            }
            for area in areas
        ]
        if whole_group
        else [],
    }


__all__ = ["CASE_REVIEW_MEDIANS", "build_report", "change", "previous_period", "validate_period"]


# --- compiled by a task ------------------------------------------------------------------------------

#: A report over more areas than this, or over more than 12 months, is compiled by a task with its
#: progress on the page, rather than while the page waits.
LARGE_GROUP = 20


def is_large(areas: list[Area], period_start: date, period_end: date) -> bool:
    return len(areas) > LARGE_GROUP or months_before(period_end, 12) >= period_start


def request_report(actor: Any, areas: list[Area], period_start: date, period_end: date, *, whole_group: bool):
    """Queue the report's compilation (the task runs once the request commits); the job row."""
    from casework.core.tasks_outbox import enqueue
    from casework.extensions import db
    from casework.reports.models import ReportJob
    from casework.statistics.models import JobStatus

    validate_period(period_start, period_end)
    job = ReportJob(
        requested_by_id=actor.id,
        area_ids=[area.id for area in areas],
        whole_group=whole_group,
        period_start=period_start,
        period_end=period_end,
        status=JobStatus.queued,
        steps_total=steps_for(2),
        lease_until=queued_lease(),  # sent again if nobody takes it by then (casework.core.jobs)
    )
    db.session.add(job)
    db.session.flush()
    enqueue("reports.compile_partnership", job.id)
    return job


def delete_finished_jobs(moment: datetime | None = None) -> int:
    """Delete the report jobs (the page's and the API's) that finished, done or failed, over
    ``CASEWORK_JOB_RETENTION_DAYS`` ago; never one still queued or running. Returns how many."""
    from casework.core import jobs
    from casework.reports.models import ReportJob
    from casework.statistics.models import FINISHED

    return jobs.delete_finished_jobs(ReportJob, FINISHED, moment)


def job_areas(job: Any) -> list[Area]:
    import sqlalchemy as sa

    from casework.extensions import db

    return list(db.session.scalars(sa.select(Area).where(Area.id.in_(job.area_ids)).order_by(Area.code)))


def report_of_job(job: Any) -> dict[str, Any]:
    """The report a finished job compiled (JSON keeps area ids as text: back to numbers)."""

    def complete(figures: dict[str, Any]) -> dict[str, Any]:
        # A job compiled before a figure was added lacks it: shown as none rather than failing.
        whole = empty_figures()
        whole.update(figures)
        whole["case_review"] = {**empty_figures()["case_review"], **figures.get("case_review", {})}
        return whole

    def restored(figures: dict[str, Any]) -> dict[str, Any]:
        return {
            "areas": {int(key): complete(value) for key, value in figures["areas"].items()},
            "total": complete(figures["total"]),
        }

    areas = job_areas(job)
    report = assemble_report(
        areas,
        job.period_start,
        job.period_end,
        whole_group=job.whole_group,
        now=restored(job.figures["now"]),
        before=restored(job.figures["before"]),
    )
    report["job_id"] = job.id
    return report
