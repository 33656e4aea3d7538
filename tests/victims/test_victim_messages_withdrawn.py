"""A message to a victim waiting for the mail server is sent when it comes back only if it is still
wanted: the page not ended, the address still the victim's, a next step's reminder still the step
shown (``victims.reminders.unsent_still_wanted``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casework.cases.models import Case, CaseStatus
from casework.core.time import today
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.notifications.tasks import WITHDRAWN, send_email
from casework.victims import tasks
from casework.victims.models import VictimAccess

EMAIL = "vera@example.net"


def _switch_on(client, world, email: str = EMAIL) -> VictimAccess:
    when = today() + timedelta(days=1)
    answer = client.post(
        f"/cases/{world.case.id}/victim-page/{world.victim.id}",
        data={
            "email": email,
            "contact_by": "email",
            "contact_checked": "y",
            "next_step": "We will visit you at home",
            "next_step_on-day": str(when.day),
            "next_step_on-month": str(when.month),
            "next_step_on-year": str(when.year),
        },
    )
    assert answer.status_code == 302, answer.text
    db.session.expire_all()
    return db.session.scalar(sa.select(VictimAccess).where(VictimAccess.ended_at.is_(None)))


def _waiting(prefix: str) -> OutboxEmail:
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.startswith(prefix))).one()


def _switch_off(client, world) -> None:
    assert client.post(f"/cases/{world.case.id}/victim-page/{world.victim.id}/off", data={}).status_code == 302


def _correct_the_address(client, world) -> None:
    db.session.execute(sa.update(VictimAccess).values(email="vera.corrected@example.net"))
    db.session.commit()


def _close_the_case(client, world) -> None:
    db.session.execute(sa.update(Case).where(Case.id == world.case.id).values(status=CaseStatus.closed))
    db.session.commit()


def _nothing(client, world) -> None:
    pass


@pytest.mark.parametrize(
    ("change", "withdrawn"),
    [(_switch_off, True), (_correct_the_address, True), (_close_the_case, True), (_nothing, False)],
    ids=["page switched off", "address corrected", "case closed", "still wanted"],
)
def test_a_next_step_reminder_waiting_for_the_server(page_client, world, mail_to_smtp, change, withdrawn):
    client = page_client(world.officer)
    mail_to_smtp.stop()
    _switch_on(client, world)
    assert tasks.remind_next_steps.run() == 1
    waiting = _waiting("victim-next-step:")
    assert waiting.sent_at is None
    change(client, world)
    mail_to_smtp.start()
    send_email.apply(args=(waiting.id,))
    db.session.expire_all()
    message = db.session.get(OutboxEmail, waiting.id)
    if withdrawn:
        assert mail_to_smtp.messages == []
        assert (message.sent_at, message.last_error.startswith(WITHDRAWN)) == (None, True)
    else:
        assert [m["To"] for m in mail_to_smtp.wait_for(1)] == [EMAIL]


def test_a_welcome_waiting_for_the_server_is_not_sent_once_the_page_is_off(page_client, world, mail_to_smtp):
    client = page_client(world.officer)
    mail_to_smtp.stop()
    _switch_on(client, world)
    waiting = _waiting("victim-welcome:")
    _switch_off(client, world)
    mail_to_smtp.start()
    send_email.apply(args=(waiting.id,))
    assert mail_to_smtp.messages == []
