"""API input and output of the partnership performance report (docs/api.md, last section)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from casework.core.fields import PlannedDate
from casework.core.openapi import Answer, nullable
from casework.core.webargs import BaseSchema
from casework.reports.disclosure import for_json
from casework.reports.queries import BREAKDOWN_KEYS, CASE_REVIEW_KEYS, COUNT_KEYS, DERIVED_KEYS


class ReportArgs(BaseSchema):
    #: Without it: every area the user's agency covers, added up (the county).
    area = fields.String(load_default=None, validate=validate.Length(min=1, max=10))
    #: Both default to the financial year that contains today.
    period_start = PlannedDate(load_default=None)
    period_end = PlannedDate(load_default=None)


class _CaseReview(Answer):
    # A count below the report's smallest count is null (withheld: casework.reports.disclosure), as is a
    # figure computed from one; so is every count and share below.
    applications = nullable(fields.Integer(required=True))
    threshold_not_met = nullable(fields.Integer(required=True))
    reviews_carried_out = nullable(fields.Integer(required=True))
    reviews_with_recommendations = nullable(fields.Integer(required=True))
    # Optional (beyond docs/api.md): the Case Review deadlines that fell due in the period, and met on time.
    deadlines_due = nullable(fields.Integer())
    deadlines_met = nullable(fields.Integer())
    deadlines_met_share = nullable(fields.Float())


class _Figures(Answer):
    cases_opened = nullable(fields.Integer(required=True))
    cases_closed = nullable(fields.Integer(required=True))
    open_at_end = nullable(fields.Integer(required=True))
    incidents = nullable(fields.Integer(required=True))
    complaints = nullable(fields.Integer(required=True))
    repeat_victims = nullable(fields.Integer(required=True))
    interventions = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    case_review = fields.Nested(_CaseReview, required=True)
    # Optional (beyond docs/api.md): the working figures of the report's page.
    first_contacts = nullable(fields.Integer())
    first_contact_within_1 = nullable(fields.Integer())
    first_contact_within_2 = nullable(fields.Integer())
    first_contact_within_5 = nullable(fields.Integer())
    first_contact_within_1_share = nullable(fields.Float())
    first_contact_within_2_share = nullable(fields.Float())
    first_contact_within_5_share = nullable(fields.Float())
    median_working_days_to_first_contact = nullable(fields.Float())
    #: ``{"<kind>/<status>": count}`` of those issued in the period, by their outcome as recorded now.
    interventions_by_outcome = fields.Dict(keys=fields.String(), values=fields.Integer())


class _AreaFigures(Answer):
    area = fields.String(required=True)
    area_name = fields.String(required=True)
    figures = fields.Nested(_Figures, required=True)
    previous = fields.Nested(_Figures, required=True)


class ReportAnswer(Answer):
    """``area`` is null for the group of areas added up; ``areas`` then gives each area's figures."""

    area = nullable(fields.String(required=True))
    area_name = fields.String(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    previous_period_start = fields.Date(required=True)
    previous_period_end = fields.Date(required=True)
    figures = fields.Nested(_Figures, required=True)
    previous = fields.Nested(_Figures, required=True)
    changes = fields.Dict(required=True)
    areas = fields.List(fields.Nested(_AreaFigures), required=True)
    # Optional (beyond docs/api.md): counts below this are withheld (null, and absent from a breakdown).
    small_count = fields.Integer()


class ReportJobAnswer(Answer):
    """A report being compiled for ``Prefer: respond-async``: follow it at its ``Location`` until
    ``status`` is ``done`` (``report`` is then the answer without the preference) or ``failed``."""

    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["queued", "running", "done", "failed"]))
    #: As asked: null for every area of the agency added up.
    area = nullable(fields.String(required=True))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    #: How far the task has got (steps of the count, the same for every report of a period's length).
    steps_done = fields.Integer(required=True)
    steps_total = fields.Integer(required=True)
    created_at = nullable(fields.DateTime(required=True))
    started_at = nullable(fields.DateTime(required=True))
    finished_at = nullable(fields.DateTime(required=True))
    error = nullable(fields.String(required=True))
    report = nullable(fields.Nested(ReportAnswer, required=True))


def dump_job(job: Any, areas: list[Any], report: dict[str, Any] | None) -> dict[str, Any]:
    """``areas``: the job's areas; ``report``: the report it compiled, once it is done."""
    return {
        "id": job.id,
        "status": job.status.value,
        "area": None if job.whole_group or not areas else areas[0].code,
        "period_start": job.period_start.isoformat(),
        "period_end": job.period_end.isoformat(),
        "steps_done": job.steps_done,
        "steps_total": job.steps_total,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "error": job.error,
        "report": dump_report(report) if report is not None else None,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def dump_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures as the API gives them: a withheld one (``casework.reports.disclosure``) is null."""
    return {
        **{key: for_json(figures[key]) for key in COUNT_KEYS},
        **{key: for_json(figures[key]) for key in DERIVED_KEYS},
        **{
            key: dict(sorted(figures[key].items()))
            if key != "open_age"
            else {name: for_json(value) for name, value in figures[key].items()}
            for key in BREAKDOWN_KEYS
        },
        "case_review": {key: for_json(figures["case_review"][key]) for key in CASE_REVIEW_KEYS},
    }


def dump_report(report: dict[str, Any]) -> dict[str, Any]:
    areas = report["areas"]
    return {
        "area": None if report["whole_group"] else areas[0].code,
        "area_name": group_name(report),
        "period_start": report["period_start"].isoformat(),
        "period_end": report["period_end"].isoformat(),
        "previous_period_start": report["previous_start"].isoformat(),
        "previous_period_end": report["previous_end"].isoformat(),
        "figures": dump_figures(report["figures"]),
        "previous": dump_figures(report["previous"]),
        "changes": report["changes"],
        "small_count": report.get("small_count", 0),
        "areas": [
            {
                "area": item["area"].code,
                "area_name": item["area"].name,
                "figures": dump_figures(item["figures"]),
                "previous": dump_figures(item["previous"]),
            }
            for item in report["by_area"]
        ],
    }


def group_name(report: dict[str, Any]) -> str:
    areas = report["areas"]
    if not report["whole_group"]:
        return areas[0].name
    return "All areas: " + ", ".join(area.name for area in areas)
