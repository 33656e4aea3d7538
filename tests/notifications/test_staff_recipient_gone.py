"""A message written to a member of staff goes only if, when it is sent, their account is still open
and still has the address it was written to: every kind of email the service has (the scenario of
``tests/test_email_links.py``, which fails when a new kind is not in it) is queued while the mail
server is down, every staff account is closed, and the server comes back. Every message to staff is
withdrawn (``accounts.notices.unsent_recipient_gone``, asked by the outbox whatever the message is
about); every message to someone outside the service (an applicant, a victim) still goes."""

from __future__ import annotations

import sqlalchemy as sa

from casework.accounts.models import User
from casework.extensions import db
from casework.notifications import tasks
from casework.notifications.models import OutboxEmail
from tests.test_email_links import queue_every_kind
from tests.test_email_links import world as scenario_world

world = scenario_world  # the scenario's people

CLOSED = "its recipient's account is closed"
MOVED = "its recipient's account has another email address now"


def _mail_server_down(monkeypatch) -> None:
    def refuse(_row: OutboxEmail) -> None:
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(tasks, "_deliver", refuse)


def _send_every_unsent() -> list[OutboxEmail]:
    db.session.expire_all()
    for email_id in db.session.scalars(sa.select(OutboxEmail.id).where(OutboxEmail.sent_at.is_(None))).all():
        tasks.send_email.apply(args=(email_id,))
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))


def test_every_kind_of_email_to_a_closed_account_is_withdrawn(
    app, world, make, client, api_client, page_client, monkeypatch
) -> None:
    _mail_server_down(monkeypatch)
    queued = queue_every_kind(app, world, make, client, api_client, page_client)
    assert queued
    assert all(email.sent_at is None for email in queued)
    staff = {user.email.lower() for user in db.session.scalars(sa.select(User))}
    db.session.execute(sa.update(User).values(is_active=False))
    db.session.commit()
    monkeypatch.undo()  # the mail server is back

    emails = _send_every_unsent()
    to_staff = [email for email in emails if email.to_address.lower() in staff]
    to_public = [email for email in emails if email.to_address.lower() not in staff]
    assert {email.idempotency_key.split(":")[0] for email in to_staff} >= {"reminder", "digest", "tasking-minutes"}
    assert to_public
    for email in to_staff:
        assert email.sent_at is None, email.idempotency_key
        assert email.last_error == f"{tasks.WITHDRAWN}: {CLOSED}", (email.idempotency_key, email.last_error)
    for email in to_public:
        assert email.sent_at is not None, (email.idempotency_key, email.last_error)


def test_an_email_to_staff_goes_while_the_account_is_open_and_not_to_an_address_it_no_longer_has(
    app, world, make, client, api_client, page_client, monkeypatch
) -> None:
    _mail_server_down(monkeypatch)
    queue_every_kind(app, world, make, client, api_client, page_client)
    world.coordinator.email = "new.address@council.example"
    db.session.commit()
    monkeypatch.undo()

    emails = _send_every_unsent()
    moved = [email for email in emails if email.to_user_id == world.coordinator.id]
    assert moved
    for email in moved:
        if email.to_address != world.coordinator.email:
            assert email.last_error.startswith(f"{tasks.WITHDRAWN}: {MOVED}"), email.idempotency_key
    others = [email for email in emails if email.to_user_id not in (None, world.coordinator.id)]
    assert any(email.sent_at is not None for email in others)
