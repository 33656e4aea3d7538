"""Migration 0600 gives each victim page the agency it covers (``victim_accesses.agency_id``): the
agency of the officer, coordinator or manager who switched it on. A page a partner switched on (who
sees only the cases shared with their agency) has no such agency: it ends, with its unused sign-ins."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.test_migration_data_review import rows, run, two_bolsover_cases
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app


def test_a_page_keeps_its_officers_agency_and_a_partners_page_ends(fresh_app: Flask) -> None:
    upgrade(revision="0550")
    two_bolsover_cases()
    run("INSERT INTO agencies (id, code, name, kind) VALUES (2, 'POL', 'Police', 'police')")
    run(
        "INSERT INTO users (id, email, name, password_hash, agency_id) VALUES "
        "(1, 'officer@example.org', 'O', 'x', 1), (2, 'partner@example.org', 'P', 'x', 2)"
    )
    run("INSERT INTO user_roles (user_id, role) VALUES (1, 'officer'), (2, 'partner')")
    run(
        "INSERT INTO people (id, kind, name, normalised_name) VALUES "
        "(1, 'individual', 'Vera', 'vera'), (2, 'individual', 'Val', 'val')"
    )
    run(
        "INSERT INTO victim_accesses (id, person_id, email, contact_checked_on, switched_on_by_id, contact_by, "
        "sign_outs) VALUES (1, 1, 'vera@example.net', '2026-11-01', 1, 'email', 0), "
        "(2, 2, 'pat@police.example', '2026-11-01', 2, 'email', 0)"
    )
    run(
        "INSERT INTO victim_sign_ins (id, access_id, kind, secret_digest, expires_at, failed_attempts) VALUES "
        "(1, 1, 'link', 'a', '2099-01-01 00:00:00+00', 0), (2, 2, 'link', 'b', '2099-01-01 00:00:00+00', 0)"
    )
    upgrade(revision="0600")
    assert rows("SELECT id, agency_id, ended_at IS NULL FROM victim_accesses ORDER BY id") == [
        (1, 1, True),
        (2, None, False),
    ]
    assert rows("SELECT id, used_at IS NULL FROM victim_sign_ins ORDER BY id") == [(1, True), (2, False)]
    downgrade(revision="0550")
    assert rows("SELECT id FROM victim_accesses ORDER BY id") == [(1,), (2,)]
