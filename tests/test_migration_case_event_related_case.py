"""Migration 0530 names the other case of an existing link's events by id and takes its reference out
of their summary (the timeline named it to readers who could not see it), on both backends; the
downgrade writes the references back."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.test_migration_data_review import rows, run, two_bolsover_cases
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app


def test_a_links_events_name_the_other_case_by_id_not_by_reference(fresh_app: Flask) -> None:
    upgrade(revision="0520")
    two_bolsover_cases()
    run(
        "INSERT INTO case_events (id, case_id, kind, summary) VALUES "
        "(1, 10, 'linked', 'Linked to BOL-2026-0011'), (2, 11, 'linked', 'Linked to BOL-2026-0010'), "
        # A case no longer held: its reference goes, with nothing to name it by.
        "(3, 10, 'linked', 'Linked to BOL-2025-0099'), "
        "(4, 10, 'linked', 'Linked (details removed under the retention policy)'), "
        "(5, 10, 'opened', 'Case opened by Ann Officer')"
    )
    upgrade(revision="0530")
    assert rows("SELECT id, related_case_id, summary FROM case_events ORDER BY id") == [
        (1, 11, "Linked to another case"),
        (2, 10, "Linked to another case"),
        (3, None, "Linked to another case"),
        (4, None, "Linked (details removed under the retention policy)"),
        (5, None, "Case opened by Ann Officer"),
    ]
    downgrade(revision="0520")
    assert rows("SELECT id, summary FROM case_events ORDER BY id") == [
        (1, "Linked to BOL-2026-0011"),
        (2, "Linked to BOL-2026-0010"),
        (3, "Linked to another case"),
        (4, "Linked (details removed under the retention policy)"),
        (5, "Case opened by Ann Officer"),
    ]
