"""Reminders and escalations due across a change of the clocks or over the Christmas bank holidays
are each sent once, on the right day: the sweep (every few minutes) run in-process with the clock set
every hour through the half days either side of each.

Reminders are at 07:00 London on the day two working days before the deadline (06:00 UTC in summer,
07:00 UTC in winter); a day's deadline is overdue at midnight London at the end of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import tasks
from casework.reminders.models import Deadline

#: due day: (the reminder, the escalation), in UTC.
EXPECTED = {
    # The Wednesday after the clocks go forward (Sun 29 March 2026): reminded Monday 07:00 BST.
    date(2026, 4, 1): (datetime(2026, 3, 30, 6, tzinfo=UTC), datetime(2026, 4, 1, 23, tzinfo=UTC)),
    # Due on the night itself: reminded Thursday 07:00 GMT; its day is 23 hours long.
    date(2026, 3, 29): (datetime(2026, 3, 26, 7, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC)),
    # The Tuesday after the clocks go back (Sun 25 October 2026): reminded Friday 07:00 BST, overdue at
    # midnight GMT.
    date(2026, 10, 27): (datetime(2026, 10, 23, 6, tzinfo=UTC), datetime(2026, 10, 28, 0, tzinfo=UTC)),
    # Due on the night the clocks go back: a 25-hour day.
    date(2026, 10, 25): (datetime(2026, 10, 22, 6, tzinfo=UTC), datetime(2026, 10, 26, 0, tzinfo=UTC)),
    # Over Christmas 2026 (Fri 25, Mon 28 substitute): two working days before Tue 29 is Wed 23.
    date(2026, 12, 29): (datetime(2026, 12, 23, 7, tzinfo=UTC), datetime(2026, 12, 30, 0, tzinfo=UTC)),
    # Due on the Boxing Day substitute itself.
    date(2026, 12, 28): (datetime(2026, 12, 23, 7, tzinfo=UTC), datetime(2026, 12, 29, 0, tzinfo=UTC)),
    # 2027: the clocks go forward on Sunday 28 March, Good Friday is 26 March, Easter Monday 29 March.
    date(2027, 3, 31): (datetime(2027, 3, 25, 7, tzinfo=UTC), datetime(2027, 3, 31, 23, tzinfo=UTC)),
    # 2027: the clocks go back on Sunday 31 October.
    date(2027, 11, 2): (datetime(2027, 10, 29, 6, tzinfo=UTC), datetime(2027, 11, 3, 0, tzinfo=UTC)),
    # Christmas 2027: Mon 27 and Tue 28 are substitutes; two working days before Wed 29 is Thu 23.
    date(2027, 12, 29): (datetime(2027, 12, 23, 7, tzinfo=UTC), datetime(2027, 12, 30, 0, tzinfo=UTC)),
}


def _sweep_moments() -> list[datetime]:
    """Every hour from 12 hours before each reminder and each escalation to 12 hours after, once each
    (a reminder a day or an hour out is missing from its window or sent at the wrong hour)."""
    moments: set[datetime] = set()
    for reminder, escalation in EXPECTED.values():
        for expected in (reminder, escalation):
            moments.update(expected + timedelta(hours=hours) for hours in range(-12, 13))
    return sorted(moments)


def test_each_reminder_and_escalation_goes_once_on_its_day(make, deadline, at):
    manager = make.user("manager")
    owner = make.user("officer")
    owner.manager_id = manager.id
    db.session.commit()
    rows = {due: deadline(owner, due, title=f"Due {due}").id for due in EXPECTED}
    sent: dict[int, list[tuple[str, datetime]]] = {row_id: [] for row_id in rows.values()}
    seen: set[int] = set()
    for moment in _sweep_moments():
        with at(*moment.timetuple()[:5]):
            tasks.sweep.run()
        db.session.expire_all()
        for email in db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.id.notin_(seen or {0}))):
            seen.add(email.id)
            kind, _, rest = email.idempotency_key.partition(":")
            if kind in ("reminder", "escalation"):
                sent[int(rest.partition(":")[0])].append((kind, moment))
    wrong = []
    for due, row_id in rows.items():
        reminder, escalation = EXPECTED[due]
        row = db.session.get(Deadline, row_id)
        expected = [("reminder", reminder), ("escalation", escalation)]
        if sent[row_id] != expected or (row.reminder_sent_at, row.escalation_sent_at) != (reminder, escalation):
            wrong.append(f"due {due}: sent {sent[row_id]}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_the_digest_goes_once_on_each_london_day_across_the_clock_changes(make, deadline, at):
    from casework.reminders.services import digest_key

    manager = make.user("manager")
    owner = make.user("officer")
    owner.manager_id = manager.id
    db.session.commit()
    for due in EXPECTED:
        deadline(owner, due, title=f"Due {due}")
    # Beat runs it at 07:00 London, and again after a restart; 00:30 BST is already the next day.
    runs = {
        date(2026, 3, 29): [(2026, 3, 29, 6, 0), (2026, 3, 29, 7, 0), (2026, 3, 28, 23, 59)],
        date(2026, 10, 25): [(2026, 10, 24, 23, 30), (2026, 10, 25, 7, 0), (2026, 10, 25, 23, 59)],
    }
    for day, moments in runs.items():
        for moment in moments:
            with at(*moment):
                tasks.digest.run()
        db.session.expire_all()
        keys = db.session.scalars(
            sa.select(OutboxEmail.idempotency_key).where(OutboxEmail.idempotency_key == digest_key(manager, day))
        ).all()
        assert len(keys) == 1, (day, keys)
