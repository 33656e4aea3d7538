"""On SQLite, a send holds no write lock while the mail server (or GOV.UK Notify) answers, and still sends
each message once.

A real SMTP server holds each message it is given (in its DATA hook) until the test lets it go, so the
send is in flight while the test looks at the database from a connection of its own. The app has a
SQLite file of its own (the suite's test transaction is one connection, which nothing else can see).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from casework.core.db import commit
from casework.extensions import db
from tests.notifications.committed import committed_app, committed_database
from tests.support import notify as fake_notify
from tests.support.held_work import another_connection_takes_the_write_lock, started_in_the_app
from tests.support.smtp import SmtpServer, _Handler

#: A guard against a hang, not a measure: nothing here should take more than a moment.
HANG = 120


class HoldingHandler(_Handler):
    async def handle_DATA(self, smtp, session, envelope) -> str:  # aiosmtpd's hook name
        self.server.holding.set()
        while not self.server.release.is_set():
            await asyncio.sleep(0.01)
        return await super().handle_DATA(smtp, session, envelope)


class HoldingSmtpServer(SmtpServer):
    """Holds every message until ``release`` is set; ``holding`` is set once it holds one."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()

    def start(self) -> HoldingSmtpServer:
        controller = Controller(HoldingHandler(self), hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self


@pytest.fixture
def holding_smtp() -> Iterator[HoldingSmtpServer]:
    server = HoldingSmtpServer().start()
    try:
        yield server
    finally:
        server.release.set()
        server.stop()


@pytest.fixture
def app_on_a_file(tmp_path, holding_smtp) -> Iterator[tuple[Any, str]]:
    extra = {"SMTP_HOST": holding_smtp.host, "SMTP_PORT": holding_smtp.port}
    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **extra) as app:
        yield app, url.removeprefix("sqlite:///")


def _queue(app) -> int:
    from casework.notifications.services import queue_email

    with app.app_context():
        row = queue_email(to="owner@example.org", subject="Overdue", text="Body", key="escalation:1")
        commit()
        return row.id


def _sender(app, email_id: int, results: list[Any]) -> threading.Thread:
    from casework.notifications.tasks import send_email

    return started_in_the_app(app, lambda: send_email.run(email_id), results)


def _row(app, email_id: int) -> sa.Row[Any]:
    from casework.notifications.models import OutboxEmail

    with app.app_context():
        row = db.session.execute(
            sa.select(OutboxEmail.sent_at, OutboxEmail.attempts, OutboxEmail.last_error).where(
                OutboxEmail.id == email_id
            )
        ).one()
        db.session.remove()
        return row


def test_another_connection_can_write_while_the_mail_server_holds_the_message(app_on_a_file, holding_smtp):
    app, path = app_on_a_file
    email_id = _queue(app)
    results: list[Any] = []
    sender = _sender(app, email_id, results)
    try:
        assert holding_smtp.holding.wait(HANG), f"the send never reached the mail server: {results}"
        another_connection_takes_the_write_lock(path)  # fails if a sender holds it
    finally:
        holding_smtp.release.set()
        sender.join(HANG)
    assert results == [True]
    assert len(holding_smtp.wait_for(1)) == 1
    sent_at, attempts, last_error = _row(app, email_id)
    assert sent_at is not None
    assert attempts == 1
    assert last_error is None


def test_two_senders_at_once_send_once(app_on_a_file, holding_smtp):
    app, _path = app_on_a_file
    email_id = _queue(app)
    results: list[Any] = []
    first = _sender(app, email_id, results)
    try:
        assert holding_smtp.holding.wait(HANG), f"the send never reached the mail server: {results}"
        # A retry or the resend_unsent sweep given the same message while the first is in flight: it
        # leaves the message to the first sender rather than waiting for it or sending it again.
        second = _sender(app, email_id, results)
        second.join(HANG)
        assert results == [False]
    finally:
        holding_smtp.release.set()
        first.join(HANG)
    assert results == [False, True]
    assert len(holding_smtp.wait_for(1)) == 1
    sent_at, attempts, _error = _row(app, email_id)
    assert sent_at is not None
    assert attempts == 1
    # Given again once it is sent, it is not sent again.
    again: list[Any] = []
    _sender(app, email_id, again).join(HANG)
    assert again == [False]
    assert len(holding_smtp.messages) == 1


class HoldingNotify(fake_notify.FakeNotify):
    """Holds every request until ``release`` is set; ``holding`` is set once it holds one."""

    def __init__(self) -> None:
        super().__init__()
        self.RequestHandlerClass = HoldingNotifyHandler
        self.holding = threading.Event()
        self.release = threading.Event()


class HoldingNotifyHandler(fake_notify._Handler):
    server: HoldingNotify

    def do_POST(self) -> None:
        self.server.holding.set()
        self.server.release.wait(HANG)
        super().do_POST()


def test_another_connection_can_write_while_notify_holds_a_text_message(tmp_path):
    from casework.notifications.services import queue_text

    server = HoldingNotify()
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    extra = {
        "NOTIFY_API_KEY": fake_notify.API_KEY,
        "NOTIFY_BASE_URL": server.url,
        "NOTIFY_EMAIL_TEMPLATE_ID": fake_notify.EMAIL_TEMPLATE,
        "NOTIFY_SMS_TEMPLATE_ID": fake_notify.SMS_TEMPLATE,
    }
    try:
        with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **extra) as app:
            with app.app_context():
                email_id = queue_text(to="07700900123", text="Your case was updated", key="text:1").id
                commit()
            results: list[Any] = []
            sender = _sender(app, email_id, results)
            try:
                assert server.holding.wait(HANG), f"the send never reached Notify: {results}"
                another_connection_takes_the_write_lock(url.removeprefix("sqlite:///"))
            finally:
                server.release.set()
                sender.join(HANG)
            assert results == [True]
            assert [request["body"]["phone_number"] for request in server.requests] == ["07700900123"]
            assert server.problems == []
            assert _row(app, email_id).sent_at is not None
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


_TRY_IN_ANOTHER_PROCESS = """
import sys
import sqlalchemy as sa
from casework.notifications.sending_lock import sending
with sending(sa.make_url(sys.argv[1]), int(sys.argv[2])) as held:
    print(held)
"""


def _held_by_another_process(url: str, email_id: int) -> bool:
    import subprocess
    import sys

    from tests.notifications.committed import ROOT

    answer = subprocess.run(
        [sys.executable, "-c", _TRY_IN_ANOTHER_PROCESS, url, str(email_id)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=HANG,
    )
    return answer.stdout.strip() == "False"


def test_the_sending_lock_excludes_other_senders_of_the_same_message_only(tmp_path):
    from casework.notifications.sending_lock import sending

    url = f"sqlite:///{tmp_path / 'casework.sqlite'}"
    with sending(sa.make_url(url), 7) as held:
        assert held
        with sending(sa.make_url(url), 7) as again:
            assert not again  # another thread's sender (a descriptor of its own) gives up
        with sending(sa.make_url(url), 8) as other:
            assert other  # another message is not held up
        assert _held_by_another_process(url, 7)
        assert not _held_by_another_process(url, 8)
    assert not _held_by_another_process(url, 7)  # let go with the block (and with a dead process)
    with sending(sa.make_url("sqlite://"), 7) as in_memory:
        assert in_memory
        with sending(sa.make_url("sqlite://"), 7) as again:
            assert not again
