"""API input and output of the statistics (docs/api.md "Statistics")."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from casework.core.fields import PlannedDate
from casework.core.openapi import Answer, list_answer, nullable
from casework.core.webargs import BaseSchema
from casework.statistics.queries import (
    EXTRA_KEYS,
    FIGURE_KEYS,
    FIGURE_RANGE_MESSAGE,
    MAX_FIGURE_ENTERED,
    STATUTORY_KEYS,
)

AREA_CODE = fields.String(required=True, validate=validate.Length(min=1, max=10))


class FiguresQueryArgs(BaseSchema):
    area = fields.String(required=True, validate=validate.Length(min=1, max=10))
    #: Both default to the current financial year.
    period_start = PlannedDate(load_default=None)
    period_end = PlannedDate(load_default=None)


class PeriodArgs(BaseSchema):
    area_code = fields.String(required=True, validate=validate.Length(min=1, max=10))
    period_start = PlannedDate(required=True)
    period_end = PlannedDate(required=True)


class PublishArgs(PeriodArgs):
    #: Required for a correction (a second or later version).
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    #: Publish the extras (channels, bases, appeals, pending, median days) with the four figures.
    publish_extras = fields.Boolean(load_default=False)


class WithdrawArgs(BaseSchema):
    #: Why the version is withdrawn: kept with it and shown to staff.
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def _figure() -> fields.Integer:
    """A figure entered by hand: 0 to ``MAX_FIGURE_ENTERED`` (the service checks it again)."""
    return fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_FIGURE_ENTERED, error=FIGURE_RANGE_MESSAGE),
    )


class HistoricArgs(PeriodArgs):
    applications = _figure()
    threshold_not_met = _figure()
    reviews_carried_out = _figure()
    reviews_with_recommendations = _figure()
    #: Where the figures come from: the paper or page that published them.
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def dump_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """Every figure key in order; ones a snapshot does not hold (figures entered by hand) are null."""
    return {key: figures.get(key) for key in FIGURE_KEYS}


def dump_live(area: Any, period_start: Any, period_end: Any, figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "area_code": area.code,
        "area_name": area.name,
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        **dump_figures(figures),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def dump_snapshot(snapshot: Any) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "area_code": snapshot.area.code,
        "area_name": snapshot.area.name,
        "period_start": snapshot.period_start.isoformat(),
        "period_end": snapshot.period_end.isoformat(),
        "status": snapshot.status.value,
        "source": snapshot.source.value,
        "version": snapshot.version,
        "compiled_at": _iso(snapshot.compiled_at),
        "compiled_by_id": snapshot.compiled_by_id,
        "published_at": _iso(snapshot.published_at),
        "published_by_id": snapshot.published_by_id,
        "extras_published": snapshot.extras_published,
        "note": snapshot.note,
        "withdrawal": dump_withdrawal(snapshot.withdrawal),
        **dump_figures(snapshot.figures),
    }


def dump_withdrawal(withdrawal: Any) -> dict[str, Any] | None:
    if withdrawal is None:
        return None
    return {
        "withdrawn_at": _iso(withdrawal.withdrawn_at),
        "withdrawn_by_id": withdrawal.withdrawn_by_id,
        "note": withdrawal.note,
    }


def dump_differences(published: Any, differences: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The published version the public sees for a period, and the figures the records now change."""
    if published is None:
        return None
    return {"version": published.version, "snapshot_id": published.id, "differences": differences}


def dump_job(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "job_id": job.id,
        "area_code": job.area.code,
        "period_start": job.period_start.isoformat(),
        "period_end": job.period_end.isoformat(),
        "status": job.status.value,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "error": job.error,
        "snapshot": dump_snapshot(job.snapshot) if job.snapshot is not None else None,
    }


#: The columns of /statistics.csv and the keys of each /statistics.json item, in order (docs/api.md).
PUBLIC_COLUMNS = (
    "area_code",
    "area_name",
    "period_start",
    "period_end",
    *STATUTORY_KEYS,
    "version",
    "published_at",
    "entered_by_hand",
    "note",
    *EXTRA_KEYS,
)


def public_item(snapshot: Any) -> dict[str, Any]:
    """One published area and period. Extras are null unless the area chose to publish them."""
    item: dict[str, Any] = {
        "area_code": snapshot.area.code,
        "area_name": snapshot.area.name,
        "period_start": snapshot.period_start.isoformat(),
        "period_end": snapshot.period_end.isoformat(),
        **{key: snapshot.figures.get(key) for key in STATUTORY_KEYS},
        "version": snapshot.version,
        "published_at": _iso(snapshot.published_at),
        "entered_by_hand": snapshot.source.value == "entered_by_hand",
        "note": snapshot.note,
    }
    for key in EXTRA_KEYS:
        item[key] = snapshot.figures.get(key) if snapshot.extras_published else None
    return item


# --- answers (described for the OpenAPI document; the dump_* functions above build them) --------------


class _Figures(Answer):
    """The figures: the four statutory ones (docs/api.md) and the extras, null when not held."""

    applications = nullable(fields.Integer())
    threshold_not_met = nullable(fields.Integer())
    reviews_carried_out = nullable(fields.Integer())
    reviews_with_recommendations = nullable(fields.Integer())


class LiveFiguresAnswer(_Figures):
    area_code = fields.String(required=True)
    area_name = fields.String(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)


class SnapshotAnswer(LiveFiguresAnswer):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    source = fields.String(required=True)
    version = nullable(fields.Integer())
    compiled_at = nullable(fields.DateTime())
    compiled_by_id = nullable(fields.Integer())
    published_at = nullable(fields.DateTime())
    published_by_id = nullable(fields.Integer())
    extras_published = nullable(fields.Boolean())
    note = nullable(fields.String())
    #: The compile job that produced it (when compiled at once).
    job_id = fields.Integer()


class JobAnswer(Answer):
    id = fields.Integer(required=True)
    job_id = fields.Integer(required=True)
    area_code = fields.String(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    status = fields.String(required=True)
    created_at = nullable(fields.DateTime())
    started_at = nullable(fields.DateTime())
    finished_at = nullable(fields.DateTime())
    error = nullable(fields.String())
    snapshot = nullable(fields.Nested(SnapshotAnswer))


SnapshotList = list_answer(SnapshotAnswer, "SnapshotList")
