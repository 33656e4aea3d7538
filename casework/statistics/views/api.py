"""The statistics API (docs/api.md "Statistics"): live figures, compile, publish, historic figures."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, url_for
from flask_login import current_user

from casework.accounts.services import get_area
from casework.core.db import commit
from casework.core.errors import NotFound, json_error
from casework.core.jobs import RETRY_AFTER, RETRY_AFTER_WHILE_UNFINISHED, poll_again_later
from casework.core.openapi import Header, OtherAnswer, documented
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.core.webargs import use_args
from casework.statistics import policies, services
from casework.statistics.models import JobStatus
from casework.statistics.queries import STATUTORY_KEYS, job_with_id
from casework.statistics.schemas import (
    FiguresQueryArgs,
    HistoricArgs,
    JobAnswer,
    LiveFiguresAnswer,
    PeriodArgs,
    PublishArgs,
    SnapshotAnswer,
    SnapshotList,
    WithdrawArgs,
    dump_differences,
    dump_job,
    dump_live,
    dump_snapshot,
)

bp = Blueprint("statistics", __name__)


def _period(args: dict[str, Any]) -> tuple[Any, Any]:
    default_start, default_end = services.financial_year(today())
    return args.get("period_start") or default_start, args.get("period_end") or default_end


@bp.get("/statistics")
@documented(response=LiveFiguresAnswer)
@requires(Permission.VIEW_STATISTICS)
@use_args(FiguresQueryArgs, location="query")
def figures(args: dict[str, Any]):
    """The figures counted from the records now (not a snapshot)."""
    area = get_area(args["area"])
    period_start, period_end = _period(args)
    live = services.live_figures(current_user, area, period_start, period_end)
    published = services.public_version(area, period_start, period_end)
    return {
        **dump_live(area, period_start, period_end, live),
        # Where a version is published: the figures the records now give differently.
        "published": dump_differences(published, services.differences(published, live) if published else []),
    }


@bp.get("/statistics/versions")
@documented(response=SnapshotList)
@requires(Permission.VIEW_STATISTICS)
@use_args(FiguresQueryArgs, location="query")
def versions(args: dict[str, Any]):
    """Every snapshot of an area and period, newest first: published versions and drafts."""
    area = get_area(args["area"])
    period_start, period_end = _period(args)
    policies.require(current_user, Permission.VIEW_STATISTICS, area)
    return {"items": [dump_snapshot(s) for s in services.snapshots_for(area, period_start, period_end)]}


COMPILING = OtherAnswer(
    202,
    "Compiling: the job, to follow at its `Location`.",
    JobAnswer,
    headers=(
        Header("Location", "The job: `GET` it until its `status` is `done` (its `snapshot` is then the draft)."),
        RETRY_AFTER,
    ),
)


@bp.post("/statistics/compile")
# 500: the compilation ran at once (no separate worker) and failed; the job's error says so.
@documented(response=SnapshotAnswer, also=(COMPILING,), errors=(500,))
@requires(Permission.COMPILE_STATISTICS)
@use_args(PeriodArgs)
def compile_figures(args: dict[str, Any]):
    """Queue a compilation: ``200`` with the draft when it finished at once, else ``202`` with the job."""
    area = get_area(args["area_code"])
    job = services.request_compile(current_user, area, args["period_start"], args["period_end"])
    commit()
    job = job_with_id(job.id)
    if job.status == JobStatus.done and job.snapshot is not None:
        return {**dump_snapshot(job.snapshot), "job_id": job.id}
    if job.status == JobStatus.failed:
        return json_error(500, message=job.error)
    response = make_response(dump_job(job), 202)
    response.headers["Location"] = url_for("api.statistics.job", job_id=job.id)
    return poll_again_later(response)


@bp.get("/statistics/jobs/<int:job_id>")
@documented(response=JobAnswer, response_headers=(RETRY_AFTER_WHILE_UNFINISHED,))
@requires(Permission.VIEW_STATISTICS)
def job(job_id: int):
    job = job_with_id(job_id)
    # Another area's job answers as a missing one: a 403 would confirm the id and name the area.
    if job is None or not policies.can(current_user, Permission.VIEW_STATISTICS, job.area):
        raise NotFound("No such job.")
    response = make_response(dump_job(job))
    return response if job.is_finished else poll_again_later(response)


@bp.post("/statistics/publish")
@documented(response=SnapshotAnswer)
@requires(Permission.PUBLISH_STATISTICS)
@use_args(PublishArgs)
def publish(args: dict[str, Any]):
    area = get_area(args["area_code"])
    snapshot = services.publish(
        current_user,
        area,
        args["period_start"],
        args["period_end"],
        note=args["note"],
        publish_extras=args["publish_extras"],
    )
    commit()
    return dump_snapshot(snapshot)


@bp.post("/statistics/versions/<int:snapshot_id>/withdraw")
@documented(response=SnapshotAnswer)
@requires(Permission.PUBLISH_STATISTICS)
@use_args(WithdrawArgs)
def withdraw(args: dict[str, Any], snapshot_id: int):
    """Withdraw a version published by mistake: kept, marked with the note, off the public pages."""
    snapshot = services.get_snapshot(snapshot_id)
    if not policies.can(current_user, Permission.VIEW_STATISTICS, snapshot.area):
        raise NotFound("No such statistics version.")
    services.withdraw(current_user, snapshot, args["note"])
    commit()
    return dump_snapshot(services.get_snapshot(snapshot_id))


@bp.get("/statistics/changed")
@documented(response=SnapshotList)
@requires(Permission.PUBLISH_STATISTICS)
def changed():
    """Published periods of the manager's areas whose figures the records now give differently."""
    areas = policies.visible_areas(current_user)
    found = services.changed_since_publication([a.id for a in areas], ended_after=services.CASE_REVIEWS_BEGAN)
    return {"items": [{**dump_snapshot(item["snapshot"]), "differences": item["differences"]} for item in found]}


@bp.post("/statistics/historic")
@documented(response=SnapshotAnswer, status=201)
@requires(Permission.ADMINISTER)
@use_args(HistoricArgs)
def enter_historic(args: dict[str, Any]):
    """Figures of a year before the service was used, entered by hand: ``422`` for a period the service
    holds the area's records for, or whose figures a manager published from them."""
    area = get_area(args["area_code"])
    snapshot = services.enter_historic(
        current_user,
        area,
        args["period_start"],
        args["period_end"],
        {key: args[key] for key in STATUTORY_KEYS},
        args["note"],
    )
    commit()
    return dump_snapshot(snapshot), 201
