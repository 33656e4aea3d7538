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


def test_home_pages_no_longer_list_an_anonymised_case_review(world, api_client, page_client, make):
    """The coordinator's open applications and the chair's meetings leave out an application that was
    anonymised at whatever stage it stood: nothing can be done on it any more."""
    from casework.accounts.models import User
    from casework.community_triggers.models import ReviewMeeting, TriggerApplication
    from casework.data_protection.tasks import apply_retention

    planted = plant(world, api_client, make)
    application = db.session.get(TriggerApplication, planted.application_id)
    reference = application.reference
    chair = db.session.scalar(sa.select(User).where(User.email == "ivy@example.org"))
    # A second meeting arranged and never held: the chair's panel lists it while it is to be held.
    db.session.add(ReviewMeeting(application_id=application.id, scheduled_on=CLOSING.date(), chair_id=chair.id))
    db.session.commit()
    with time_machine.travel(CLOSING, tick=False):
        response = api_client(world.officer).post(f"/api/v1/cases/{world.case.id}/close", json={"reason": "Done"})
        assert response.status_code == 200, response.get_json()
    db.session.commit()
    assert reference in page_client(world.coordinator).get("/").get_data(as_text=True)
    assert reference in page_client(chair).get("/").get_data(as_text=True)

    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        apply_retention()
        db.session.expire_all()
        assert db.session.get(TriggerApplication, planted.application_id).anonymised_at is not None
        assert reference not in page_client(world.coordinator).get("/").get_data(as_text=True)
        assert reference not in page_client(chair).get("/").get_data(as_text=True)
