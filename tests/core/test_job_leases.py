"""The lease of a background job and the sweep that sends again the jobs left behind
(``casework.core.jobs``), on a committed database of each backend: two sweeps at once send a job once,
a job whose worker renews its lease is never sent again, a queued job whose message was lost is sent
again, and a job left by dead workers ``CASEWORK_JOB_ATTEMPTS`` times is given up with a message its
poll shows. The jobs sent again are then finished by a real worker (in a thread)."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from celery.contrib.testing.worker import start_worker

from casework.core.db import commit
from casework.core.time import now
from casework.extensions import db
from tests.notifications.committed import wait_until
from tests.support.report_jobs import ask_for_a_report, committed_app_and_a_manager, left_by_a_dead_worker, purge_broker

pytestmark = pytest.mark.celery_worker

LEASE_SECONDS = 1


@pytest.fixture(params=["sqlite", "postgresql"])
def app_and_token(request, tmp_path):
    postgresql_url = request.getfixturevalue("postgresql_url") if request.param == "postgresql" else None
    with committed_app_and_a_manager(
        request.param, tmp_path, postgresql_url, JOB_LEASE_SECONDS=LEASE_SECONDS
    ) as app_and_headers:
        yield app_and_headers


def _recover(app: Any) -> dict[str, int]:
    from casework.core import jobs

    with app.app_context():
        return jobs.recover()


def _sent(app: Any, task: str) -> int:
    from casework.core.tasks_outbox import PendingTask

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(PendingTask.task_name == task)) or 0


def _poll(app: Any, url: str, headers: dict[str, str]) -> dict[str, Any]:
    return app.test_client().get(url, headers=headers).get_json()


def _finished_by_a_worker(app: Any, url: str, headers: dict[str, str]) -> dict[str, Any]:
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=20):
        wait_until(lambda: _poll(app, url, headers)["status"] == "done", 60, "the worker did not finish the job")
    return _poll(app, url, headers)


def test_two_sweeps_at_once_send_a_report_left_by_a_dead_worker_once(app_and_token):
    app, headers = app_and_token
    job_id, url = ask_for_a_report(app, headers)
    left_by_a_dead_worker(app, job_id, attempts=1)
    before = _sent(app, "reports.compile_partnership")

    results: list[dict[str, int]] = []
    start = threading.Barrier(2)

    def sweep() -> None:
        start.wait()
        results.append(_recover(app))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(result["sent"] for result in results) == [0, 1]
    assert _sent(app, "reports.compile_partnership") == before + 1
    assert _poll(app, url, headers)["status"] == "queued"

    job = _finished_by_a_worker(app, url, headers)
    assert job["error"] is None
    assert job["report"]["figures"]["case_review"]["applications"] == 1
    assert _recover(app) == {"sent": 0, "failed": 0}


def test_a_job_whose_worker_renews_its_lease_is_not_sent_again(app_and_token):
    from casework.core import jobs
    from casework.reports.tasks import JOB_KIND

    app, headers = app_and_token
    job_id, url = ask_for_a_report(app, headers)
    with app.app_context(), jobs.leased(JOB_KIND, job_id) as claimed:
        assert claimed
        time.sleep(3 * LEASE_SECONDS)  # three times the lease: it was renewed meanwhile (or, on SQLite, held)
        assert _recover(app) == {"sent": 0, "failed": 0}
        assert _poll(app, url, headers)["status"] == "running"
    # Its worker gone without finishing it: once the lease has run out, it is sent again.
    purge_broker(app)
    wait_until(lambda: _recover(app)["sent"], 10, "the job was not sent again once its lease ran out", 0.2)
    assert _finished_by_a_worker(app, url, headers)["error"] is None


def test_a_queued_compilation_whose_message_was_lost_is_sent_again(app_and_token):
    from casework.statistics.models import StatisticsJob

    app, headers = app_and_token
    client = app.test_client()
    response = client.post(
        "/api/v1/statistics/compile",
        json={"area_code": "BOL", "period_start": "2025-04-01", "period_end": "2026-03-31"},
        headers={**headers, "Prefer": "respond-async"},
    )
    assert response.status_code == 202
    url = response.headers["Location"]
    job_id = response.get_json()["job_id"]
    with app.app_context():
        purge_broker(app)  # the message lost with the broker's file, or a worker that had fetched it
        assert _recover(app) == {"sent": 0, "failed": 0}  # not yet: it may be waiting its turn
        db.session.execute(
            sa.update(StatisticsJob).where(StatisticsJob.id == job_id).values(lease_until=now() - timedelta(seconds=1))
        )
        commit()
    assert _recover(app) == {"sent": 1, "failed": 0}
    assert _recover(app) == {"sent": 0, "failed": 0}
    job = _finished_by_a_worker(app, url, headers)
    assert job["snapshot"]["applications"] == 1


def test_a_report_left_by_dead_workers_on_every_attempt_is_given_up_and_its_poll_says_so(app_and_token):
    from casework.reports.tasks import compile_partnership_report

    app, headers = app_and_token
    job_id, url = ask_for_a_report(app, headers)
    left_by_a_dead_worker(app, job_id, attempts=3)
    with app.app_context():
        assert compile_partnership_report.run(job_id) is False  # a late delivery does not take it again
    assert _recover(app) == {"sent": 0, "failed": 1}
    job = _poll(app, url, headers)
    assert job["status"] == "failed"
    assert job["error"].startswith("The service stopped, or ran out of time, each time it compiled this report")
    assert "Nothing was kept" in job["error"]
    assert job["finished_at"]
    assert job["report"] is None
    assert _recover(app) == {"sent": 0, "failed": 0}


def test_an_unfinished_job_from_before_the_upgrade_has_no_lease_and_is_sent_again(app_and_token):
    from casework.reports.models import ReportJob

    app, headers = app_and_token
    job_id, url = ask_for_a_report(app, headers)
    with app.app_context():
        purge_broker(app)
        db.session.execute(sa.update(ReportJob).where(ReportJob.id == job_id).values(lease_until=None))
        commit()
    assert _recover(app) == {"sent": 1, "failed": 0}
    assert _finished_by_a_worker(app, url, headers)["report"] is not None


def test_the_period_is_unchanged_by_the_sweep(app_and_token):
    """Sending again changes only the job's state: what it compiles is what was asked for."""
    from casework.reports.models import ReportJob

    app, headers = app_and_token
    job_id, _url = ask_for_a_report(app, headers)
    left_by_a_dead_worker(app, job_id, attempts=1)
    _recover(app)
    with app.app_context():
        job = db.session.get(ReportJob, job_id)
        assert (job.period_start, job.period_end, job.started_at) == (date(2025, 4, 1), date(2026, 3, 31), None)


def test_the_sweep_is_on_the_beat_schedule_every_minute_for_every_kind_of_job(app):
    from casework.core import jobs
    from casework.core.registry import registry

    entry = registry(app).beat_schedule["jobs.recover"]
    assert entry["task"] == "jobs.recover"
    assert entry["schedule"] == 60
    assert entry["options"] == {"expires": 60}  # a sweep a busy worker could not start in time is dropped
    assert "jobs.recover" in app.extensions["celery"].tasks
    assert set(jobs.KINDS) == {"import_jobs", "partnership_report_jobs", "statistics_jobs"}
