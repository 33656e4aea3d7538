"""The statistics compilation page keeps itself up to date without a <meta refresh> (which reloads the
whole page, moves focus and fails axe's "meta-refresh" rule): a small module script fetches the page
again and swaps the status in place, and the page offers a "Check again" link without JavaScript."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support.browser import assert_accessible

pytestmark = pytest.mark.browser


def _running_job(live_app) -> int:
    from casework.accounts.models import Area
    from casework.extensions import db
    from casework.statistics.models import JobStatus, StatisticsJob

    with live_app.app.app_context():
        area = db.session.scalar(sa.select(Area).where(Area.code == "BOL"))
        job = StatisticsJob(area=area, period_start=date(2024, 4, 1), period_end=date(2025, 3, 31))
        job.status = JobStatus.running
        db.session.add(job)
        db.session.commit()
        return job.id


def _finish(live_app, job_id: int) -> None:
    from casework.extensions import db
    from casework.statistics.models import JobStatus, StatisticsJob

    with live_app.app.app_context():
        job = db.session.get(StatisticsJob, job_id)
        job.status = JobStatus.failed
        job.error = "The figures could not be compiled: try again."
        db.session.commit()


def test_the_job_page_updates_in_place_and_stops_when_finished(signed_in_as, live_app):
    job_id = _running_job(live_app)
    page, console = signed_in_as("manager")
    page.goto(f"/reports/statistics/jobs/{job_id}")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    expect(page.get_by_role("status")).to_contain_text("Running")
    expect(page.get_by_role("link", name="Check again")).to_be_visible()
    assert_accessible(page)
    # A marker that a reload would wipe: the update must happen in place.
    page.evaluate("window.stillTheSamePage = true")

    _finish(live_app, job_id)

    expect(page.get_by_role("status")).to_contain_text("Failed", timeout=15_000)
    expect(page.get_by_text("The figures could not be compiled")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.get_by_role("link", name="Check again")).to_have_count(0)
    assert_accessible(page)
    assert console.take() == []
