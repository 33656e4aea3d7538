"""Work on what retention anonymised stops: an anonymised case, Case Review application, action or
intervention can no longer be changed, so a deadline of theirs left open could never be done, and the
reminders, the escalations, the managers' digest, the calendar feeds and the home pages would list it
as overdue for ever, under its erased title."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from tests.lifecycle.planting import CLOSING, plant

ERASED_TITLE = "(details removed under the retention policy)"


def test_no_deadline_of_an_anonymised_record_stays_open_or_is_reminded(world, api_client, make):
    from casework.data_protection.tasks import apply_retention
    from casework.notifications.models import OutboxEmail
    from casework.reminders.models import Deadline, DeadlineStatus
    from casework.reminders.tasks import digest, sweep

    planted = plant(world, api_client, make)
    with time_machine.travel(CLOSING, tick=False):
        response = api_client(world.officer).post(f"/api/v1/cases/{world.case.id}/close", json={"reason": "Done"})
        assert response.status_code == 200, response.get_json()
    db.session.commit()
    # Work still open on the closed cases and their Case Review: statutory deadlines handed over at
    # the closure, the application's own steps.
    still_open = set(db.session.scalars(sa.select(Deadline.id).where(Deadline.status == DeadlineStatus.open)))
    assert still_open
    sent_before = db.session.scalar(sa.select(sa.func.max(OutboxEmail.id))) or 0

    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        apply_retention()
        db.session.expire_all()
        erased = db.session.execute(
            sa.select(Deadline.id, Deadline.status).where(Deadline.title.endswith(ERASED_TITLE))
        ).all()
        assert {deadline_id for deadline_id, _status in erased} & still_open, planted.case_id
        assert [deadline_id for deadline_id, status in erased if status == DeadlineStatus.open] == []
        sweep()
        digest()
    db.session.expire_all()
    sent = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.id > sent_before)).all()
    assert not [email.subject for email in sent if ERASED_TITLE in email.body_text]
