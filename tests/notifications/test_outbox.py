"""Queueing and sending outbox emails: once per key, permanent refusals not retried, lost sends found."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from casework.core.celery import DEFAULT_VISIBILITY_TIMEOUT, _transport_options
from casework.core.db import commit
from casework.extensions import db
from casework.notifications import tasks
from casework.notifications.models import OutboxEmail
from casework.notifications.services import queue_email


@pytest.fixture
def smtp(app, smtp_server, monkeypatch):
    state = app.extensions["mailman"]
    monkeypatch.setattr(state, "backend", "smtp")
    monkeypatch.setattr(state, "server", smtp_server.host)
    monkeypatch.setattr(state, "port", smtp_server.port)
    return smtp_server


def test_the_same_key_is_queued_and_sent_once(db_session, smtp):
    first = queue_email(to="a@example.org", subject="One", text="Body", key="same")
    second = queue_email(to="a@example.org", subject="One", text="Body", key="same")
    commit()
    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 1
    smtp.wait_for(1)
    assert tasks.send_email.run(first.id) is False  # already sent: a redelivered task sends nothing
    assert len(smtp.messages) == 1


def test_plain_and_html_parts_and_a_stable_message_id(db_session, smtp):
    row = queue_email(to="a@example.org", subject="Both", text="Plain body", html="<p>HTML body</p>", key="both")
    commit()
    [message] = smtp.wait_for(1)
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Plain body"
    assert message.get_body(preferencelist=("html",)).get_content().strip() == "<p>HTML body</p>"
    assert message["From"] == "Casework <casework@localhost>"
    import hashlib

    assert message["Message-ID"] == f"<{hashlib.sha256(b'both').hexdigest()[:40]}@casework>"
    db.session.expire_all()
    assert db.session.get(OutboxEmail, row.id).sent_at is not None


def test_a_permanent_refusal_is_recorded_and_not_retried(db_session, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"No such user")})

    monkeypatch.setattr("flask_mailman.message.EmailMessage.send", refuse)
    row = queue_email(to="a@example.org", subject="x", text="x", key="refused")
    commit()  # the eager send runs here and must not raise
    db.session.expire_all()
    refused = db.session.get(OutboxEmail, row.id)
    assert refused.failed_at is not None
    assert refused.sent_at is None
    assert "SMTPRecipientsRefused" in refused.last_error
    assert tasks.send_email.run(row.id) is False


def test_transient_failure_in_eager_mode_leaves_the_row_for_resend(db_session, monkeypatch):
    def down(self, *args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("flask_mailman.message.EmailMessage.send", down)
    row = queue_email(to="a@example.org", subject="x", text="x", key="down")
    commit()
    db.session.expire_all()
    waiting = db.session.get(OutboxEmail, row.id)
    assert (waiting.sent_at, waiting.failed_at, waiting.attempts) == (None, None, 1)


def test_resend_unsent_picks_only_rows_whose_sending_went_quiet(db_session, monkeypatch):
    from casework.core import tasks_outbox

    queued: list[int] = []
    monkeypatch.setattr(tasks_outbox, "publish", lambda name, args, task_id: queued.extend(args))
    start = datetime(2026, 4, 8, 9, 0, tzinfo=UTC)

    def row(key: str, **values) -> OutboxEmail:
        email = OutboxEmail(
            idempotency_key=key,
            to_address="a@example.org",
            subject="s",
            body_text="b",
            created_at=values.pop("created_at", start),
            **values,
        )
        db.session.add(email)
        return email

    lost = row("lost")
    retrying = row("retrying", last_attempt_at=start + timedelta(minutes=12), attempts=3)
    row("sent", sent_at=start)
    row("refused", failed_at=start)
    row("new", created_at=start + timedelta(minutes=10))
    db.session.commit()
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        assert tasks.resend_unsent.run() == 1
    assert queued == [lost.id]
    assert retrying.id not in queued


def test_retry_countdown_grows_and_is_capped(app):
    with app.app_context():
        for retries in range(30):
            countdown = tasks.retry_countdown(retries)
            assert 0 < countdown <= tasks.RETRY_MAX_SECONDS
            assert countdown <= max(2.5, 5 * 2**retries)


def test_visibility_timeout_is_configurable_on_redis_only():
    assert _transport_options("redis://x/0", {}) == {"visibility_timeout": DEFAULT_VISIBILITY_TIMEOUT}
    assert _transport_options("redis://x/0", {"BROKER_VISIBILITY_TIMEOUT": 30}) == {
        "visibility_timeout": 30,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    assert _transport_options("sqla+sqlite:///b.sqlite", {"BROKER_VISIBILITY_TIMEOUT": 30}) == {}
    with pytest.raises(ValueError, match="whole seconds"):
        _transport_options("redis://x/0", {"BROKER_VISIBILITY_TIMEOUT": "soon"})
    with pytest.raises(ValueError, match="at least 1"):
        _transport_options("redis://x/0", {"BROKER_VISIBILITY_TIMEOUT": 0})


def test_a_subject_with_line_breaks_is_sent_on_one_line(db_session, smtp):
    # An action's description, with the line break an officer typed, becomes a reminder's subject.
    row = queue_email(to="a@example.org", subject="Due: Visit the victim.\r\nTake the diary", text="x", key="lines")
    commit()
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Due: Visit the victim. Take the diary"
    db.session.expire_all()
    assert db.session.get(OutboxEmail, row.id).sent_at is not None


def test_a_message_the_mail_library_refuses_is_failed_for_good_not_requeued(db_session, smtp):
    row = queue_email(to="a@example.org", subject="Fine", text="x", key="refused-header")
    # A row written before subjects were made one line (or by hand): the library refuses its header.
    db.session.execute(
        sa.update(OutboxEmail).where(OutboxEmail.id == row.id).values(subject="Two\r\nBcc: x@example.org")
    )
    commit()  # the eager send runs here, is refused, and must not raise
    db.session.expire_all()
    refused = db.session.get(OutboxEmail, row.id)
    assert refused.sent_at is None
    assert refused.failed_at is not None
    assert "BadHeaderError" in refused.last_error  # and, failed, it is not queued again
    assert smtp.messages == []


def test_a_message_erased_by_retention_before_it_was_sent_is_never_sent(db_session, smtp):
    """Retention blanks a waiting message about an anonymised record; the sender must not then try the
    blank ("removed") address when the mail server is back, now or through the resend sweep."""
    from casework.core.lifecycle import RetentionReport
    from casework.notifications.services import REMOVED_EMAIL, erase_emails_about

    smtp.stop()
    waiting = queue_email(
        to="victim@example.org", subject="About the action", text="Body", key="k", related=("actions", 7)
    )
    commit()
    assert waiting.sent_at is None
    erase_emails_about({"actions": {7}}, RetentionReport(on=datetime.now(UTC).date(), started_at=datetime.now(UTC)))
    commit()
    smtp.start()
    assert tasks.send_email.run(waiting.id) is False
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1)):
        assert tasks.resend_unsent.run() == 0
    db.session.expire_all()
    erased = db.session.get(OutboxEmail, waiting.id)
    assert (erased.subject, erased.sent_at, erased.failed_at is not None) == (REMOVED_EMAIL, None, True)
    assert smtp.messages == []
