"""A call from a police incident log that never reached a case (dismissed as not about a case of ours,
or never matched) holds a caller's name, date of birth, phone, email and what was said: it has a
retention date of its own, the importing agency's case period after it was dismissed (or, never
matched, after the call), and then leaves nothing anywhere (``scan_database``: every column of every
table). A call dismissed more recently is kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from tests.lifecycle.planting import new_marker, scan_database

CALLED = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _call(world: Any, marker: str, born: date) -> int:
    from casework.cases.models import QueuedPoliceReport

    row = QueuedPoliceReport(
        agency_id=world.council.id,
        police_agency_id=world.police.id,
        occurred_at=CALLED - timedelta(days=1),
        police_reference=f"LOG-{marker}",
        location=f"Park {marker}",
        category="ASB - nuisance",
        caller_name=f"Zebedee {marker}",
        caller_date_of_birth=born,
        caller_phone="07700 900444",
        caller_email=f"{marker.lower()}@example.org",
        reason=f"Two people called {marker}",
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def test_calls_that_never_reached_a_case_are_anonymised_after_the_case_period(world):
    from casework.accounts.models import User
    from casework.cases import police_reports
    from casework.cases.models import PoliceReportStatus, QueuedPoliceReport
    from casework.data_protection.tasks import apply_retention

    dismissed, waiting, recent = new_marker("dis"), new_marker("wai"), new_marker("rec")
    officer = db.session.get(User, world.officer.id)
    with time_machine.travel(CALLED, tick=False):
        dismissed_id = _call(world, dismissed, date(1931, 7, 19))
        police_reports.dismiss(
            officer, db.session.get(QueuedPoliceReport, dismissed_id), reason=f"Not ours: {dismissed}"
        )
        db.session.commit()
        waiting_id = _call(world, waiting, date(1932, 8, 20))
    with time_machine.travel(CALLED + timedelta(days=5 * 366), tick=False):
        recent_id = _call(world, recent, date(1933, 9, 21))
        police_reports.dismiss(officer, db.session.get(QueuedPoliceReport, recent_id), reason=f"Not ours: {recent}")
        db.session.commit()
    gone = [dismissed, waiting, "1931-07-19", "1932-08-20"]
    assert {found.split(":")[0] for found in scan_database(gone)} >= {
        "queued_police_reports.caller_name",
        "queued_police_reports.caller_date_of_birth",
        "audit_values.changes",
    }

    with time_machine.travel(CALLED + timedelta(days=6 * 366), tick=False):
        apply_retention()
        db.session.commit()
    db.session.expire_all()
    assert scan_database(gone) == []
    # Out of the officers' queue, counted as dismissed.
    statuses = dict(db.session.execute(sa.select(QueuedPoliceReport.id, QueuedPoliceReport.status)).tuples().all())
    assert statuses[waiting_id] is PoliceReportStatus.dismissed
    # Dismissed five years ago: kept until its own date.
    assert db.session.get(QueuedPoliceReport, recent_id).caller_name == f"Zebedee {recent}"
    assert scan_database(["1933-09-21"]) == ["queued_police_reports.caller_date_of_birth: 1933-09-21"]
