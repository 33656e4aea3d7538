"""A reminder or escalation queued while the mail server is down is sent when it comes back only if
it is still owed: a deadline settled, moved, deleted or handed to someone else in the meantime (hours,
on a long outage) withdraws the message instead (``reminders.services.unsent_still_due``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.notifications.tasks import WITHDRAWN, send_email
from casework.reminders import services, tasks
from casework.reminders.models import DeadlineStatus

DUE = date(2026, 4, 7)


def _settle(row: Any, _other: Any) -> None:
    services.settle(row, DeadlineStatus.done)


def _cancel(row: Any, _other: Any) -> None:
    services.close_deadline(row.subject_type, row.subject_id, cancelled=True)


def _move(row: Any, _other: Any) -> None:
    services.set_deadline(
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        kind=row.kind,
        title=row.title,
        due=date(2026, 4, 21),
        owner_id=row.owner_id,
        case_id=row.case_id,
        link=row.link,
    )


def _delete(row: Any, _other: Any) -> None:
    services.delete_deadlines_of(row.subject_type, [row.subject_id])


def _hand_over(row: Any, other: Any) -> None:
    services.hand_over(row, other.id)


def _close_account(row: Any, _other: Any) -> None:
    row.owner.is_active = False


def _nothing(_row: Any, _other: Any) -> None:
    pass


def _queued(prefix: str) -> OutboxEmail:
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.startswith(prefix))).one()


def _send_again(mail: Any, message_id: int) -> OutboxEmail:
    mail.start()  # the same port: the server is back
    send_email.apply(args=(message_id,))
    db.session.expire_all()
    return db.session.get(OutboxEmail, message_id)


@pytest.mark.parametrize(
    "change",
    [_settle, _cancel, _move, _delete, _hand_over, _close_account],
    ids=["done", "cancelled", "moved", "deleted", "handed over", "owner's account closed"],
)
def test_a_reminder_no_longer_owed_is_withdrawn_not_sent(make, deadline, at, mail_to_smtp, change):
    owner = make.user("officer", email="owner@example.org")
    other = make.user("officer", email="other@example.org")
    row = deadline(owner, DUE, title="Review the risk assessment")
    mail_to_smtp.stop()
    with at(2026, 4, 1, 6, 0):
        tasks.sweep.run()
        queued = _queued("reminder:")
        assert (queued.sent_at, queued.failed_at) == (None, None)  # waiting for the server
        change(row, other)
        db.session.commit()
        message = _send_again(mail_to_smtp, queued.id)
    assert mail_to_smtp.messages == []
    assert message.sent_at is None
    assert message.failed_at is not None
    assert message.last_error.startswith(WITHDRAWN)


def test_a_reminder_still_owed_is_sent_when_the_server_is_back(make, deadline, at, mail_to_smtp):
    owner = make.user("officer", email="owner@example.org")
    deadline(owner, DUE, title="Review the risk assessment")
    mail_to_smtp.stop()
    with at(2026, 4, 1, 6, 0):
        tasks.sweep.run()
        queued = _queued("reminder:")
        message = _send_again(mail_to_smtp, queued.id)
    [received] = mail_to_smtp.wait_for(1)
    assert received["To"] == "owner@example.org"
    assert (message.sent_at is not None, message.failed_at) == (True, None)


@pytest.mark.parametrize("change", [_settle, _nothing], ids=["done", "still overdue"])
def test_an_escalation_is_withdrawn_once_its_deadline_is_done(make, deadline, at, mail_to_smtp, change):
    manager = make.user("manager", email="boss@example.org")
    owner = make.user("officer", manager=manager)
    owner.is_digest_only = True  # no reminder: only the escalation is queued
    row = deadline(owner, DUE, title="Decide the threshold")
    mail_to_smtp.stop()
    with at(2026, 4, 8, 9, 0):
        tasks.sweep.run()
        queued = _queued("escalation:")
        change(row, None)
        db.session.commit()
        message = _send_again(mail_to_smtp, queued.id)
    if change is _nothing:
        assert [m["To"] for m in mail_to_smtp.wait_for(1)] == ["boss@example.org"]
    else:
        assert mail_to_smtp.messages == []
        assert message.last_error.startswith(WITHDRAWN)


def test_an_escalation_to_a_manager_no_longer_the_owners_is_withdrawn(make, deadline, at, mail_to_smtp):
    manager = make.user("manager", email="boss@example.org")
    successor = make.user("manager", email="new.boss@example.org")
    owner = make.user("officer", manager=manager)
    owner.is_digest_only = True
    deadline(owner, DUE, title="Decide the threshold")
    mail_to_smtp.stop()
    with at(2026, 4, 8, 9, 0):
        tasks.sweep.run()
        queued = _queued("escalation:")
        owner.manager = successor
        db.session.commit()
        message = _send_again(mail_to_smtp, queued.id)
    assert mail_to_smtp.messages == []
    assert message.last_error.startswith(WITHDRAWN)


def _restrict_without(world: Any, named: Any) -> None:
    """The case restricted, named only to ``named`` (not the message's recipient)."""
    from casework.cases.models import CaseAccess

    world.case.is_restricted = True
    db.session.add(CaseAccess(case_id=world.case.id, user_id=named.id))


@pytest.mark.parametrize("kind", ["reminder", "escalation"])
def test_a_message_quoting_a_case_its_recipient_may_no_longer_see_is_withdrawn(world, deadline, at, mail_to_smtp, kind):
    """Written while its recipient could see the case, it waits for the mail server; meanwhile the case
    is restricted without them (and the work left with its holder): it is not sent with the title. The
    work is still theirs to do, or to chase: they are sent it again as they may read it now
    (``replace_unsent_reminder``)."""
    if kind == "escalation":
        world.colleague.is_digest_only = True  # only the escalation to their manager is queued
    row = deadline(
        world.colleague,
        DUE,
        title=f"Tell Vera Victim of their right to a Case Review ({world.case.reference})",
        case_id=world.case.id,
        link=f"/cases/{world.case.id}",
    )
    mail_to_smtp.stop()
    with at(*((2026, 4, 1, 6, 0) if kind == "reminder" else (2026, 4, 8, 9, 0))):
        tasks.sweep.run()
        queued = _queued(f"{kind}:")
        assert row.title in queued.body_text  # it could see the case then
        _restrict_without(world, world.officer)
        db.session.commit()
        message = _send_again(mail_to_smtp, queued.id)
    assert message.sent_at is None
    assert message.last_error.startswith(WITHDRAWN)
    [received] = mail_to_smtp.wait_for(1)
    assert received["To"] == queued.to_address
    body = received.get_body(preferencelist=("plain",)).get_content()
    assert "A deadline on a case you cannot see" in body
    for secret in ("Vera Victim", world.case.reference):
        assert secret not in body + received["Subject"], secret


def test_a_message_its_recipient_may_still_read_goes(world, deadline, at, mail_to_smtp):
    row = deadline(
        world.officer,
        DUE,
        title="Tell Vera Victim of their right",
        case_id=world.case.id,
        link=f"/cases/{world.case.id}",
    )
    mail_to_smtp.stop()
    with at(2026, 4, 1, 6, 0):
        tasks.sweep.run()
        queued = _queued("reminder:")
        _restrict_without(world, world.officer)  # restricted, but they are named on it
        db.session.commit()
        message = _send_again(mail_to_smtp, queued.id)
    [received] = mail_to_smtp.wait_for(1)
    assert row.title in received.get_body(preferencelist=("plain",)).get_content()
    assert message.sent_at is not None


@pytest.mark.parametrize("change", ["restricted without them", "nothing"])
def test_a_digest_quoting_a_case_its_recipient_may_no_longer_see_is_withdrawn(
    world, deadline, at, mail_to_smtp, change
):
    """The manager's digest lists their team's work as they could read it when it was written; the
    case restricted without them while it waits for the mail server, it is not sent: the day's digest
    as they may read it now is sent in its place (``replace_unsent_digest``)."""
    row = deadline(
        world.colleague,
        DUE,
        title=f"Tell Vera Victim of their right to a Case Review ({world.case.reference})",
        case_id=world.case.id,
        link=f"/cases/{world.case.id}",
    )
    mail_to_smtp.stop()
    with at(2026, 4, 6, 6, 0):  # 07:00 in London
        tasks.digest.run()
        queued = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == world.manager.email)).one()
        assert row.title in queued.body_text
        if change != "nothing":
            _restrict_without(world, world.officer)
        db.session.commit()
        message = _send_again(mail_to_smtp, queued.id)
    if change == "nothing":
        assert [m["To"] for m in mail_to_smtp.wait_for(1)] == [world.manager.email]
    else:
        assert message.last_error.startswith(WITHDRAWN)
        [received] = mail_to_smtp.wait_for(1)
        assert received["To"] == world.manager.email
        body = received.get_body(preferencelist=("plain",)).get_content()
        assert "A deadline on a case you cannot see" in body
        assert "Vera Victim" not in body


def _manager_role_removed(world: Any) -> None:
    world.manager.roles = ["officer"]


def _account_closed(world: Any) -> None:
    world.manager.is_active = False


@pytest.mark.parametrize(
    "change", [_manager_role_removed, _account_closed, None], ids=["manager role removed", "account closed", "nothing"]
)
def test_a_digest_to_someone_no_longer_owed_one_is_withdrawn(world, deadline, at, mail_to_smtp, change):
    """A manager's digest lists their team's work; queued while the mail server is down, then their
    manager role taken away or their account closed, it is not sent (nor one in its place): they lead
    no team now, and are owed no digest (``digest_recipients``)."""
    row = deadline(world.colleague, DUE, title="Visit the Smith family at 12 Quiet Road")
    mail_to_smtp.stop()
    with at(2026, 4, 6, 6, 0):  # 07:00 in London
        tasks.digest.run()
        queued = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == world.manager.email)).one()
        assert row.title in queued.body_text
        if change is not None:
            change(world)
        db.session.commit()
        message = _send_again(mail_to_smtp, queued.id)
    if change is None:
        assert [m["To"] for m in mail_to_smtp.wait_for(1)] == [world.manager.email]
    else:
        assert message.last_error.startswith(WITHDRAWN)
        assert message.sent_at is None
        assert db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.to_address == world.manager.email)
        ).all() == [message]


@pytest.mark.parametrize("moved", [True, False], ids=["moved to another agency", "not moved"])
def test_a_digest_written_for_a_team_its_manager_no_longer_leads_is_withdrawn(world, deadline, at, mail_to_smtp, moved):
    """A manager's digest lists their team's work; queued while the mail server is down, then the manager
    moved to another agency where they still manage (their old team left behind, ``update_user``), it is
    not sent: the old team's work is not theirs to read. The day's digest of the team they lead now is
    sent in its place (``replace_unsent_digest``)."""
    from casework.accounts import services as accounts

    old_work = deadline(world.colleague, DUE, title="Visit the Smith family at 12 Quiet Road")
    new_work = deadline(world.stranger, DUE, title="Call the neighbours of 3 Elm Close")
    mail_to_smtp.stop()
    with at(2026, 4, 6, 6, 0):  # 07:00 in London
        tasks.digest.run()
        queued = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == world.manager.email)).one()
        assert old_work.title in queued.body_text
        if moved:
            accounts.update_user(world.admin, world.manager, agency=world.other)
            accounts.update_user(world.admin, world.stranger, manager_email=world.manager.email)
        db.session.commit()
        message = _send_again(mail_to_smtp, queued.id)
    [received] = mail_to_smtp.wait_for(1)
    assert received["To"] == world.manager.email
    body = received.get_body(preferencelist=("plain",)).get_content()
    if moved:
        assert message.last_error == f"{WITHDRAWN}: it lists the work of people no longer in its recipient's team"
        assert old_work.title not in body
        assert new_work.title in body
    else:
        assert message.sent_at is not None
        assert old_work.title in body
