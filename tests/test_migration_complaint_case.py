"""Migration 0520 copies each complaint's case (its incident's) beside it, on both backends, and SQLite's
copy of the table (to make the column NOT NULL) keeps what refers to the complaints."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.test_migration_data_review import rows, run, two_bolsover_cases
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app


def test_each_complaint_takes_its_incidents_case(fresh_app: Flask) -> None:
    upgrade(revision="0511")
    two_bolsover_cases()
    run(
        "INSERT INTO incidents (id, case_id, occurred_on, description) VALUES "
        "(20, 10, '2026-01-10', 'd'), (21, 11, '2026-01-11', 'd'), (22, 11, '2026-01-12', 'd')"
    )
    run(
        "INSERT INTO complaints (id, incident_id, reported_on, agency_id, reference) VALUES "
        "(30, 20, '2026-01-10', 1, 'DP-1'), (31, 21, '2026-01-11', 1, 'DP-2'), "
        "(32, 22, '2026-01-12', 1, NULL), (33, 22, '2026-01-12', 1, 'ASB-3')"
    )
    run(
        "INSERT INTO queued_police_reports (id, agency_id, police_agency_id, occurred_at, police_reference, "
        "status, complaint_id) VALUES (40, 1, 1, '2026-01-11 10:00:00+00', 'DP-2', 'added', 31)"
    )
    upgrade(revision="0520")
    assert rows("SELECT id, case_id FROM complaints ORDER BY id") == [(30, 10), (31, 11), (32, 11), (33, 11)]
    assert rows("SELECT complaint_id FROM queued_police_reports") == [(31,)]
    downgrade(revision="0511")
    assert rows("SELECT id, incident_id FROM complaints ORDER BY id") == [(30, 20), (31, 21), (32, 22), (33, 22)]
    assert rows("SELECT complaint_id FROM queued_police_reports") == [(31,)]
