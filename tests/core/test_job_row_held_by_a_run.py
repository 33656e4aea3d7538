"""A background job's row held by another transaction on PostgreSQL (a run that hung with its job's row
locked: after ``Lease.confirm``, or in a write of its own), with two real connections: neither the
lease sweep nor the run's own watch waits for it.

- The sweep (``casework.core.jobs.recover``) skips the held row at once, logs it, and still sends the
  other jobs again; one hung transaction no longer stalls the sweep of every job.
- A second delivery of the job's message (``casework.core.jobs.claim``) waits only a moment for the row,
  then drops the delivery; a row held for a moment is waited for, and the job claimed.
- The watch (``casework.core.jobs._Watch``) waits only a moment for the row to renew the lease, so it
  still reaches the time limit, where on the solo pool it ends the hung worker; a row held for a
  moment (a write of a moment) is waited for, and the lease renewed.

Each step that used to wait runs in a thread joined with a bound, so that a return of the wait fails
the test instead of hanging the suite.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from casework.core.db import reading
from casework.core.time import now
from casework.extensions import db
from tests.support.report_jobs import (
    ask_for_a_report,
    committed_app_and_a_manager,
    job_status,
    jobs_warnings,
    left_by_a_dead_worker,
    purge_broker,
)

pytestmark = pytest.mark.celery_worker

#: Long enough for a step that does not wait to end; a step that waits for the held row never ends.
BOUND_SECONDS = 30


@pytest.fixture
def committed(postgresql_url, tmp_path) -> Iterator[tuple[Any, dict[str, str]]]:
    with committed_app_and_a_manager(
        "postgresql", tmp_path, postgresql_url, JOB_LEASE_SECONDS=1, JOB_TIME_LIMIT_SECONDS=2
    ) as app_and_headers:
        yield app_and_headers


def _report_job(app: Any, headers: dict[str, str]) -> int:
    """A partnership report asked for with ``respond-async``, its message taken off the broker (nobody
    else is to run it)."""
    job_id, _url = ask_for_a_report(app, headers)
    purge_broker(app)
    return job_id


def _let_go_once_someone_waits(holder: sa.Connection, observer: sa.Connection, let_go: threading.Event) -> None:
    """End ``holder``'s transaction as soon as ``observer`` sees a session of the database waiting for a
    lock (or ``let_go`` is set). Bounded: a step that never waits is never seen, and the row is let go at
    the bound."""
    for _ in range(BOUND_SECONDS * 50):
        waiting = observer.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
        observer.rollback()
        if waiting:
            break
        if let_go.wait(0.02):
            break
    holder.rollback()


@pytest.fixture
def logged() -> Iterator[list[str]]:
    with jobs_warnings() as lines:
        yield lines


def test_the_sweep_skips_a_job_whose_row_another_transaction_holds_and_sends_the_others_again(committed, logged):
    from casework.core import jobs
    from casework.reports.models import ReportJob

    app, headers = committed
    held, other = _report_job(app, headers), _report_job(app, headers)
    for job_id in (held, other):
        left_by_a_dead_worker(app, job_id)

    outcome: dict[str, Any] = {}

    def sweep() -> None:
        with app.app_context():
            outcome["counts"] = jobs.recover()

    with app.app_context():
        holder = db.engine.connect()  # a second connection: a hung run's open transaction
    try:
        holder.execute(sa.select(ReportJob.id).where(ReportJob.id == held).with_for_update())
        sweeping = threading.Thread(target=sweep, name="sweep", daemon=True)
        sweeping.start()
        sweeping.join(BOUND_SECONDS)
        assert not sweeping.is_alive(), "the sweep waited for the held row"
        assert outcome["counts"] == {"sent": 1, "failed": 0}
        assert job_status(app, held) == "running"  # untouched: left for the next sweep
        assert job_status(app, other) == "queued"  # sent again
        assert any(f"partnership_report_jobs {held} could not be taken by the sweep" in line for line in logged)
    finally:
        holder.rollback()
        holder.close()
        sweeping.join(BOUND_SECONDS)

    with app.app_context():
        assert jobs.recover() == {"sent": 1, "failed": 0}  # the row let go, the next sweep takes it
    assert job_status(app, held) == "queued"


def test_the_watch_reaches_the_time_limit_while_the_run_holds_its_job_row(committed, monkeypatch, logged):
    """The run confirmed its result (its transaction now holds the job's row) and hangs before its
    commit. The watch's renewals must not wait for that row: it reaches the time limit and ends the
    (solo) worker, which is what frees every other task."""
    from casework.core import jobs
    from casework.reports.tasks import JOB_KIND

    app, headers = committed
    job_id = _report_job(app, headers)
    ended = threading.Event()
    monkeypatch.setattr(jobs, "END_WORKER_PAST_TIME_LIMIT", True)
    monkeypatch.setattr(jobs, "_end_hung_worker", lambda _table, _job_id: ended.set())
    outcome: dict[str, Any] = {}

    def hung_run() -> None:
        with app.app_context(), jobs.leased(JOB_KIND, job_id) as lease:
            assert lease
            outcome["confirmed"] = lease.confirm()  # holds the job's row until this transaction ends
            outcome["ended while held"] = ended.wait(BOUND_SECONDS)
            db.session.rollback()

    running = threading.Thread(target=hung_run, name="hung-run", daemon=True)
    running.start()
    running.join(BOUND_SECONDS + 30)
    assert not running.is_alive()
    assert outcome == {"confirmed": True, "ended while held": True}
    assert any(f"partnership_report_jobs {job_id} ran past its time limit" in line for line in logged)


def test_a_renewal_waits_a_moment_for_a_row_held_by_a_write_of_a_moment(committed):
    """Not waiting at all went too far: a write that holds the row for a moment (a report's progress,
    committed at once) made the renewal skip its beat, and two such beats let the lease lapse under a
    live run, for the sweep to send its job again. The renewal waits a little (``RENEWAL_LOCK_WAIT``):
    here the row is let go as soon as the renewal is seen waiting for it, and the lease is renewed."""
    from casework.core import jobs
    from casework.reports.models import ReportJob
    from casework.reports.tasks import JOB_KIND

    app, headers = committed
    job_id = _report_job(app, headers)
    with app.app_context():
        assert jobs.claim(JOB_KIND, job_id)
        claimed = db.session.execute(
            sa.select(ReportJob.started_at, ReportJob.attempts, ReportJob.lease_until).where(ReportJob.id == job_id)
        ).one()
        db.session.rollback()
        lease = jobs.Lease(JOB_KIND, job_id, claimed.started_at, claimed.attempts)
        watch = jobs._Watch(db.engine, lease, timedelta(seconds=30), now() + timedelta(minutes=5), None)
        holder, observer = db.engine.connect(), db.engine.connect()
    let_go = threading.Event()

    try:
        holder.execute(sa.select(ReportJob.id).where(ReportJob.id == job_id).with_for_update(key_share=True))
        letting_go = threading.Thread(
            target=_let_go_once_someone_waits, args=(holder, observer, let_go), name="holder", daemon=True
        )
        letting_go.start()
        with app.app_context():
            watch._renew()
        let_go.set()
        letting_go.join(BOUND_SECONDS)
    finally:
        holder.close()
        observer.close()
    with app.app_context(), reading():
        renewed = db.session.scalar(sa.select(ReportJob.lease_until).where(ReportJob.id == job_id))
        db.session.rollback()
    assert renewed > claimed.lease_until


def test_a_second_delivery_does_not_wait_for_a_job_row_a_hung_run_holds(committed, logged):
    """A duplicate message (a late acknowledgement, a sweep's) for a job whose run hung holding its row:
    the claim's UPDATE waited for that row as long as the run hung, and the worker that took the message
    with it. It now waits a moment (``CLAIM_LOCK_WAIT``), drops the delivery and says so; once the row is
    let go, a delivery claims the job."""
    from casework.core import jobs
    from casework.reports.models import ReportJob
    from casework.reports.tasks import JOB_KIND

    app, headers = committed
    job_id = _report_job(app, headers)
    left_by_a_dead_worker(app, job_id)  # its lease has run out: a claim would take it
    outcome: dict[str, Any] = {}

    def deliver() -> None:
        with app.app_context():
            outcome["claimed"] = jobs.claim(JOB_KIND, job_id)

    with app.app_context():
        holder = db.engine.connect()
    try:
        holder.execute(sa.select(ReportJob.id).where(ReportJob.id == job_id).with_for_update())
        delivering = threading.Thread(target=deliver, name="delivery", daemon=True)
        delivering.start()
        delivering.join(BOUND_SECONDS)
        assert not delivering.is_alive(), "the claim waited for the held row"
        assert outcome == {"claimed": False}
        assert any(f"partnership_report_jobs {job_id} was not claimed" in line for line in logged)
    finally:
        holder.rollback()
        holder.close()
        delivering.join(BOUND_SECONDS)
    assert job_status(app, job_id) == "running"
    with app.app_context():
        assert jobs.claim(JOB_KIND, job_id)


def test_a_claim_waits_a_moment_for_a_job_row_held_by_a_write_of_a_moment(committed):
    """Not waiting at all would drop a delivery whenever its row was being written for a moment (the
    sweep sending the job again, a report's progress): the job would wait for the next sweep. Here the
    row is let go as soon as the claim is seen waiting for it, and the job is claimed."""
    from casework.core import jobs
    from casework.reports.models import ReportJob
    from casework.reports.tasks import JOB_KIND

    app, headers = committed
    job_id = _report_job(app, headers)
    with app.app_context():
        holder, observer = db.engine.connect(), db.engine.connect()
    let_go = threading.Event()
    try:
        holder.execute(sa.select(ReportJob.id).where(ReportJob.id == job_id).with_for_update(key_share=True))
        letting_go = threading.Thread(
            target=_let_go_once_someone_waits, args=(holder, observer, let_go), name="holder", daemon=True
        )
        letting_go.start()
        with app.app_context():
            claimed = jobs.claim(JOB_KIND, job_id)
        let_go.set()
        letting_go.join(BOUND_SECONDS)
    finally:
        holder.close()
        observer.close()
    assert claimed
    assert job_status(app, job_id) == "running"
