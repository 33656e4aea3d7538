"""The partnership performance report in the API (API.md, last section)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from casework.core.openapi import documented
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.core.webargs import use_args
from casework.reports import policies, services
from casework.reports.schemas import ReportAnswer, ReportArgs, dump_report
from casework.statistics.services import financial_year

bp = Blueprint("reports", __name__)


def report_from(args: dict[str, Any]) -> dict[str, Any]:
    default_start, default_end = financial_year(today())
    areas, whole_group = policies.report_areas(current_user, args.get("area"))
    return services.build_report(
        areas, args.get("period_start") or default_start, args.get("period_end") or default_end, whole_group=whole_group
    )


@bp.get("/reports/partnership")
@documented(response=ReportAnswer)
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
@use_args(ReportArgs, location="query")
def partnership(args: dict[str, Any]):
    """The partnership performance report: an area's figures (or every area of your agency added up)
    for a period and for the same dates a year earlier, with each change."""
    return dump_report(report_from(args))
