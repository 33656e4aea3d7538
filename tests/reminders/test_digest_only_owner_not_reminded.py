"""An owner who chose the daily digest only is sent no reminder, whenever they chose it.

``reminders.services.emailed_to`` is asked as every email about a deadline is queued (the sweep's, and
one queued in place of one withdrawn, ``replace_unsent_reminder``) and again just before it is sent
(``unsent_still_due``): a reminder queued before the owner's choice and still waiting for the mail
server is withdrawn, and one withdrawn for what it quotes is not replaced by a reminder they said they
did not want (the digest lists the work)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.notifications.tasks import WITHDRAWN, send_email
from casework.reminders import services, tasks

DUE = date(2026, 4, 7)


def _messages_to(address: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(OutboxEmail.id))
    )


def _reminder_waiting(world: Any, deadline: Any) -> OutboxEmail:
    """The colleague's reminder, queued by the sweep while they took each reminder, not sent yet."""
    deadline(
        world.colleague,
        DUE,
        title=f"Tell Vera Victim of their right to a Case Review ({world.case.reference})",
        case_id=world.case.id,
        link=f"/cases/{world.case.id}",
    )
    tasks.sweep.run()
    [queued] = _messages_to(world.colleague.email)
    assert queued.idempotency_key.startswith("reminder:")
    return queued


def _choose_digest_only(world: Any) -> None:
    services.set_digest_only(world.colleague, world.colleague, True)
    db.session.commit()


def test_a_reminder_withdrawn_for_what_it_quotes_is_not_replaced_for_a_digest_only_owner(
    world: Any, deadline: Any, at: Any, mail_to_smtp: Any
) -> None:
    from casework.cases.models import CaseAccess

    mail_to_smtp.stop()
    with at(2026, 4, 1, 6, 0):
        queued = _reminder_waiting(world, deadline)
        _choose_digest_only(world)
        # The case restricted without the owner: the reminder quotes what they may no longer read.
        world.case.is_restricted = True
        db.session.add(CaseAccess(case_id=world.case.id, user_id=world.officer.id))
        db.session.commit()
        mail_to_smtp.start()
        send_email.apply(args=(queued.id,))
        messages = _messages_to(world.colleague.email)
    assert [m.id for m in messages] == [queued.id], [m.idempotency_key for m in messages]
    assert messages[0].last_error.startswith(WITHDRAWN)
    assert mail_to_smtp.messages == []


def test_a_reminder_waiting_when_its_owner_chose_the_digest_only_is_withdrawn(
    world: Any, deadline: Any, at: Any, mail_to_smtp: Any
) -> None:
    mail_to_smtp.stop()
    with at(2026, 4, 1, 6, 0):
        queued = _reminder_waiting(world, deadline)
        _choose_digest_only(world)
        mail_to_smtp.start()
        send_email.apply(args=(queued.id,))
        [withdrawn] = _messages_to(world.colleague.email)
    assert withdrawn.last_error.startswith(WITHDRAWN)
    assert "daily digest only" in withdrawn.last_error
    assert mail_to_smtp.messages == []


def test_no_reminder_is_queued_to_a_digest_only_owner_by_any_path(world: Any, deadline: Any, at: Any) -> None:
    """The one place every deadline email is queued refuses a reminder to an owner who chose the digest
    only, whoever asks it (the sweep, or a replacement); their manager's escalation still goes."""
    from casework.reminders.titles import DeadlineTitles

    row = deadline(world.colleague, DUE, case_id=world.case.id, link=f"/cases/{world.case.id}")
    _choose_digest_only(world)
    with at(2026, 4, 1, 6, 0):
        titles = DeadlineTitles(world.colleague, [row])
        assert services._queue_deadline_email("reminder", row, world.colleague, titles) is None
        manager_titles = DeadlineTitles(world.manager, [row])
        assert services._queue_deadline_email("escalation", row, world.manager, manager_titles) is not None
