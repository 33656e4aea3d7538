"""Two sweeps at the same moment against a committed database queue each reminder and escalation once.

PostgreSQL: the claims use ``FOR UPDATE SKIP LOCKED``; SQLite: the claiming UPDATE takes the write lock
and re-checks ``reminder_sent_at`` under it. Small batches make the two sweeps interleave.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from tests.notifications.committed import committed_app, committed_database

REMINDERS = 120
ESCALATIONS = 40


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_overlapping_sweeps_queue_each_email_once(backend, tmp_path, request, monkeypatch):
    from casework.accounts.models import Agency, AgencyKind, Area, User
    from casework.notifications.models import OutboxEmail
    from casework.reminders import services, tasks
    from casework.reminders.models import Deadline

    postgresql_url = request.getfixturevalue("postgresql_url") if backend == "postgresql" else None
    monkeypatch.setattr(tasks, "SWEEP_BATCH", 7)
    moment = datetime(2026, 4, 8, 9, 0, tzinfo=UTC)
    with committed_database(backend, tmp_path, postgresql_url) as url, committed_app(url, tmp_path) as app:
        with app.app_context():
            area = Area(code="OVL", name="Overlap")
            agency = Agency(code="OVL", name="Overlap council", kind=AgencyKind.council, areas=[area])
            manager = User(email="m@example.org", name="Manager", password_hash="x", agency=agency)
            manager.roles = ["manager"]
            owner = User(email="o@example.org", name="Owner", password_hash="x", agency=agency, manager=manager)
            owner.roles = ["officer"]
            db.session.add_all([area, agency, manager, owner])
            db.session.flush()
            for n in range(REMINDERS):  # due tomorrow: reminder due, not overdue
                services.set_deadline(
                    subject_type="things",
                    subject_id=n,
                    kind="k",
                    title=f"Thing {n}",
                    due=date(2026, 4, 9),
                    owner_id=owner.id,
                    case_id=None,
                    link=f"/things/{n}",
                )
            for n in range(ESCALATIONS):  # due last week: reminder and escalation both due
                services.set_deadline(
                    subject_type="late",
                    subject_id=n,
                    kind="k",
                    title=f"Late {n}",
                    due=moment.date() - timedelta(days=7),
                    owner_id=owner.id,
                    case_id=None,
                )
            db.session.commit()

        start = threading.Barrier(2, timeout=30)
        results: list[dict[str, int]] = []
        errors: list[BaseException] = []

        def run_sweep() -> None:
            try:
                with app.app_context():
                    start.wait()
                    results.append(tasks.sweep.run())
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=run_sweep) for _ in range(2)]
        with time_machine.travel(moment, tick=False):  # process-wide: entered once, not per thread
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a sweep did not finish"
        assert errors == []

        total = {key: sum(r[key] for r in results) for key in results[0]}
        assert total == {
            "reminded": REMINDERS + ESCALATIONS,
            "reminders_queued": REMINDERS + ESCALATIONS,
            "escalated": ESCALATIONS,
            "escalations_queued": ESCALATIONS,
        }
        with app.app_context():
            keys = db.session.scalars(sa.select(OutboxEmail.idempotency_key)).all()
            assert len(keys) == len(set(keys)) == REMINDERS + 2 * ESCALATIONS
            unclaimed = db.session.scalar(sa.select(sa.func.count()).where(Deadline.reminder_sent_at.is_(None)))
            assert unclaimed == 0
