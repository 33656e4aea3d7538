"""A background job whose worker hangs without dying (a stuck network call, an endless loop, a lock
wait), on a committed database of each backend: past ``CASEWORK_JOB_TIME_LIMIT_SECONDS`` its lease is
no longer renewed (PostgreSQL) or held (SQLite's file lock), so the sweep sends it again and another run
finishes it; the hung run, released afterwards, writes nothing over it (``casework.core.jobs.Lease``).

The hung run is the job's task called in a thread of this process, held on an ``Event`` inside its work;
the run that finishes the job is a real worker (in a thread) that takes the message the sweep sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from celery.contrib.testing.worker import start_worker

from casework.core.db import reading
from casework.extensions import db
from tests.notifications.committed import committed_app, committed_database, wait_until
from tests.support.report_jobs import a_manager, ask_for_a_report, purge_broker

pytestmark = pytest.mark.celery_worker

LEASE_SECONDS = 1
TIME_LIMIT_SECONDS = 2


@pytest.fixture(params=["sqlite", "postgresql"])
def committed(request, tmp_path) -> Iterator[Any]:
    postgresql_url = request.getfixturevalue("postgresql_url") if request.param == "postgresql" else None
    with (
        committed_database(request.param, tmp_path, postgresql_url) as url,
        committed_app(url, tmp_path, JOB_LEASE_SECONDS=LEASE_SECONDS, JOB_TIME_LIMIT_SECONDS=TIME_LIMIT_SECONDS) as app,
    ):
        yield app


_HUNG: list[HungRun] = []


@pytest.fixture(autouse=True)
def _release_the_hung_runs() -> Iterator[None]:
    """A test that failed half-way lets its hung run go before its database is dropped."""
    yield
    while _HUNG:
        hung = _HUNG.pop()
        hung.released.set()
        hung.thread.join(60)


class HungRun:
    """The job's task run in a thread of its own, which ``hold`` holds until ``release`` (called from the
    job's work: the next run, in the worker's thread, goes through)."""

    def __init__(self, app: Any, task: Callable[..., Any], *args: Any) -> None:
        self.app, self.task, self.args = app, task, args
        self.entered = threading.Event()
        self.released = threading.Event()
        self.result: Any = "unfinished"
        self.thread = threading.Thread(target=self._run, name="hung-run", daemon=True)
        _HUNG.append(self)

    def hold(self) -> bool:
        """In the job's work: hang if this is the hung run (then True, once released)."""
        if threading.current_thread() is not self.thread:
            return False
        self.entered.set()
        assert self.released.wait(60), "never released"
        return True

    def _run(self) -> None:
        with self.app.app_context():
            self.result = self.task.run(*self.args)

    def start(self) -> None:
        self.thread.start()
        assert self.entered.wait(30), "the run never got to its work"

    def release(self) -> Any:
        self.released.set()
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self.result


def _hang_after_the_first_step(monkeypatch: Any, hung: HungRun, then: Callable[[], None] = lambda: None) -> None:
    """The report's run hangs after its first step (committed: on SQLite, a run holding a transaction
    open would hold the database's write lock, and nothing could be written until it ended), then,
    released, does ``then``."""
    from casework.reports import services

    compute_both = services.compute_both

    def hanging(areas: Any, start: Any, end: Any, progress: Any = None) -> Any:
        def step(done: int, total: int) -> None:
            progress(done, total)
            if done == 1 and hung.hold():
                then()

        return compute_both(areas, start, end, step)

    monkeypatch.setattr(services, "compute_both", hanging)


def _recover(app: Any) -> dict[str, int]:
    from casework.core import jobs

    with app.app_context():
        return jobs.recover()


def _row(app: Any, model: Any, job_id: int) -> dict[str, Any]:
    with app.app_context(), reading():
        job = db.session.get(model, job_id)
        row = {column.key: getattr(job, column.key) for column in sa.inspect(model).column_attrs}
        db.session.rollback()
        return row


def _sent_again_once_past_the_time_limit(app: Any) -> None:
    wait_until(lambda: _recover(app)["sent"], 20, "the hung run's job was never sent again", 0.2)


def test_a_report_whose_run_hangs_is_sent_again_past_the_time_limit_and_the_hung_run_writes_nothing(
    committed, monkeypatch
):
    from casework.reports.models import ReportJob
    from casework.reports.tasks import compile_partnership_report

    app = committed
    headers = a_manager(app)
    client = app.test_client()
    job_id, url = ask_for_a_report(app, headers)
    purge_broker(app)  # the job's own message: the hung run is the one working on it

    hung = HungRun(app, compile_partnership_report, job_id)
    _hang_after_the_first_step(monkeypatch, hung)
    hung.start()
    _sent_again_once_past_the_time_limit(app)

    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=20):
        wait_until(lambda: client.get(url, headers=headers).get_json()["status"] == "done", 60, "never finished")
    finished = _row(app, ReportJob, job_id)
    assert finished["attempts"] == 2
    assert client.get(url, headers=headers).get_json()["report"]["figures"]["case_review"]["applications"] == 1

    assert hung.release() is False
    assert _row(app, ReportJob, job_id) == finished  # figures, steps, status, lease: all the next run's
    assert client.get(url, headers=headers).get_json()["error"] is None


def test_a_report_whose_hung_run_fails_afterwards_does_not_fail_the_next_run(committed, monkeypatch):
    """The hung run's own failure (its stuck call ends in an error) is written only while it owns the job."""
    from casework.reports.models import ReportJob
    from casework.reports.tasks import compile_partnership_report

    app = committed
    headers = a_manager(app)
    job_id, url = ask_for_a_report(app, headers)
    purge_broker(app)

    hung = HungRun(app, compile_partnership_report, job_id)

    def timed_out() -> None:
        raise TimeoutError("the stuck call gave up at last")

    _hang_after_the_first_step(monkeypatch, hung, timed_out)
    hung.start()
    _sent_again_once_past_the_time_limit(app)
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=20):
        wait_until(lambda: _row(app, ReportJob, job_id)["status"].value == "done", 60, "never finished")
    finished = _row(app, ReportJob, job_id)

    assert hung.release() is False
    assert _row(app, ReportJob, job_id) == finished
    poll = app.test_client().get(url, headers=headers).get_json()
    assert (poll["status"], poll["error"]) == ("done", None)


@pytest.mark.parametrize("committed", ["postgresql"], indirect=True)
def test_an_import_whose_run_hangs_is_sent_again_past_the_time_limit_and_the_hung_run_imports_nothing(
    committed, monkeypatch
):
    """PostgreSQL only: on SQLite an import is one transaction holding the database's write lock from its
    start, so a hung import stops every write, the sweep's included, until it ends (docs/operations.md)."""
    from casework.spreadsheets import services
    from casework.spreadsheets.models import ImportJob
    from casework.spreadsheets.tasks import run_import
    from tests.core.test_job_lease_workers import _people_count, _queue_import

    rows = 30
    app = committed
    with app.app_context():
        job_id = _queue_import(rows)
    purge_broker(app)

    hung = HungRun(app, run_import, job_id, False)
    parsed_rows = services.parsed_rows

    def hanging(*args: Any) -> Any:
        hung.hold()
        return parsed_rows(*args)

    monkeypatch.setattr(services, "parsed_rows", hanging)
    hung.start()
    _sent_again_once_past_the_time_limit(app)

    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=20):
        wait_until(lambda: _row(app, ImportJob, job_id)["status"].value == "imported", 60, "never imported")
    finished = _row(app, ImportJob, job_id)
    assert finished["attempts"] == 2
    assert finished["summary"]["created"] == {"people": rows}
    assert _people_count(app) == rows

    # Released, the hung run imports every row in its transaction, then finds the job taken from it:
    # all of it is rolled back.
    assert hung.release() is None
    assert _row(app, ImportJob, job_id) == finished
    assert _people_count(app) == rows


@pytest.mark.parametrize("committed", ["postgresql"], indirect=True)
def test_a_compilation_whose_run_hangs_is_sent_again_and_the_hung_run_keeps_no_snapshot(committed, monkeypatch):
    """PostgreSQL only: on SQLite the compilation's transaction holds the database's write lock while it
    compiles, so a hung one stops every write until it ends (docs/operations.md)."""
    from casework.statistics import services
    from casework.statistics.models import StatisticsJob, StatisticsSnapshot
    from casework.statistics.tasks import compile_statistics

    app = committed
    headers = a_manager(app)
    client = app.test_client()
    response = client.post(
        "/api/v1/statistics/compile",
        json={"area_code": "BOL", "period_start": "2025-04-01", "period_end": "2026-03-31"},
        headers={**headers, "Prefer": "respond-async"},
    )
    assert response.status_code == 202
    job_id = response.get_json()["job_id"]
    purge_broker(app)

    hung = HungRun(app, compile_statistics, job_id)
    compile_figures = services.compile

    def hanging(*args: Any, **kwargs: Any) -> Any:
        hung.hold()
        return compile_figures(*args, **kwargs)

    monkeypatch.setattr(services, "compile", hanging)
    hung.start()
    _sent_again_once_past_the_time_limit(app)
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=20):
        wait_until(lambda: _row(app, StatisticsJob, job_id)["status"].value == "done", 60, "never compiled")
    finished = _row(app, StatisticsJob, job_id)
    assert finished["attempts"] == 2

    def snapshots() -> int:
        with app.app_context(), reading():
            counted = db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsSnapshot)) or 0
            db.session.rollback()
            return counted

    assert snapshots() == 1
    assert hung.release() is None
    assert _row(app, StatisticsJob, job_id) == finished
    assert snapshots() == 1  # the hung run's compilation rolled back with its result


@pytest.mark.parametrize("committed", ["sqlite"], indirect=True)
def test_the_job_tasks_are_killed_past_the_time_limit_on_the_prefork_pool(committed):
    from casework.core import jobs

    tasks = committed.extensions["celery"].tasks
    for kind in jobs.KINDS.values():
        assert tasks[kind.task].time_limit == TIME_LIMIT_SECONDS
        assert tasks[kind.task].soft_time_limit is None  # killed, as a dead worker: sent again after
    assert tasks["jobs.recover"].time_limit is None
