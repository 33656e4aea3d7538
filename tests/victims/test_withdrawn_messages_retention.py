"""A message withdrawn before sending (its victim page ended while it waited for the mail server) is
never sent, and the outbox is a queue, not a record: its copy, with the victim's address and what it
said, is erased as a sent message's is, ``KEEP_SENT_EMAIL`` after it was given up."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from casework.core.time import now
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.notifications.receivers import KEEP_SENT_EMAIL
from casework.notifications.services import REMOVED_EMAIL
from casework.notifications.tasks import WITHDRAWN, send_email
from tests.victims.test_victim_messages_withdrawn import EMAIL, _switch_off, _switch_on, _waiting


def test_a_withdrawn_message_is_erased_as_a_sent_one_is(page_client, world, mail_to_smtp):
    from casework.data_protection.tasks import apply_retention

    client = page_client(world.officer)
    mail_to_smtp.stop()
    _switch_on(client, world)
    waiting = _waiting("victim-welcome:")
    _switch_off(client, world)
    mail_to_smtp.start()
    send_email.apply(args=(waiting.id,))
    db.session.expire_all()
    withdrawn = db.session.get(OutboxEmail, waiting.id)
    assert (withdrawn.sent_at, withdrawn.last_error.startswith(WITHDRAWN)) == (None, True)
    assert withdrawn.to_address == EMAIL

    # Kept as long as a sent copy would be, then erased by the retention run.
    with time_machine.travel(now() + KEEP_SENT_EMAIL - timedelta(days=1), tick=False):
        apply_retention()
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(OutboxEmail, waiting.id).to_address == EMAIL
    with time_machine.travel(now() + KEEP_SENT_EMAIL + timedelta(days=1), tick=False):
        apply_retention()
        db.session.commit()
    db.session.expire_all()
    erased = db.session.get(OutboxEmail, waiting.id)
    assert (erased.to_address, erased.subject, erased.body_text, erased.body_html) == (
        "removed",
        REMOVED_EMAIL,
        REMOVED_EMAIL,
        None,
    )
    assert erased.sent_at is None
