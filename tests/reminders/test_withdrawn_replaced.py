"""A message withdrawn because it quotes what its recipient may no longer read is replaced by what they
are still owed, as they may read it now (``domain.unsent_check(..., replace=...)``): once per
withdrawal, never for a message whose reason has gone, and a replacement is checked in its turn."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.notifications.services import original_key
from casework.notifications.tasks import WITHDRAWN, send_email
from casework.reminders import services, tasks
from casework.reminders.models import DeadlineStatus

DUE = date(2026, 4, 7)


def _restrict_without(world: Any, named: Any) -> None:
    from casework.cases.models import CaseAccess

    world.case.is_restricted = True
    db.session.add(CaseAccess(case_id=world.case.id, user_id=named.id))


def _messages() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))


def _hidden_reminder(world: Any, deadline: Any) -> Any:
    return deadline(
        world.colleague,
        DUE,
        title=f"Tell Vera Victim of their right to a Case Review ({world.case.reference})",
        case_id=world.case.id,
        link=f"/cases/{world.case.id}",
    )


def test_a_replacement_is_queued_once_and_checked_in_its_turn(world, deadline, at, mail_to_smtp):
    """The withdrawn reminder sent twice (a task redelivered) is replaced once; the replacement, waiting
    in its turn for the mail server, is withdrawn when the deadline is done, and nothing replaces it."""
    row = _hidden_reminder(world, deadline)
    mail_to_smtp.stop()
    with at(2026, 4, 1, 6, 0):
        tasks.sweep.run()
        [queued] = _messages()
        _restrict_without(world, world.officer)
        db.session.commit()
        send_email.apply(args=(queued.id,))
        send_email.apply(args=(queued.id,))  # redelivered: already withdrawn, nothing more
        withdrawn, replacement = _messages()
        assert withdrawn.id == queued.id
        assert withdrawn.last_error.startswith(WITHDRAWN)
        assert original_key(replacement.idempotency_key) == queued.idempotency_key
        assert (replacement.sent_at, replacement.to_address) == (None, world.colleague.email)  # the server is down
        assert row.title not in replacement.body_text
        services.settle(db.session.get(type(row), row.id), DeadlineStatus.done)
        db.session.commit()
        mail_to_smtp.start()
        send_email.apply(args=(replacement.id,))
        messages = _messages()
    assert len(messages) == 2
    assert messages[1].last_error.startswith(WITHDRAWN)
    assert mail_to_smtp.messages == []


def test_a_digest_withdrawn_after_its_day_is_not_replaced(world, deadline, at, mail_to_smtp):
    """The next day's digest lists that day's work: yesterday's is not sent again."""
    _hidden_reminder(world, deadline)
    mail_to_smtp.stop()
    with at(2026, 4, 6, 6, 0):
        tasks.digest.run()
        [queued] = [m for m in _messages() if m.to_address == world.manager.email]
        _restrict_without(world, world.officer)
        db.session.commit()
    mail_to_smtp.start()
    with at(2026, 4, 7, 5, 0):  # 06:00 in London the next day, before that day's digest
        send_email.apply(args=(queued.id,))
    assert [m.idempotency_key for m in _messages() if m.to_address == world.manager.email] == [queued.idempotency_key]
    assert mail_to_smtp.messages == []


def test_a_replacement_withdrawn_in_its_turn_is_replaced_again(world, deadline, at, mail_to_smtp):
    """The day's digest withdrawn (one case restricted without the manager) is replaced; the replacement,
    still waiting for the mail server, quotes another case restricted without them meanwhile: it is
    withdrawn and replaced in its turn, under a key of its own (``replacement_key``: the withdrawn
    message's id), and only the last one goes, naming neither case."""
    other_case = world.new_case(reference="BOL-2026-0099")
    titles = [
        f"Tell Vera Victim of their right to a Case Review ({world.case.reference})",
        f"Visit Adam Adult about the noise ({other_case.reference})",
    ]
    for case, title in zip((world.case, other_case), titles, strict=True):
        deadline(world.colleague, DUE, title=title, case_id=case.id, link=f"/cases/{case.id}")

    def managers() -> list[OutboxEmail]:
        return [m for m in _messages() if m.to_address == world.manager.email]

    mail_to_smtp.stop()
    with at(2026, 4, 6, 6, 0):  # 07:00 in London
        tasks.digest.run()
        [digest] = managers()
        assert all(title in digest.body_text for title in titles)
        _restrict_without(world, world.officer)
        db.session.commit()
        send_email.apply(args=(digest.id,))
        [_, first] = managers()
        assert titles[1] in first.body_text
        assert titles[0] not in first.body_text
        from casework.cases.models import CaseAccess

        other_case.is_restricted = True
        db.session.add(CaseAccess(case_id=other_case.id, user_id=world.officer.id))
        db.session.commit()
        send_email.apply(args=(first.id,))
        withdrawn_digest, withdrawn_first, last = managers()
        assert withdrawn_digest.last_error.startswith(WITHDRAWN)
        assert withdrawn_first.last_error.startswith(WITHDRAWN)
        assert {original_key(m.idempotency_key) for m in (first, last)} == {digest.idempotency_key}
        mail_to_smtp.start()
        send_email.apply(args=(last.id,))
    [received] = mail_to_smtp.wait_for(1)
    body = received.get_body(preferencelist=("plain",)).get_content()
    assert received["To"] == world.manager.email
    assert "Vera Victim" not in body
    assert "Adam Adult" not in body


def test_a_replacement_that_fails_leaves_the_withdrawal_standing(world, deadline, at, mail_to_smtp, monkeypatch):
    """What replaces a withdrawn message is the domain's; should it fail (a template, a query), the
    withdrawal still stands, committed, with what it half wrote undone: not rolled back with it, leaving
    the message to be claimed and fail again at every resend for ever, with nothing on record."""
    from casework.core.registry import registry
    from casework.notifications.services import queue_email

    def broken(_message: Any) -> Any:
        queue_email(to="half@example.org", subject="Half", text="Half written", key="half-written")
        raise RuntimeError("the template broke")

    monkeypatch.setitem(registry().unsent_replacements, "deadlines", broken)
    _hidden_reminder(world, deadline)
    mail_to_smtp.stop()
    with at(2026, 4, 1, 6, 0):
        tasks.sweep.run()
        [queued] = _messages()
        _restrict_without(world, world.officer)
        db.session.commit()
        mail_to_smtp.start()
        send_email.apply(args=(queued.id,))
    [withdrawn] = _messages()
    assert withdrawn.failed_at is not None
    assert withdrawn.last_error.startswith(WITHDRAWN)
    assert "not replaced" in withdrawn.last_error
    assert mail_to_smtp.messages == []
