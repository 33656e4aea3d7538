"""Migration 0760: a closed case with no ``closed`` event on its timeline is seen closed at the upgrade,
with its ``updated_at`` as it is then (``cases.closure_seen_at``), so an edit made later does not restart
its retention grace; a case closed with its event, an open case and an anonymised case are left."""

from __future__ import annotations

from flask import Flask
from flask_migrate import upgrade

from tests.test_migration_data_review import rows, run
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app


def test_closed_cases_with_no_closed_event_are_seen_closed_at_the_upgrade(fresh_app: Flask) -> None:
    upgrade(revision="0740")
    run("INSERT INTO areas (id, code, name) VALUES (1, 'BOL', 'Bolsover')")
    run("INSERT INTO agencies (id, code, name, kind) VALUES (1, 'BDC', 'Bolsover District Council', 'council')")
    run(
        "INSERT INTO cases (id, reference, area_id, year, sequence, category, summary, lead_agency_id, status, "
        "closed_on, updated_at) VALUES "
        "(10, 'BOL-2026-0010', 1, 2026, 10, 'personal', 's', 1, 'closed', '2019-01-02', '2026-11-03 10:00:00+00'), "
        "(11, 'BOL-2026-0011', 1, 2026, 11, 'personal', 's', 1, 'closed', '2019-01-02', '2026-11-03 10:00:00+00'), "
        "(12, 'BOL-2026-0012', 1, 2026, 12, 'personal', 's', 1, 'open', NULL, '2026-11-03 10:00:00+00'), "
        "(13, 'BOL-2026-0013', 1, 2026, 13, 'personal', 's', 1, 'closed', '2019-01-02', '2026-11-03 10:00:00+00')"
    )
    run("UPDATE cases SET anonymised_at = '2026-11-04 10:00:00+00' WHERE id = 13")
    run("INSERT INTO case_events (case_id, kind, summary) VALUES (11, 'closed', 'Case closed: Resolved')")

    upgrade(revision="0760")

    seen = dict(rows("SELECT id, closure_seen_at FROM cases ORDER BY id"))
    assert str(seen[10]).startswith("2026-11-03 10:00:00")
    assert (seen[11], seen[12], seen[13]) == (None, None, None)
