"""A worker killed with -9 in the middle of a background job, on the embedded broker (kombu's SQLAlchemy
transport on SQLite, as ``scripts/start`` runs): the job is sent again by the lease sweep and finishes
on the next worker, exactly once; a live job whose worker holds its lease is never sent again.

On this transport a message the killed worker had taken is gone with it: without the sweep the import
stays "importing" for ever (``test_without_the_sweep_the_next_worker_never_sees_the_job``).
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from casework.core.db import commit, reading
from casework.extensions import db
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

ROWS = 300
LEASE_SECONDS = 2
#: A worker started with this first on its path holds each import and report half-way while a file exists
#: (``tests/support/holding_worker/sitecustomize.py``): killed or swept there, whatever the machine's pace.
HOLDING = Path(__file__).resolve().parents[1] / "support" / "holding_worker"


def _people(rows: int) -> bytes:
    lines = ["reference,kind,name,date_of_birth,address,postcode"]
    lines += [f"P-{n},individual,Person {n},17/05/1984,{n} High Street,S44 6BH" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _queue_import(rows: int) -> int:
    """In the app's context: a coordinator uploads a people file and starts its import (as after a clean
    check: the check itself is not what these tests are about); commits, which hands the task to the
    broker."""
    from casework.accounts import services as accounts
    from casework.spreadsheets import services

    area = accounts.create_area(None, "BOL", "Bolsover")
    agency = accounts.create_agency(None, "BDC", "Bolsover District Council", "council", [area.code])
    user = accounts.create_user(
        None,
        email="coordinator@example.org",
        name="Cora Coordinator",
        password="a long enough password",
        agency=agency,
        roles=["coordinator"],
    )
    commit()
    job = services.upload(user, "people", io.BytesIO(_people(rows)), "people.csv", {})
    commit()
    from casework.spreadsheets.models import ImportStatus

    job.status = ImportStatus.checked
    job.checked_mapping = job.mapping
    job.problem_count = 0
    commit()
    services.start_import(user, job)
    commit()
    return job.id


def _job(app: Any, job_id: int) -> Any:
    from casework.spreadsheets.models import ImportJob

    with app.app_context(), reading():  # without the write lock, which a held import has
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        db.session.rollback()
        return job


def _people_count(app: Any) -> int:
    from casework.cases.models import Person

    with app.app_context(), reading():
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
        db.session.rollback()
        return counted


def _recover(app: Any) -> dict[str, int]:
    from casework.core import jobs

    with app.app_context():
        return jobs.recover()


class Hold:
    """The file that holds a holding worker's import half-way while it exists."""

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "hold"
        self.path.touch()

    def reached(self, worker: WorkerProcess) -> None:
        def there() -> bool:
            assert worker.process is not None
            assert worker.process.poll() is None, f"the worker exited:\n{worker.log()}"
            return (self.path.parent / "hold.reached").exists()

        wait_until(there, 120, f"the job never got half-way:\n{worker.log()}", 0.05)

    def release(self) -> None:
        self.path.unlink(missing_ok=True)


def _run(tmp_path, scenario, **extra: Any) -> None:
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    extra = {"BROKER_URL": broker, "JOB_LEASE_SECONDS": LEASE_SECONDS, **extra}
    hold = Hold(tmp_path)
    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **extra) as app:
        env = environment(settings(url, tmp_path, **extra))
        workers: list[WorkerProcess] = []

        def worker(name: str, holding: bool = False) -> WorkerProcess:
            worker_env = dict(env)
            if holding:
                worker_env["PYTHONPATH"] = os.pathsep.join([str(HOLDING), env["PYTHONPATH"]])
                worker_env["HOLD_FILE"] = str(hold.path)
            started = WorkerProcess(worker_env, tmp_path / f"{name}.log", name).start()
            workers.append(started)
            return started

        try:
            scenario(app, worker, hold)
        finally:
            hold.release()
            for started in workers:
                started.stop()


def _kill_mid_import(app: Any, worker: WorkerProcess, hold: Hold, job_id: int) -> None:
    """Once the worker's import is half-way (claimed, 100 rows written in its transaction), kill -9 it."""
    hold.reached(worker)
    worker.kill_all()
    job = _job(app, job_id)
    assert job.status.value == "importing"
    assert job.started_at is not None
    assert _people_count(app) == 0  # the killed run's transaction went with it


def test_an_import_whose_worker_is_killed_is_sent_again_and_finishes_once(tmp_path):
    def scenario(app, worker, hold):
        with app.app_context():
            job_id = _queue_import(ROWS)
        _kill_mid_import(app, worker("first", holding=True), hold, job_id)

        second = worker("second")
        # The sweep (every minute on beat) sends it again once its lease has run out.
        wait_until(lambda: _recover(app)["sent"], 60, "the sweep never sent the import again", 0.5)
        wait_until(
            lambda: _job(app, job_id).status.value == "imported", 180, f"the import did not finish:\n{second.log()}"
        )
        job = _job(app, job_id)
        assert job.attempts == 2
        assert job.error is None
        assert job.summary["created"] == {"people": ROWS}
        assert _people_count(app) == ROWS
        assert _recover(app) == {"sent": 0, "failed": 0}  # finished: nothing more to send

    _run(tmp_path, scenario)


def test_without_the_sweep_the_next_worker_never_sees_the_job(tmp_path):
    """What the sweep is for: on this transport the killed worker's message is not delivered again."""

    def scenario(app, worker, hold):
        with app.app_context():
            job_id = _queue_import(ROWS)
        _kill_mid_import(app, worker("first", holding=True), hold, job_id)
        second = worker("second")
        second.pool_children()
        time.sleep(LEASE_SECONDS + 3)
        assert _job(app, job_id).status.value == "importing"
        assert _people_count(app) == 0

    _run(tmp_path, scenario)


def test_an_import_killed_on_its_last_attempt_is_failed_with_what_was_written(tmp_path):
    def scenario(app, worker, hold):
        with app.app_context():
            job_id = _queue_import(ROWS)
        _kill_mid_import(app, worker("first", holding=True), hold, job_id)
        wait_until(lambda: _recover(app)["failed"], 60, "the sweep never gave the import up", 0.5)
        job = _job(app, job_id)
        assert job.status.value == "failed"
        assert "Nothing was imported" in job.error
        assert job.finished_at is not None
        assert _people_count(app) == 0
        assert _recover(app) == {"sent": 0, "failed": 0}

    _run(tmp_path, scenario, JOB_ATTEMPTS=1)


def test_a_live_import_holding_its_lease_is_not_sent_again(tmp_path):
    def scenario(app, worker, hold):
        with app.app_context():
            job_id = _queue_import(ROWS)
        first = worker("first", holding=True)
        hold.reached(first)
        time.sleep(LEASE_SECONDS + 1)  # its lease as claimed has run out; its worker still holds it
        assert _recover(app) == {"sent": 0, "failed": 0}
        assert _job(app, job_id).status.value == "importing"
        hold.release()
        wait_until(lambda: _job(app, job_id).status.value == "imported", 180, f"the import stopped:\n{first.log()}")
        assert _job(app, job_id).attempts == 1
        assert _people_count(app) == ROWS

    _run(tmp_path, scenario)


def test_a_report_whose_worker_is_killed_is_sent_again_and_finishes(tmp_path):
    def scenario(app, worker, hold):
        headers = a_manager(app)
        client = app.test_client()
        _job_id, url = ask_for_a_report(app, headers)

        def poll() -> dict[str, Any]:
            with reading():
                return client.get(url, headers=headers).get_json()

        first = worker("first", holding=True)
        hold.reached(first)
        first.kill_all()
        assert poll()["status"] == "running"

        second = worker("second")
        wait_until(lambda: _recover(app)["sent"], 60, "the sweep never sent the report again", 0.5)
        wait_until(lambda: poll()["status"] == "done", 120, f"the report did not finish:\n{second.log()}")
        job = poll()
        assert job["error"] is None
        assert job["steps_done"] == job["steps_total"]
        assert job["report"]["figures"]["case_review"]["applications"] == 1

    _run(tmp_path, scenario)
