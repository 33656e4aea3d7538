"""The partnership report's progress page keeps itself up to date without a <meta refresh> (which
reloads the whole page, moves focus and fails axe's "meta-refresh" rule): job-status.mjs fetches the
status and swaps it in place, and without JavaScript the page offers a "Check again" link."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support.browser import assert_accessible

pytestmark = pytest.mark.browser

PERIOD = (date(2024, 4, 1), date(2026, 3, 31))


def _running_job(live_app) -> int:
    from casework.accounts.models import Area, User
    from casework.extensions import db
    from casework.reports.models import ReportJob
    from casework.statistics.models import JobStatus

    with live_app.app.app_context():
        area = db.session.scalar(sa.select(Area).where(Area.code == "BOL"))
        manager = db.session.scalar(sa.select(User).where(User.email == live_app.users["manager"][0]))
        job = ReportJob(
            requested_by_id=manager.id,
            area_ids=[area.id],
            whole_group=False,
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            status=JobStatus.running,
            steps_done=3,
            steps_total=20,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def _finish(live_app, job_id: int) -> None:
    from casework.core.time import now
    from casework.extensions import db
    from casework.reports import services
    from casework.reports.models import ReportJob
    from casework.statistics.models import JobStatus

    with live_app.app.app_context():
        job = db.session.get(ReportJob, job_id)
        figures, before = services.compute_both(services.job_areas(job), job.period_start, job.period_end)
        job.figures = {"now": figures, "before": before}
        job.status = JobStatus.done
        job.steps_done = job.steps_total
        job.finished_at = now()
        db.session.commit()


def test_the_report_job_page_updates_in_place_and_links_to_the_report(signed_in_as, live_app):
    job_id = _running_job(live_app)
    page, console = signed_in_as("manager")
    page.goto(f"/reports/partnership/jobs/{job_id}")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    expect(page.get_by_role("status")).to_contain_text("Running")
    expect(page.get_by_role("link", name="Check again")).to_be_visible()
    assert_accessible(page)
    # A marker that a reload would wipe: the update must happen in place.
    page.evaluate("window.stillTheSamePage = true")

    _finish(live_app, job_id)

    expect(page.get_by_role("status")).to_contain_text("Done", timeout=15_000)
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.get_by_role("link", name="Check again")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="View the report").click()
    expect(page.get_by_role("heading", name="Time to first contact with the victim")).to_be_visible()
    assert console.take() == []
