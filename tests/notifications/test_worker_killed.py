"""A worker killed with -9 in the middle of sending: the email still arrives, exactly once.

A real worker process (``celery -A casework.tasks.worker worker --pool=prefork -c 1``) sends to an SMTP
server that holds the first RCPT command, so the send is in flight when the worker dies.

- Redis (with PostgreSQL): the whole worker is killed. The message was acknowledged late, so it stays in
  Redis's unacknowledged set and is delivered again after the visibility timeout (here 3 s, set with
  CASEWORK_BROKER_VISIBILITY_TIMEOUT) to the next worker.
- Embedded broker (kombu's SQLAlchemy transport on SQLite): killing the pool process makes the worker
  reject the task (task_reject_on_worker_lost) and it is delivered again at once. This transport has no
  visibility timeout: when the whole worker dies the message is gone, and ``notifications.resend_unsent``
  re-queues the still unsent email.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller

from casework.core.db import commit
from casework.core.time import now
from casework.extensions import db
from tests.notifications.committed import (
    WorkerProcess,
    committed_app,
    committed_database,
    environment,
    settings,
    wait_until,
)
from tests.support.smtp import SmtpServer, _Handler

pytestmark = pytest.mark.celery_worker


class HoldingHandler(_Handler):
    """Holds the first RCPT for a long time (the worker is killed meanwhile); later ones go through."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's hook
        self.server.rcpt_count += 1
        if self.server.rcpt_count == 1:
            self.server.held.set()
            await asyncio.sleep(20)
            return "451 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class HoldingSmtpServer(SmtpServer):
    def __init__(self) -> None:
        super().__init__()
        self.rcpt_count = 0
        self.held = threading.Event()

    def start(self) -> HoldingSmtpServer:
        controller = Controller(HoldingHandler(self), hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self


@pytest.fixture
def holding_smtp():
    server = HoldingSmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


def _queue(app) -> int:
    from casework.notifications.services import queue_email

    with app.app_context():
        row = queue_email(to="owner@example.org", subject="Overdue", text="Body", key="escalation:1")
        commit()  # publishes notifications.send_email to the broker
        return row.id


def _sent_at(app, email_id: int):
    from casework.notifications.models import OutboxEmail

    with app.app_context():
        return db.session.scalar(sa.select(OutboxEmail.sent_at).where(OutboxEmail.id == email_id))


def _run(backend, broker_url, tmp_path, holding_smtp, postgresql_url, scenario):
    extra = {
        "BROKER_URL": broker_url,
        "SMTP_HOST": holding_smtp.host,
        "SMTP_PORT": holding_smtp.port,
        "BROKER_VISIBILITY_TIMEOUT": 3,
        "EMAIL_RETRY_SECONDS": 0.5,
    }
    with committed_database(backend, tmp_path, postgresql_url) as url, committed_app(url, tmp_path, **extra) as app:
        env = environment(settings(url, tmp_path, **extra))
        workers: list[WorkerProcess] = []
        try:
            scenario(app, env, workers)
        finally:
            for worker in workers:
                worker.stop()


def _wait_held(server: HoldingSmtpServer, worker: WorkerProcess) -> None:
    """Until the send is in flight; fails at once if the worker process exits."""
    deadline = time.monotonic() + 90
    while not server.held.wait(0.2):
        assert worker.process is not None
        assert worker.process.poll() is None, f"the worker exited:\n{worker.log()}"
        assert time.monotonic() < deadline, f"the worker never reached the SMTP server:\n{worker.log()}"


def _worker(env, tmp_path, workers, name) -> WorkerProcess:
    worker = WorkerProcess(env, tmp_path / f"{name}.log", name).start()
    workers.append(worker)
    return worker


def test_worker_killed_mid_send_on_redis(tmp_path, holding_smtp, redis_url, postgresql_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()

    def scenario(app, env, workers):
        first = _worker(env, tmp_path, workers, "first")
        email_id = _queue(app)
        _wait_held(holding_smtp, first)
        first.kill_all()
        assert holding_smtp.messages == []
        assert _sent_at(app, email_id) is None

        second = _worker(env, tmp_path, workers, "second")
        [message] = holding_smtp.wait_for(1, timeout=90)
        wait_until(lambda: _sent_at(app, email_id), 30, f"sent_at not recorded:\n{second.log()}")
        time.sleep(4)  # longer than the visibility timeout: no second delivery
        assert len(holding_smtp.messages) == 1
        assert message["Subject"] == "Overdue"

    _run("postgresql", redis_url, tmp_path, holding_smtp, postgresql_url, scenario)


def test_pool_process_killed_mid_send_on_the_embedded_broker(tmp_path, holding_smtp):
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"

    def scenario(app, env, workers):
        worker = _worker(env, tmp_path, workers, "embedded")
        email_id = _queue(app)
        _wait_held(holding_smtp, worker)
        [child] = worker.pool_children()
        child.kill()  # SIGKILL to the process running the task; the worker replaces it
        [message] = holding_smtp.wait_for(1, timeout=90)
        wait_until(lambda: _sent_at(app, email_id), 30, f"sent_at not recorded:\n{worker.log()}")
        time.sleep(2)
        assert len(holding_smtp.messages) == 1
        assert message["To"] == "owner@example.org"
        assert "WorkerLostError" in worker.log()

    _run("sqlite", broker, tmp_path, holding_smtp, None, scenario)


def test_whole_worker_killed_on_the_embedded_broker_is_recovered_by_resend_unsent(tmp_path, holding_smtp):
    from casework.notifications.tasks import RESEND_AFTER, RESEND_QUIET, resend_unsent

    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"

    def scenario(app, env, workers):
        first = _worker(env, tmp_path, workers, "first")
        email_id = _queue(app)
        _wait_held(holding_smtp, first)
        first.kill_all()
        _worker(env, tmp_path, workers, "second")
        time.sleep(5)  # what is true on this transport: the fetched message is not delivered again
        assert holding_smtp.messages == []
        assert _sent_at(app, email_id) is None

        with app.app_context(), time_machine.travel(now() + max(RESEND_AFTER, RESEND_QUIET) + timedelta(seconds=5)):
            assert resend_unsent.run() == 1
        [message] = holding_smtp.wait_for(1, timeout=90)
        wait_until(lambda: _sent_at(app, email_id), 30, "sent_at not recorded")
        with app.app_context(), time_machine.travel(now() + 2 * RESEND_QUIET):
            assert resend_unsent.run() == 0  # sent: nothing more to re-queue
        time.sleep(2)
        assert len(holding_smtp.messages) == 1
        assert message["Subject"] == "Overdue"

    _run("sqlite", broker, tmp_path, holding_smtp, None, scenario)
