"""The partnership performance report's pages: the report (charts, each with its table under it), every
table as CSV, the whole report as an XLSX workbook (a sheet a table) and as a PDF in the shape of a
committee report."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from casework.core.db import commit
from casework.core.downloads import file_response
from casework.core.errors import InvalidInput, NotFound
from casework.core.inputs import is_digits, iso_day, query_id
from casework.core.links import external_url
from casework.core.permissions import Permission, requires
from casework.core.time import today
from casework.reports import policies, queries, services
from casework.reports.forms import ChooseReportForm, CompileReportForm, period_options
from casework.reports.models import ReportJob
from casework.reports.schemas import group_name
from casework.reports.tables import AREA_HEADER, area_table, tables
from casework.spreadsheets.writing import MIMETYPES, write_sheet
from casework.statistics.models import JobStatus
from casework.statistics.services import financial_year

bp = Blueprint("reports", __name__, url_prefix="/reports/partnership")

#: How often the progress page checks the job while a report is compiled (seconds).
REFRESH_SECONDS = 3

#: The committee report's stylesheet (WeasyPrint reads it; the PDF has no other).
REPORT_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "report.css"


def _requested_period() -> tuple[date, date]:
    """``?period_start=&period_end=`` (any run of days), else ``?period=fy-2025`` or ``cy-2025``,
    else the financial year that contains today."""
    if request.args.get("period_start") and request.args.get("period_end"):
        period_start = iso_day(request.args["period_start"])
        period_end = iso_day(request.args["period_end"])
        if period_start is None or period_end is None:
            raise InvalidInput({"period_start": ["Enter the period's dates as YYYY-MM-DD."]})
        return period_start, period_end
    kind, _, year = request.args.get("period", "").partition("-")
    if is_digits(year) and len(year) == 4 and 1900 <= int(year) <= 2098:
        if kind == "fy":
            return date(int(year), 4, 1), date(int(year) + 1, 3, 31)
        if kind == "cy":
            return date(int(year), 1, 1), date(int(year), 12, 31)
    return financial_year(today())


def _report() -> dict[str, Any]:
    """The report the URL asks for: ``?job=`` one compiled by a task, else counted now."""
    if request.args.get("job"):
        # An id like any other (1 to the database's integer range): anything else names no report.
        job_id = query_id(request.args["job"])
        if job_id is None:
            raise NotFound("No such report.")
        return services.report_of_job(_own_finished_job(job_id))
    areas, whole_group = policies.report_areas(current_user, request.args.get("area") or None)
    period_start, period_end = _requested_period()
    return services.build_report(areas, period_start, period_end, whole_group=whole_group)


def _own_finished_job(job_id: int) -> ReportJob:
    job = queries.report_job_with_id(job_id)
    if not policies.may_see_job(current_user, job) or job.status != JobStatus.done:
        raise NotFound("No such report.")
    return job


def _render(report: dict[str, Any], job: ReportJob | None = None):
    covered = sorted(current_user.agency.areas, key=lambda area: area.code)
    options = period_options(today(), report["period_start"], report["period_end"])
    shown = (report["period_start"], report["period_end"])
    choose = ChooseReportForm(
        formdata=None,
        area="" if report["whole_group"] else report["areas"][0].code,
        period=next(value for value, _label, dates in options if dates == shown),
    )
    choose.area.choices = [("", "All areas added up"), *((area.code, area.name) for area in covered)]
    choose.period.choices = [(value, label) for value, label, _dates in options]
    return render_template(
        "reports/partnership.html",
        title="Partnership performance report",
        report=report,
        group_name=group_name(report),
        tables=tables(report, **_names()),
        area_header=AREA_HEADER,
        area_rows=area_table(report),
        choose=choose,
        query=_query(report),
        job=job,
    )


def _names() -> dict[str, dict[str, str]]:
    return queries.category_and_agency_names()


def _query(report: dict[str, Any]) -> dict[str, str]:
    """The URL parameters that give this report again (downloads link with them)."""
    if report.get("job_id"):
        return {"job": str(report["job_id"])}
    return {
        **({} if report["whole_group"] else {"area": report["areas"][0].code}),
        "period_start": report["period_start"].isoformat(),
        "period_end": report["period_end"].isoformat(),
    }


def _file_stem(report: dict[str, Any]) -> str:
    where = "all-areas" if report["whole_group"] else report["areas"][0].code
    return f"partnership-report-{where}-{report['period_start']:%Y-%m-%d}-to-{report['period_end']:%Y-%m-%d}"


@bp.get("/")
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
def index():
    areas, whole_group = policies.report_areas(current_user, request.args.get("area") or None)
    period_start, period_end = _requested_period()
    services.validate_period(period_start, period_end)
    if services.is_large(areas, period_start, period_end):
        # Too long to count while the page waits: offer to compile it with a task.
        return render_template(
            "reports/partnership_large.html",
            title="Partnership performance report",
            form=CompileReportForm(
                formdata=None,
                area="" if whole_group else areas[0].code,
                period_start=period_start.isoformat(),
                period_end=period_end.isoformat(),
            ),
            areas=areas,
            whole_group=whole_group,
            period_start=period_start,
            period_end=period_end,
        )
    return _render(services.build_report(areas, period_start, period_end, whole_group=whole_group))


@bp.post("/compile")
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
def compile_report():
    form = CompileReportForm()
    if not form.validate():
        raise InvalidInput({key: list(messages) for key, messages in form.errors.items()})
    areas, whole_group = policies.report_areas(current_user, form.area.data or None)
    job = services.request_report(
        current_user, areas, form.period_start.data, form.period_end.data, whole_group=whole_group
    )
    commit()
    return redirect(url_for("staff.reports.job", job_id=job.id))


@bp.get("/jobs/<int:job_id>")
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
def job(job_id: int):
    job = queries.report_job_with_id(job_id)
    if not policies.may_see_job(current_user, job):
        raise NotFound("No such report.")
    # ``?view=status``: the progress page even once done (job-status.mjs reads it for the new status).
    if job.status == JobStatus.done and request.args.get("view") != "status":
        return _render(services.report_of_job(job), job)
    # No <meta refresh> (it reloads the page and moves focus: axe "meta-refresh"): job-status.mjs
    # fetches the status and swaps it in place; WCAG 2.2.1: the person can stop that checking.
    refresh = not job.is_finished and request.args.get("refresh") != "off"
    return render_template(
        "reports/partnership_job.html",
        title="Compiling the partnership report",
        job=job,
        areas=services.job_areas(job),
        refresh_seconds=REFRESH_SECONDS if refresh else None,
    )


@bp.get("/tables/<name>.csv")
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
def table_csv(name: str):
    report = _report()
    if name == "areas" and report["whole_group"]:
        header, rows = AREA_HEADER, area_table(report)
    else:
        table = next((t for t in tables(report, **_names()) if t.name == name), None)
        if table is None:
            raise NotFound("No such table in the report.")
        header, rows = table.header(report["period_name"], report["previous_name"]), table.cells()
    with write_sheet("csv", header, rows) as content:
        return file_response(content.read(), f"{_file_stem(report)}-{name}.csv", MIMETYPES["csv"])


@bp.get("/report.xlsx")
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
def workbook():
    from openpyxl import Workbook

    from casework.spreadsheets.writing import append_row

    report = _report()
    book = Workbook(write_only=True)
    for table in tables(report, **_names()):
        sheet = book.create_sheet(title=table.title[:31].replace("/", " "))
        append_row(sheet, table.header(report["period_name"], report["previous_name"]))
        for row in table.cells():
            append_row(sheet, row)
    if report["whole_group"]:
        sheet = book.create_sheet(title="By area")
        append_row(sheet, AREA_HEADER)
        for row in area_table(report):
            append_row(sheet, row)
    buffer = io.BytesIO()
    book.save(buffer)
    return file_response(buffer.getvalue(), f"{_file_stem(report)}.xlsx", MIMETYPES["xlsx"])


@bp.get("/report.pdf")
@requires(Permission.VIEW_PARTNERSHIP_REPORT)
def pdf():
    from casework.documents.layout import pdf_available, to_pdf

    if not pdf_available():
        raise NotFound("PDFs cannot be made on this server: print the page instead.")
    report = _report()
    html = render_template(
        "reports/partnership_pdf.html",
        report=report,
        group_name=group_name(report),
        tables=tables(report, **_names()),
        area_header=AREA_HEADER,
        area_rows=area_table(report),
        page_url=external_url("staff.reports.index", **_query(report)),
        prepared_on=today(),
    )
    return file_response(to_pdf(html, REPORT_CSS), f"{_file_stem(report)}.pdf", "application/pdf")
