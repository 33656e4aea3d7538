"""The notice of a new application to an agency's coordinators and managers (s.104(3)) names the
application. Queued while the mail server is down, it goes only to someone who may still see the
application when it is sent: one moved since to an agency not covering the area, or whose role that sees
applications was taken away (a chair only now), is sent nothing (``application.unsent_notice_still_readable``); a closed
account is the outbox's own check (``tests/notifications/test_staff_recipient_gone.py``). The
applicant's confirmation goes whatever happens to staff."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.extensions import db
from casework.notifications import tasks
from casework.notifications.models import OutboxEmail
from tests.community_triggers.conftest import TODAY

CHANGES = {
    "moved to an agency not covering the area": lambda ct: {"agency": ct.other_council},
    "left only the chair role": lambda _ct: {"roles": ["chair"]},
    "nothing": None,
}


@pytest.mark.parametrize("change", list(CHANGES.values()), ids=list(CHANGES))
def test_a_notice_of_an_application_goes_only_to_someone_who_may_still_see_it(ct, monkeypatch, change):
    def refuse(_row: OutboxEmail) -> None:
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(tasks, "_deliver", refuse)
    application = ct.register(received_on=TODAY.isoformat())  # received today: the agencies are emailed
    key = f"trigger:{application.id}:received:{ct.manager.id}"
    notice = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key)).one()
    if change is not None:
        accounts.update_user(ct.admin, ct.manager, **change(ct))
    db.session.commit()
    monkeypatch.undo()
    tasks.send_email.apply(args=(notice.id,))
    db.session.expire_all()
    notice = db.session.get(OutboxEmail, notice.id)
    if change is None:
        assert notice.sent_at is not None, notice.last_error
    else:
        assert notice.sent_at is None
        assert notice.last_error == f"{tasks.WITHDRAWN}: its application is withheld from its recipient now"
