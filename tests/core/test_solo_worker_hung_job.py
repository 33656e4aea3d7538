"""The embedded default's worker (``scripts/start``: one process, ``--pool=solo``, on the embedded broker)
hung on a background job: at ``CASEWORK_JOB_TIME_LIMIT_SECONDS`` the job's watch ends the worker's
process (every other task, the sweep included, would otherwise wait on the hung run for ever); the next
worker's sweep sends the job again, and it finishes once.

The run hangs in a real worker process (``tests/support/holding_worker``), so what ends it is the worker's
own watch, whatever the hung call does.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from casework.core import jobs
from tests.core.test_job_lease_workers import HOLDING, ROWS, Hold, _job, _people_count, _queue_import, _recover
from tests.notifications.committed import (
    WorkerProcess,
    committed_app,
    committed_database,
    environment,
    settings,
    wait_until,
)
from tests.support.report_jobs import a_manager, ask_for_a_report

pytestmark = pytest.mark.celery_worker

LEASE_SECONDS = 1
#: The limit holds for every run, the next worker's real one too: long enough for it to import ROWS rows
#: or compile the report on a busy machine (at 2 seconds a real run of the import was itself ended, again
#: and again, and the job waited for a sweep the test no longer runs). The held run is ended at it anyway.
TIME_LIMIT_SECONDS = 15


def _run(tmp_path, scenario) -> None:
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    extra = {"BROKER_URL": broker, "JOB_LEASE_SECONDS": LEASE_SECONDS, "JOB_TIME_LIMIT_SECONDS": TIME_LIMIT_SECONDS}
    hold = Hold(tmp_path)
    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **extra) as app:
        env = environment(settings(url, tmp_path, **extra))
        workers: list[WorkerProcess] = []

        def worker(name: str, holding: bool = False, kept: bool = False) -> WorkerProcess:
            worker_env = dict(env)
            if holding:
                worker_env["PYTHONPATH"] = os.pathsep.join([str(HOLDING), env["PYTHONPATH"]])
                worker_env["HOLD_FILE"] = str(hold.path)
            started = WorkerProcess(worker_env, tmp_path / f"{name}.log", name, pool="solo", kept=kept).start()
            workers.append(started)
            return started

        try:
            scenario(app, worker, hold)
        finally:
            hold.release()
            for started in workers:
                started.stop()


def _ends_at_the_time_limit(worker: WorkerProcess) -> None:
    """The hung worker exits by itself (still held: only its watch can end it)."""
    assert worker.process is not None
    wait_until(lambda: worker.process.poll() is not None, 60, f"the hung worker never exited:\n{worker.log()}", 0.1)
    assert worker.process.returncode == jobs.HUNG_EXIT_STATUS, worker.log()
    assert "still running at its time limit: ending this worker" in worker.log()


def test_a_solo_worker_hung_on_an_import_exits_at_the_time_limit_and_the_next_worker_imports_it_once(tmp_path):
    """An import on SQLite holds the database's write lock for its whole run: ending the hung worker
    also lets go of it, so the sweep and the next run can write."""

    def scenario(app, worker, hold):
        with app.app_context():
            job_id = _queue_import(ROWS)
        first = worker("first", holding=True)
        hold.reached(first)
        _ends_at_the_time_limit(first)
        assert _job(app, job_id).status.value == "importing"
        assert _people_count(app) == 0  # the hung run's transaction ended with its process

        second = worker("second")  # as scripts/start starts it again; the hold file is still there
        wait_until(lambda: _recover(app)["sent"], 60, "the sweep never sent the import again", 0.5)
        wait_until(
            lambda: _job(app, job_id).status.value == "imported", 120, f"the import did not finish:\n{second.log()}"
        )
        job = _job(app, job_id)
        assert (job.attempts, job.error) == (2, None)
        assert job.summary["created"] == {"people": ROWS}
        assert _people_count(app) == ROWS
        assert _recover(app) == {"sent": 0, "failed": 0}
        assert second.process is not None
        assert second.process.poll() is None

    _run(tmp_path, scenario)


def test_a_solo_worker_hung_on_a_report_exits_at_the_time_limit_and_the_next_worker_finishes_it(tmp_path):
    from casework.core.db import reading

    def scenario(app, worker, hold):
        headers = a_manager(app)
        client = app.test_client()
        _job_id, url = ask_for_a_report(app, headers)

        def poll() -> dict[str, Any]:
            with reading():
                return client.get(url, headers=headers).get_json()

        first = worker("first", holding=True)
        hold.reached(first)
        _ends_at_the_time_limit(first)
        assert poll()["status"] == "running"

        second = worker("second")
        wait_until(lambda: _recover(app)["sent"], 60, "the sweep never sent the report again", 0.5)
        wait_until(lambda: poll()["status"] == "done", 120, f"the report did not finish:\n{second.log()}")
        job = poll()
        assert job["error"] is None
        assert job["steps_done"] == job["steps_total"]
        assert job["report"]["figures"]["case_review"]["applications"] == 1
        assert second.process is not None
        assert second.process.poll() is None

    _run(tmp_path, scenario)


def test_under_scripts_keep_worker_the_hung_worker_is_started_again_and_its_sweep_finishes_the_import(tmp_path):
    """As ``scripts/start`` runs it: nobody starts a worker by hand; the worker's keeper starts it again,
    and the sweep that worker runs (here called by the test: beat is not running) sends the import again."""

    def scenario(app, worker, hold):
        with app.app_context():
            job_id = _queue_import(ROWS)
        kept = worker("kept", holding=True, kept=True)
        hold.reached(kept)
        wait_until(
            lambda: "the worker exited (status 70): starting it again (1 of 5" in kept.log(),
            60,
            f"the hung worker was never started again:\n{kept.log()}",
            0.1,
        )
        assert "still running at its time limit: ending this worker" in kept.log()
        hold.release()  # the new worker's run goes through
        wait_until(lambda: _recover(app)["sent"], 60, "the sweep never sent the import again", 0.5)
        wait_until(
            lambda: _job(app, job_id).status.value == "imported", 120, f"the import did not finish:\n{kept.log()}"
        )
        job = _job(app, job_id)
        assert (job.attempts, job.error) == (2, None)
        assert _people_count(app) == ROWS
        assert kept.process is not None
        assert kept.process.poll() is None  # the keeper and its new worker still run
        assert "starting it again (2 of 5" not in kept.log()

    _run(tmp_path, scenario)
