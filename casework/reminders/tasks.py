"""The reminder sweep (every five minutes) and the managers' daily digest (07:00 London)."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit
from casework.core.time import now
from casework.extensions import db
from casework.reminders import services

#: Rows claimed per transaction: small enough to keep locks short, large enough to keep up.
SWEEP_BATCH = 500


@shared_task(name="reminders.sweep")
def sweep() -> dict[str, int]:
    """Remind owners of what is coming and escalate what is overdue, each exactly once.

    Each batch is claimed and its emails queued in one transaction (see ``services._claim``); the
    emails are handed to ``notifications.send_email`` only after that commit.
    """
    moment = now()
    counts = {"reminded": 0, "reminders_queued": 0, "escalated": 0, "escalations_queued": 0}
    for claim, queue, claimed_key, queued_key in (
        (services.claim_due_reminders, services.queue_reminders, "reminded", "reminders_queued"),
        (services.claim_due_escalations, services.queue_escalations, "escalated", "escalations_queued"),
    ):
        while True:
            db.session.rollback()  # the claim must start its own transaction (SQLite write lock)
            rows = claim(moment, SWEEP_BATCH)
            if not rows:
                break
            counts[queued_key] += queue(rows, moment)
            counts[claimed_key] += len(rows)
            commit()
            if len(rows) < SWEEP_BATCH:
                break
    db.session.rollback()
    return counts


@shared_task(name="reminders.digest")
def digest() -> int:
    """One digest per recipient per day: the idempotency key ``digest:<user>:<day>`` makes a second
    run on the same day (beat restarted, task redelivered) send nothing more."""
    moment = now()
    queued = 0
    for user_id in [u.id for u in services.digest_recipients()]:
        from casework.accounts.models import User

        user = db.session.get(User, user_id)
        if user is not None and services.queue_digest(user, moment):
            queued += 1
        commit()
    return queued


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
# The worker and beat run with timezone Europe/London, so this is 07:00 London time all year.
BEAT = {
    "reminders.sweep": 300.0,
    "reminders.digest": crontab(hour=7, minute=0),
}
