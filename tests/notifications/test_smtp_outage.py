"""The mail server is down: the send is retried with backoff, nothing is lost, and once the server is
back the email arrives exactly once. A real Celery worker (in a thread) on the in-memory broker."""

from __future__ import annotations

import time

import sqlalchemy as sa
from celery.contrib.testing.worker import start_worker

from casework.core.db import commit
from casework.extensions import db
from tests.notifications.committed import committed_app, wait_until


def test_smtp_down_then_up_delivers_once(tmp_path, smtp_server):
    from casework.notifications.models import OutboxEmail
    from casework.notifications.services import queue_email

    smtp_server.stop()
    extra = {"SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port, "EMAIL_RETRY_SECONDS": 0.2}
    with committed_app(f"sqlite:///{tmp_path / 'outage.sqlite'}", tmp_path, **extra) as app:
        celery_app = app.extensions["celery"]

        def row() -> OutboxEmail:
            with app.app_context():
                return db.session.scalar(sa.select(OutboxEmail))

        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            with app.app_context():
                queue_email(to="owner@example.org", subject="Due soon", text="Body", html="<p>Body</p>", key="k:1")
                commit()  # hands the send to the worker
            wait_until(lambda: row().attempts >= 3, 30, "the send was not retried while SMTP was down")
            assert smtp_server.messages == []
            failed = row()
            assert failed.sent_at is None
            assert "Connection refused" in failed.last_error

            smtp_server.start()  # the same port
            [message] = smtp_server.wait_for(1, timeout=30)
            wait_until(lambda: row().sent_at is not None, 10, "sent_at was not recorded")
            time.sleep(1.5)  # any retry still scheduled would have fired by now
        assert len(smtp_server.messages) == 1
        assert message["Subject"] == "Due soon"
        assert row().last_error is None
