"""The partnership performance report in the API (docs/api.md, last section), and, for a client that sends
``Prefer: respond-async`` (RFC 7240), the same report compiled by the task the page uses for large
reports (docs/api.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, request, url_for
from flask_login import current_user

from casework.core import prefer
from casework.core.db import begin_writing, commit
from casework.core.errors import NotFound
from casework.core.jobs import RETRY_AFTER, RETRY_AFTER_WHILE_UNFINISHED, poll_again_later
from casework.core.openapi import Header, OtherAnswer, documented
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.core.webargs import use_args
from casework.reports import policies, queries, services
from casework.reports.schemas import ReportAnswer, ReportArgs, ReportJobAnswer, dump_job, dump_report
from casework.statistics.models import JobStatus
from casework.statistics.services import financial_year

bp = Blueprint("reports", __name__)

ASYNC_ANSWER = OtherAnswer(
    202,
    "Sent `Prefer: respond-async`: the report is being compiled; follow the job at its `Location`.",
    ReportJobAnswer,
    headers=(
        Header("Location", "The job: `GET` it until its `status` is `done` (its `report` is then the answer)."),
        Header("Preference-Applied", "`respond-async`"),
        RETRY_AFTER,
    ),
)
PREFER_HEADER = (
    "Prefer",
    "Optional: `respond-async` to have the report compiled by a task: `202` with the job instead of waiting "
    "for the answer. Without it the answer is as ever.",
    prefer.RESPOND_ASYNC,
)


def _period(args: dict[str, Any]) -> tuple[Any, Any]:
    default_start, default_end = financial_year(today())
    return args.get("period_start") or default_start, args.get("period_end") or default_end


@bp.get("/reports/partnership")
@documented(response=ReportAnswer, also=(ASYNC_ANSWER,), headers=(PREFER_HEADER,))
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
@use_args(ReportArgs, location="query")
def partnership(args: dict[str, Any]):
    """The partnership performance report: an area's figures (or every area of your agency added up)
    for a period and for the same dates a year earlier, with each change."""
    areas, whole_group = policies.report_areas(current_user, args.get("area"))
    period_start, period_end = _period(args)
    # A HEAD stays a read, whatever it prefers: only a GET queues a job.
    if request.method != "GET" or not prefer.prefers(prefer.RESPOND_ASYNC):
        report = services.build_report(areas, period_start, period_end, whole_group=whole_group)
        return prefer.may_vary(make_response(dump_report(report)))
    # Honoured for every report, however small: a client that asked for a job always gets one. Bad
    # input is refused here, with the messages of the answer above, before anything is written.
    services.validate_period(period_start, period_end)
    begin_writing()
    areas, whole_group = policies.report_areas(current_user, args.get("area"))
    job = services.request_report(current_user, areas, period_start, period_end, whole_group=whole_group)
    commit()
    response = _job_answer(job.id, 202)
    response.headers["Location"] = url_for("api.reports.job", job_id=job.id)
    # Even when the task has already finished (tasks run at once in development): the job is ready at
    # its Location, and every 202 says the same.
    return prefer.applied(poll_again_later(response), prefer.RESPOND_ASYNC)


@bp.get("/reports/partnership/jobs/<int:job_id>")
@documented(response=ReportJobAnswer, response_headers=(RETRY_AFTER_WHILE_UNFINISHED,))
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
def job(job_id: int):
    """A partnership report compiled for `Prefer: respond-async`: its progress, then the report.

    Only the manager who asked sees it; to anyone else it does not exist (404)."""
    return _job_answer(job_id, 200)


def _job_answer(job_id: int, status: int) -> Response:
    """The job's answer; while it is unfinished, with when to poll again."""
    job = queries.report_job_with_id(job_id)
    if not policies.may_see_job(current_user, job):
        raise NotFound("No such report.")
    report = services.report_of_job(job) if job.status == JobStatus.done else None
    response = make_response(dump_job(job, report["areas"] if report else services.job_areas(job), report), status)
    return response if job.is_finished else poll_again_later(response)
