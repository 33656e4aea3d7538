"""A large report (more than 12 months, or many areas) is compiled by a Celery task with its progress
on the page; the finished report is the same as one counted while the page waits."""

from __future__ import annotations

import re
from datetime import date

import pytest

from casework.documents.layout import pdf_available
from casework.extensions import db
from casework.reports import services
from casework.reports.models import ReportJob
from casework.reports.queries import steps_for
from casework.reports.tasks import compile_partnership_report
from tests.conftest import csrf_from

TWO_YEARS = "period_start=2024-04-01&period_end=2026-03-31"


@pytest.fixture
def manager(make, fixed_data):
    return make.user("manager", agency=fixed_data["council"])


def test_a_long_period_is_compiled_by_a_task_and_shows_the_report(page_client, manager):
    client = page_client(manager)
    page = client.get(f"/reports/partnership/?area=BOL&{TWO_YEARS}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Compile the report" in html
    assert "app-chart__svg" not in html  # nothing counted while the page waited
    response = client.post(
        "/reports/partnership/compile",
        data={"csrf_token": csrf_from(html), "area": "BOL", "period_start": "2024-04-01", "period_end": "2026-03-31"},
    )
    assert response.status_code == 302
    job = db.session.scalars(db.select(ReportJob)).one()
    assert response.headers["Location"].endswith(f"/reports/partnership/jobs/{job.id}")
    # The tests run tasks eagerly: the job is done, having told its progress step by step.
    db.session.refresh(job)
    assert job.status.value == "done"
    assert (job.steps_done, job.steps_total) == (steps_for(2), steps_for(2))
    report_page = client.get(f"/reports/partnership/jobs/{job.id}").get_data(as_text=True)
    assert "Bolsover, 1 April 2024 to 31 March 2026" in report_page
    assert f"job={job.id}" in report_page  # the downloads read the compiled figures
    expected = services.build_report(
        [db.session.get(type(job.requested_by.agency.areas[0]), job.area_ids[0])],
        date(2024, 4, 1),
        date(2026, 3, 31),
        whole_group=False,
    )
    compiled = services.report_of_job(job)
    assert compiled["figures"] == expected["figures"]
    assert compiled["previous"] == expected["previous"]
    assert client.get(f"/reports/partnership/tables/casework.csv?job={job.id}").status_code == 200


def test_a_job_is_seen_only_by_the_manager_who_asked(page_client, make, manager, fixed_data):
    job = services.request_report(manager, [fixed_data["bol"]], date(2024, 4, 1), date(2026, 3, 31), whole_group=False)
    db.session.commit()
    other = make.user("manager", agency=fixed_data["council"])
    assert page_client(other).get(f"/reports/partnership/jobs/{job.id}").status_code == 404
    assert page_client(other).get(f"/reports/partnership/tables/casework.csv?job={job.id}").status_code == 404
    assert page_client(manager).get(f"/reports/partnership/jobs/{job.id}").status_code == 200


def test_a_second_delivery_of_the_task_does_nothing(manager, fixed_data):
    job = services.request_report(manager, [fixed_data["bol"]], date(2024, 4, 1), date(2026, 3, 31), whole_group=False)
    db.session.commit()
    compile_partnership_report(job.id)
    assert compile_partnership_report(job.id) is False
    db.session.refresh(job)
    assert job.status.value == "done"


def test_a_bad_compile_request_writes_nothing(page_client, manager):
    client = page_client(manager)
    html = client.get(f"/reports/partnership/?area=BOL&{TWO_YEARS}").get_data(as_text=True)
    response = client.post(
        "/reports/partnership/compile",
        data={"csrf_token": csrf_from(html), "area": "BOL", "period_start": "2026-04-01", "period_end": "2024-03-31"},
    )
    assert response.status_code in (400, 422)
    assert db.session.scalars(db.select(ReportJob)).all() == []


def test_an_area_out_of_reach_is_not_compiled(page_client, make, manager):
    make.area("AMB", "Amber Valley")
    client = page_client(manager)
    html = client.get(f"/reports/partnership/?area=BOL&{TWO_YEARS}").get_data(as_text=True)
    response = client.post(
        "/reports/partnership/compile",
        data={"csrf_token": csrf_from(html), "area": "AMB", "period_start": "2024-04-01", "period_end": "2026-03-31"},
    )
    assert response.status_code == 404
    assert db.session.scalars(db.select(ReportJob)).all() == []


def test_the_progress_page_checks_again_without_a_meta_refresh(page_client, manager, fixed_data):
    from casework.statistics.models import JobStatus

    job = services.request_report(manager, [fixed_data["bol"]], date(2024, 4, 1), date(2026, 3, 31), whole_group=False)
    db.session.commit()
    job.status = JobStatus.running
    db.session.commit()
    client = page_client(manager)
    html = client.get(f"/reports/partnership/jobs/{job.id}").get_data(as_text=True)
    # A meta refresh reloads the page and moves focus (axe "meta-refresh"): job-status.mjs swaps the
    # status in place instead, and the link works without JavaScript.
    assert 'http-equiv="refresh"' not in html
    assert 'data-refresh-seconds="3"' in html
    assert f'data-refresh-url="/reports/partnership/jobs/{job.id}?view=status"' in html
    assert re.search(r"js/job-status\.[0-9a-f]+\.mjs", html)
    assert f'href="/reports/partnership/jobs/{job.id}">Check again</a>' in html
    stopped = client.get(f"/reports/partnership/jobs/{job.id}?refresh=off").get_data(as_text=True)
    assert "data-refresh-seconds" not in stopped
    assert "job-status." not in stopped
    assert "Check again" in stopped
    # Once done, the status view says so (the script stops there) and links to the report.
    job.status = JobStatus.queued
    db.session.commit()
    assert compile_partnership_report(job.id) is True
    status = client.get(f"/reports/partnership/jobs/{job.id}?view=status").get_data(as_text=True)
    assert 'data-finished="true"' in status
    assert "data-refresh-seconds" not in status
    assert f'href="/reports/partnership/jobs/{job.id}">View the report</a>' in status
    assert "app-chart__svg" in client.get(f"/reports/partnership/jobs/{job.id}").get_data(as_text=True)


def test_a_job_is_no_longer_seen_once_the_managers_agency_stops_covering_its_area(
    api_client, page_client, manager, fixed_data
):
    """The job's report holds the figures of the areas as the manager's agency covered them when they
    asked: once it covers one of them no more (the manager moved agency, or the agency left the area),
    every way to the report answers as for a job that is not theirs, as asking for it afresh does."""
    job = services.request_report(
        manager, [fixed_data["bol"], fixed_data["ned"]], date(2024, 4, 1), date(2026, 3, 31), whole_group=True
    )
    db.session.commit()
    assert compile_partnership_report(job.id) is True
    paths = (
        f"/reports/partnership/jobs/{job.id}",
        f"/reports/partnership/jobs/{job.id}?view=status",
        f"/reports/partnership/tables/casework.csv?job={job.id}",
        f"/reports/partnership/tables/areas.csv?job={job.id}",
        f"/reports/partnership/report.xlsx?job={job.id}",
        f"/reports/partnership/report.pdf?job={job.id}",
    )
    client, api = page_client(manager), api_client(manager)
    before = {path: client.get(path).status_code for path in paths}
    assert before == {path: 404 if ".pdf" in path and not pdf_available() else 200 for path in paths}
    assert api.get(f"/api/v1/reports/partnership/jobs/{job.id}").status_code == 200

    fixed_data["council"].areas = [fixed_data["bol"]]
    db.session.commit()
    answers = {path: client.get(path).status_code for path in paths}
    answers["api"] = api.get(f"/api/v1/reports/partnership/jobs/{job.id}").status_code
    assert answers == dict.fromkeys(answers, 404)
    assert client.get("/reports/partnership/?area=NED").status_code == 404
