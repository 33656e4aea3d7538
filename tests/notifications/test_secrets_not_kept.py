"""A message carrying a secret (the victim page's sign-in link or code) keeps it out of the outbox's
bodies, sealed with CASEWORK_DATA_KEY beside them, and only until the message goes: whoever reads the
outbox (a replica, a dump, a subject access export) never reads a live secret, which the sign-in
table's keyed digests were meant to ensure."""

from __future__ import annotations

import smtplib

import pytest
import sqlalchemy as sa

from casework.core.db import commit
from casework.extensions import db
from casework.notifications import tasks
from casework.notifications.models import OutboxEmail
from casework.notifications.services import SECRET_WITHHELD, queue_email, queue_text
from tests.support.data_keys import NEW_KEY, OLD_KEY
from tests.support.mail import sent_text

LINK = "https://casework.example/my-case/sign-in/link/Zq3-secret-token-of-the-test"
CODE = "482913"


@pytest.fixture
def data_key(app, monkeypatch):
    """CASEWORK_DATA_KEY set, as in production (``keys(NEW_KEY, OLD_KEY)``): OLD_KEY to begin with."""

    def use(*chosen: str) -> None:
        monkeypatch.setitem(app.config["CASEWORK"], "DATA_KEY", tuple(chosen))
        monkeypatch.setitem(app.config["CASEWORK"], "DATA_KEY_IS_TEMPORARY", False)

    use(OLD_KEY)
    return use


def _stored(row_id: int) -> dict[str, str | None]:
    """The row's text columns as the database holds them."""
    row = db.session.execute(
        sa.text(
            "SELECT idempotency_key, subject, body_text, body_html, sealed_secret, last_error "
            "FROM outbox_emails WHERE id = :id"
        ),
        {"id": row_id},
    ).one()
    return dict(row._mapping)


def _holding(row_id: int, secret: str) -> list[str]:
    return [column for column, value in _stored(row_id).items() if value and secret in value]


def test_a_waiting_message_holds_its_secret_sealed_and_none_once_sent(db_session, data_key):
    email = queue_email(
        to="vera@example.net",
        subject="Your link to sign in",
        text=f"Use this link:\n\n{SECRET_WITHHELD}\n",
        html=f"<p><a href='{SECRET_WITHHELD}'>Sign in</a></p>",
        key="secret-email",
        secret=LINK,
    )
    text = queue_text(to="07700900123", text=f"Your code is {SECRET_WITHHELD}.", key="secret-text", secret=CODE)
    for row, secret in ((email, LINK), (text, CODE)):
        stored = _stored(row.id)
        assert _holding(row.id, secret) == []  # waiting: sealed, in no column as it is
        assert SECRET_WITHHELD in stored["body_text"]
        assert str(stored["sealed_secret"]).startswith("v1:")
    commit()  # sent (eagerly, in the tests) to the mail folder
    assert f"Use this link:\n\n{LINK}\n" in sent_text(email)
    assert f"Your code is {CODE}." in sent_text(text)
    for row, secret in ((email, LINK), (text, CODE)):
        db.session.expire_all()
        assert db.session.get(OutboxEmail, row.id).sent_at is not None
        assert _stored(row.id)["sealed_secret"] is None
        assert _holding(row.id, secret) == []


def test_the_mail_server_gets_the_secret_in_both_parts(db_session, data_key, smtp_server, app, monkeypatch):
    state = app.extensions["mailman"]
    monkeypatch.setattr(state, "backend", "smtp")
    monkeypatch.setattr(state, "server", smtp_server.host)
    monkeypatch.setattr(state, "port", smtp_server.port)
    row = queue_email(
        to="vera@example.net",
        subject="Your link to sign in",
        text=f"Use this link: {SECRET_WITHHELD}",
        html=f"<p>{SECRET_WITHHELD}</p>",
        key="secret-smtp",
        secret="https://casework.example/link?a=1&b=2",
    )
    commit()
    [message] = smtp_server.wait_for(1)
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == (
        "Use this link: https://casework.example/link?a=1&b=2"
    )
    # Put into the HTML escaped, as any value written into HTML is.
    assert message.get_body(preferencelist=("html",)).get_content().strip() == (
        "<p>https://casework.example/link?a=1&amp;b=2</p>"
    )
    assert _stored(row.id)["sealed_secret"] is None


def test_a_message_refused_for_good_or_withdrawn_keeps_no_secret(db_session, data_key, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"vera@example.net": (550, b"No such user")})

    monkeypatch.setattr("flask_mailman.message.EmailMessage.send", refuse)
    refused = queue_email(
        to="vera@example.net", subject="Link", text=SECRET_WITHHELD, key="secret-refused", secret=LINK
    )
    commit()  # the eager send is refused for good
    db.session.expire_all()
    assert db.session.get(OutboxEmail, refused.id).failed_at is not None
    assert _stored(refused.id)["sealed_secret"] is None


def test_a_secret_no_key_opens_is_refused_for_good_not_sent_without_it(db_session, data_key):
    row = queue_text(to="07700900123", text=f"Your code is {SECRET_WITHHELD}.", key="secret-lost-key", secret=CODE)
    data_key(NEW_KEY)  # the key it was sealed with removed while it waited
    commit()  # the eager send cannot open it
    assert tasks.send_email.run(row.id) is False  # nor will any later one: refused for good
    db.session.expire_all()
    failed = db.session.get(OutboxEmail, row.id)
    assert (failed.sent_at, failed.sealed_secret) == (None, None)
    assert failed.failed_at is not None
    assert "CASEWORK_DATA_KEY" in failed.last_error


def test_without_a_data_key_the_secret_is_still_kept_only_until_sent(db_session, app):
    """Development with no CASEWORK_DATA_KEY: a key made up for the process would be one the worker (another
    process) does not have, so the secret waits unsealed, and is blanked all the same once sent."""
    assert app.config["CASEWORK"]["DATA_KEY_IS_TEMPORARY"]
    row = queue_text(to="07700900123", text=f"Your code is {SECRET_WITHHELD}.", key="secret-dev", secret=CODE)
    assert _stored(row.id)["sealed_secret"] == CODE
    commit()
    assert f"Your code is {CODE}." in sent_text(row)
    assert _holding(row.id, CODE) == []


def test_a_message_with_a_secret_says_where_it_goes(db_session, data_key):
    with pytest.raises(ValueError, match="SECRET_WITHHELD"):
        queue_email(to="vera@example.net", subject="Link", text="Use the link", key="no-place", secret=LINK)
