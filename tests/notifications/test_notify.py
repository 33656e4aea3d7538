"""GOV.UK Notify: with an API key, email and text messages go through notifications-python-client.
Checked against a local HTTP server that reads each request as Notify would: the path, a JSON body
with the template and personalisation, and a bearer JWT signed with the key's secret, issued by the
key's service and fresh."""

from __future__ import annotations

import pytest

from casework.core.db import commit
from casework.extensions import db
from casework.notifications import tasks
from casework.notifications.models import OutboxEmail
from casework.notifications.services import queue_email, queue_text
from tests.support.notify import API_KEY, EMAIL_TEMPLATE, SMS_TEMPLATE


def _row(row_id: int) -> OutboxEmail:
    db.session.expire_all()
    return db.session.get(OutboxEmail, row_id)


def test_a_text_message_goes_through_notify_once(db_session, notify):
    row = queue_text(to="07700900123", text="Your code is 123456", key="text-1")
    commit()  # eager tasks: sent after the commit
    [request] = notify.requests
    assert notify.problems == []
    assert request["path"] == "/v2/notifications/sms"
    assert request["body"]["phone_number"] == "07700900123"
    assert request["body"]["template_id"] == SMS_TEMPLATE
    assert request["body"]["personalisation"] == {"body": "Your code is 123456"}
    assert request["body"]["reference"]
    assert "123456" not in request["body"]["reference"]
    assert _row(row.id).sent_at is not None
    assert tasks.send_email.run(row.id) is False  # a redelivered task sends nothing more
    assert len(notify.requests) == 1


def test_an_email_goes_through_notify_with_its_subject_and_body(app, db_session, notify):
    from pathlib import Path

    folder = Path(app.config["MAIL_FILE_PATH"])
    before = set(folder.glob("*")) if folder.exists() else set()
    row = queue_email(to="vera@example.net", subject="Your link to sign in", text="Use this link", key="email-1")
    commit()
    [request] = notify.requests
    assert notify.problems == []
    assert request["path"] == "/v2/notifications/email"
    assert request["body"]["email_address"] == "vera@example.net"
    assert request["body"]["template_id"] == EMAIL_TEMPLATE
    assert request["body"]["personalisation"] == {"subject": "Your link to sign in", "body": "Use this link"}
    assert (set(folder.glob("*")) if folder.exists() else set()) == before  # not also by the mail backend
    assert _row(row.id).sent_at is not None


def test_a_refusal_by_notify_is_recorded_and_not_retried(db_session, notify):
    notify.status = 400
    row = queue_text(to="07700900123", text="Hello", key="text-refused")
    commit()
    stored = _row(row.id)
    assert stored.sent_at is None
    assert stored.failed_at is not None
    assert "400" in stored.last_error


def test_notify_down_leaves_the_message_to_be_sent_again(db_session, notify):
    notify.status = 500
    row = queue_text(to="07700900123", text="Hello", key="text-later")
    commit()
    stored = _row(row.id)
    assert stored.sent_at is None
    assert stored.failed_at is None
    assert "500" in stored.last_error
    notify.status = 201
    assert tasks.send_email.run(row.id) is True
    assert _row(row.id).sent_at is not None


def test_without_notify_a_text_message_is_written_to_the_mail_folder(app, db_session, tmp_path):
    row = queue_text(to="07700900123", text="Your code is 654321", key="text-file")
    commit()
    assert _row(row.id).sent_at is not None
    from pathlib import Path

    written = list(Path(app.config["MAIL_FILE_PATH"]).glob("text-*.txt"))
    assert any("Your code is 654321" in path.read_text() for path in written)


def test_a_notify_key_without_its_templates_stops_the_service(tmp_path):
    from casework.config import ConfigError, load

    with pytest.raises(ConfigError, match="NOTIFY_EMAIL_TEMPLATE_ID"):
        load(str(tmp_path), {"ENV": "testing", "SECRET_KEY": "x" * 40, "NOTIFY_API_KEY": API_KEY})


def test_a_sign_in_code_goes_to_notify_and_is_kept_nowhere(db_session, notify):
    from casework.notifications.services import SECRET_WITHHELD

    row = queue_text(to="07700900123", text=f"Your code is {SECRET_WITHHELD}.", key="text-secret", secret="482913")
    commit()
    [request] = notify.requests
    assert notify.problems == []
    assert request["body"]["personalisation"] == {"body": "Your code is 482913."}
    sent = _row(row.id)
    assert (sent.body_text, sent.sealed_secret) == (f"Your code is {SECRET_WITHHELD}.", None)
