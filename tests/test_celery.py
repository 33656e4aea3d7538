"""Side effects run only after commit, and a real Celery worker sends the outbox.

The worker tests start ``celery worker`` as a separate process on a committed database, as production
runs it: once on the embedded default (SQLite and kombu's SQLAlchemy broker on a SQLite file) and once
on PostgreSQL with Redis.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from casework import create_app
from casework.app import PROJECT_ROOT
from casework.core.db import after_commit, commit, dispose_engines
from casework.extensions import db
from tests.support.databases import scratch_postgresql_database
from tests.support.environment import clear_casework_variables, environment_without_casework
from tests.support.smtp import SmtpServer

WORKER_START_TIMEOUT = 60.0
DELIVERY_TIMEOUT = 60.0

# --- after_commit ---------------------------------------------------------------------------------------


def test_queued_functions_run_once_after_commit(db_session: Any) -> None:
    calls: list[str] = []
    after_commit(calls.append, "sent")
    db_session.flush()
    assert calls == []
    commit()
    assert calls == ["sent"]
    commit()
    assert calls == ["sent"], "a second commit ran the side effect again"


def test_queued_functions_never_run_after_rollback(db_session: Any) -> None:
    calls: list[str] = []
    after_commit(calls.append, "rolled back")
    db_session.rollback()
    commit()
    assert calls == [], "a rolled-back transaction's side effect ran on the next commit"


def test_a_failed_commit_runs_nothing(db_session: Any, make: Any) -> None:
    from casework.accounts.models import Area

    existing = make.area("DUP")
    calls: list[str] = []
    db_session.add(Area(code=existing.code, name="Duplicate"))
    after_commit(calls.append, "never")
    with pytest.raises(sa.exc.IntegrityError):
        commit()
    db_session.rollback()
    commit()
    assert calls == []


def test_queue_email_sends_nothing_when_the_transaction_rolls_back(db_session: Any, smtp_server: SmtpServer) -> None:
    from casework.notifications.models import OutboxEmail
    from casework.notifications.services import queue_email

    queue_email(to="officer@example.org", subject="Never", text="Rolled back", key="test:rollback")
    db_session.rollback()
    commit()
    time.sleep(0.2)
    assert smtp_server.messages == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


# --- a real worker ----------------------------------------------------------------------------------------


def worker_environment(instance: Path, database_url: str, broker_url: str, smtp: SmtpServer) -> dict[str, str]:
    env = environment_without_casework()
    env.update(
        {
            "CASEWORK_ENV": "development",
            "CASEWORK_SECRET_KEY": "celery-worker-test-secret-key-long-enough",
            "CASEWORK_INSTANCE_PATH": str(instance),
            "CASEWORK_DATABASE_URL": database_url,
            "CASEWORK_BROKER_URL": broker_url,
            "CASEWORK_SMTP_HOST": smtp.host,
            "CASEWORK_SMTP_PORT": str(smtp.port),
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def migrate(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "casework", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"flask db upgrade failed:\n{result.stdout}\n{result.stderr}"


class Worker:
    """``celery worker`` in its own process, its output in a log file for the failure message."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "casework.tasks.worker",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.log()}")
            if " ready." in self.log():
                return
            time.sleep(0.2)
        raise AssertionError(f"the worker was not ready within {WORKER_START_TIMEOUT:.0f}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._log.close()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Any]:
    workers: list[Worker] = []

    def start(env: dict[str, str]) -> Worker:
        worker = Worker(env, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.wait_until_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def send_through_the_worker(env: dict[str, str], smtp: SmtpServer, worker: Worker) -> None:
    """Queue an email in this process (as a web request would), then wait for the worker to send it."""
    from casework.notifications.models import OutboxEmail
    from casework.notifications.services import queue_email

    web = create_app({"INSTANCE_PATH": env["CASEWORK_INSTANCE_PATH"]})
    try:
        with web.app_context():
            assert not web.extensions["celery"].conf.task_always_eager
            row = queue_email(
                to="coordinator@example.org",
                subject="Case Review application received",
                text="A new application is waiting.",
                key="test:worker:1",
            )
            email_id = row.id
            commit()
            try:
                messages = smtp.wait_for(1, timeout=DELIVERY_TIMEOUT)
            except AssertionError as error:
                raise AssertionError(f"{error}\nworker log:\n{worker.log()}") from None
            assert messages[0]["Subject"] == "Case Review application received"
            assert smtp.envelopes[0][1] == ["coordinator@example.org"]

            deadline = time.monotonic() + 10
            sent_at = None
            while sent_at is None and time.monotonic() < deadline:
                db.session.rollback()  # a fresh snapshot each time
                sent_at = db.session.scalar(sa.select(OutboxEmail.sent_at).where(OutboxEmail.id == email_id))
                time.sleep(0.1)
            assert sent_at is not None, f"sent_at was not set\n{worker.log()}"

            # Queueing the same key again, or the task running again, sends nothing more.
            queue_email(to="coordinator@example.org", subject="again", text="again", key="test:worker:1")
            commit()
            from casework.notifications.tasks import send_email

            send_email.delay(email_id)
            time.sleep(2)
            assert len(smtp.messages) == 1, f"sent more than once\n{worker.log()}"
    finally:
        with web.app_context():
            dispose_engines()


@pytest.mark.celery_worker
def test_a_real_worker_sends_email_on_the_embedded_broker(
    tmp_path: Path, smtp_server: SmtpServer, start_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = worker_environment(
        tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path / 'casework.sqlite'}",
        broker_url=f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}",
        smtp=smtp_server,
    )
    migrate(env)
    _use_environment(monkeypatch, env)
    worker = start_worker(env)
    send_through_the_worker(env, smtp_server, worker)


@pytest.mark.celery_worker
def test_a_real_worker_sends_email_on_postgresql_and_redis(
    tmp_path: Path,
    smtp_server: SmtpServer,
    start_worker: Any,
    monkeypatch: pytest.MonkeyPatch,
    postgresql_url: str,
    redis_url: str,
) -> None:
    with scratch_postgresql_database(postgresql_url, "casework_worker") as database_url:
        env = worker_environment(tmp_path / "instance", database_url, redis_url, smtp_server)
        migrate(env)
        _use_environment(monkeypatch, env)
        worker = start_worker(env)
        try:
            send_through_the_worker(env, smtp_server, worker)
        finally:
            worker.stop()  # before the database is dropped


def _use_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """This process builds its app from the same CASEWORK_* variables as the worker."""
    clear_casework_variables(monkeypatch)
    for name, value in env.items():
        if name.startswith("CASEWORK_"):
            monkeypatch.setenv(name, value)
