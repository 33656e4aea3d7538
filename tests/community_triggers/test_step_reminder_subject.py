"""A Case Review step's reminder names its application by reference in the subject, never its title
(a subject shows on a lock screen: tests/reminders/test_subject_lines.py)."""

from __future__ import annotations

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import tasks


def test_a_case_review_steps_reminder_names_its_application(ct) -> None:
    application = ct.register()
    with time_machine.travel("2026-06-01T06:00:00+00:00", tick=False):  # every step overdue
        tasks.sweep.run()
    emails = list(
        db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.like("reminder:%")).order_by(OutboxEmail.id)
        )
    )
    assert emails
    for email in emails:
        assert email.subject.endswith(f"Case Review deadline: {application.reference}"), email.subject
        assert "Jane Smith" not in email.subject
