"""Retention leaves nothing behind (SPEC section 7): a marker planted in every free-text and personal
field of a case and its people is found nowhere in the database once the case and the people have
reached their retention date; a report lists what was anonymised."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from tests.lifecycle.planting import CLOSING, plant, scan_database


def test_every_marker_is_somewhere_before_retention_and_nowhere_after(world, api_client, make):
    from casework.audit.models import AuditEntry
    from casework.data_protection.models import RetentionRun
    from casework.data_protection.tasks import apply_retention

    planted = plant(world, api_client, make)
    markers = list(planted.markers.values())
    before = scan_database(markers)
    # Planted where the service keeps it: every field's marker is found in its own column.
    everywhere = scan_database(list(planted.fields))
    for marker, (_owner, where) in planted.fields.items():
        assert f"{where}: {marker}" in everywhere, where
    assert any(f.startswith("audit_entries.") for f in before)
    assert any(f.startswith("outbox_emails.") for f in before)
    assert any(f.startswith("trigger_letters.") for f in before)
    assert any(f.startswith("deadlines.") for f in before)
    entries_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    with time_machine.travel(CLOSING + timedelta(days=7 * 366), tick=False):
        counts = apply_retention()
    assert counts == {"cases": 1, "people": 2}

    assert scan_database(markers) == []
    # The audit log keeps every entry (who, when, what kind), only without the values.
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) > entries_before
    run = db.session.scalars(sa.select(RetentionRun)).one()
    assert (run.counts["cases"], run.counts["people"]) == (1, 2)
    for table in (
        "incidents",
        "actions",
        "interventions",
        "trigger_applications",
        "trigger_letters",
        "audit_entries",
        "outbox_emails",
    ):
        assert run.counts.get(table, 0) > 0, table
    assert run.person_ids == sorted([planted.victim_id, planted.perpetrator_id])
