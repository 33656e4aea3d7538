"""The data steps of the Case Review corrections' migrations (0270-0272, 0630), on both backends: rows
written under the old rules are brought in line with the new ones."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from casework.extensions import db
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app


def run(sql: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.text(sql))


def rows(sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


def two_bolsover_cases() -> None:
    """An area, its council, and the council's cases 10 (BOL-2026-0010) and 11 (BOL-2026-0011)."""
    run("INSERT INTO areas (id, code, name) VALUES (1, 'BOL', 'Bolsover')")
    run("INSERT INTO agencies (id, code, name, kind) VALUES (1, 'BDC', 'Bolsover District Council', 'council')")
    run(
        "INSERT INTO cases (id, reference, area_id, year, sequence, category, summary, lead_agency_id, status) VALUES "
        "(10, 'BOL-2026-0010', 1, 2026, 10, 'personal', 's', 1, 'open'), "
        "(11, 'BOL-2026-0011', 1, 2026, 11, 'personal', 's', 1, 'open')"
    )


def deadline_rows(found: list[tuple[int, str, int, str]]) -> None:
    """Open deadlines ``(id, subject_type, subject_id, kind)``, all due in January 2026."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO deadlines (id, subject_type, subject_id, kind, title, due_on, due_at, remind_at, status) "
                "VALUES (:id, :subject_type, :subject_id, :kind, 't', '2026-01-19', '2026-01-19 23:00:00+00', "
                "'2026-01-15 07:00:00+00', 'open')"
            ),
            [{"id": i, "subject_type": t, "subject_id": s, "kind": k} for i, t, s, k in found],
        )


def test_second_report_tasks_become_one_per_person_and_window(fresh_app: Flask) -> None:
    upgrade(revision="0040")
    run("INSERT INTO areas (id, code, name) VALUES (1, 'BOL', 'Bolsover')")
    run("INSERT INTO agencies (id, code, name, kind) VALUES (1, 'BDC', 'Bolsover District Council', 'council')")
    run(
        "INSERT INTO people (id, kind, name, normalised_name) VALUES "
        "(5, 'individual', 'A', 'a'), (6, 'individual', 'B', 'b')"
    )
    run(
        "INSERT INTO cases (id, reference, area_id, year, sequence, category, summary, lead_agency_id, status) VALUES "
        "(10, 'BOL-2026-0010', 1, 2026, 10, 'personal', 's', 1, 'open'), "
        "(11, 'BOL-2026-0011', 1, 2026, 11, 'personal', 's', 1, 'open'), "
        "(12, 'BOL-2026-0012', 1, 2026, 12, 'personal', 's', 1, 'open')"
    )
    # One window of person 5 raised on three cases (the second one explained); person 6's own window.
    run(
        "INSERT INTO case_review_explanations "
        "(id, case_id, person_id, first_report_on, second_report_on, due_on, explained_on) VALUES "
        "(1, 10, 5, '2026-01-01', '2026-02-01', '2026-02-08', NULL), "
        "(2, 11, 5, '2026-01-01', '2026-02-03', '2026-02-10', '2026-02-05'), "
        "(3, 12, 5, '2026-01-01', '2026-02-04', '2026-02-10', NULL), "
        "(4, 10, 6, '2026-01-01', '2026-02-01', '2026-02-08', NULL)"
    )
    deadline_rows(
        [
            (1, "case_review_explanations", 1, "case.explain_case_review"),
            (2, "case_review_explanations", 3, "case.explain_case_review"),
            (3, "case_review_explanations", 4, "case.explain_case_review"),
        ]
    )
    upgrade()
    # The explained task is the one kept; the open deadlines of those removed are cancelled.
    assert rows("SELECT id, person_id FROM case_review_explanations ORDER BY id") == [(2, 5), (4, 6)]
    assert rows("SELECT subject_id, status FROM deadlines ORDER BY id") == [
        (1, "cancelled"),
        (3, "cancelled"),
        (4, "open"),
    ]


def test_ended_stages_close_and_reviews_already_sent_count_as_complete(fresh_app: Flask) -> None:
    upgrade(revision="0270")
    run("INSERT INTO areas (id, code, name) VALUES (1, 'BOL', 'Bolsover')")
    run("INSERT INTO agencies (id, code, name, kind) VALUES (1, 'BDC', 'Bolsover District Council', 'council')")
    run("INSERT INTO users (id, email, name, password_hash, agency_id) VALUES (1, 'chair@example.org', 'C', 'x', 1)")
    # Application 1: decided without an acknowledgement, its meeting held and the letter sent, the
    # council's information never sent. Application 2: still undecided, nothing has ended.
    run(
        "INSERT INTO trigger_applications (id, reference, area_id, year, sequence, received_on, channel, "
        "applicant_name, applicant_role, description, status) VALUES "
        "(1, 'BOL-CT-2026-0001', 1, 2026, 1, '2026-01-05', 'phone', 'A', 'victim', 'd', 'review_concluded'), "
        "(2, 'BOL-CT-2026-0002', 1, 2026, 2, '2026-01-06', 'phone', 'B', 'victim', 'd', 'received')"
    )
    run("INSERT INTO trigger_decisions (id, application_id, met, decided_on) VALUES (1, 1, TRUE, '2026-01-20')")
    run(
        "INSERT INTO trigger_meetings (id, application_id, scheduled_on, chair_id, held_on, outcome_letter_sent_on) "
        "VALUES (1, 1, '2026-02-10', 1, '2026-02-10', '2026-02-12')"
    )
    run(
        "INSERT INTO trigger_information_requests (id, application_id, agency_id, requested_on, due_on) VALUES "
        "(1, 1, 1, '2026-01-06', '2026-01-19'), (2, 2, 1, '2026-01-07', '2026-01-20')"
    )
    deadline_rows(
        [
            (1, "trigger_applications", 1, "trigger.acknowledge"),
            (2, "trigger_applications", 1, "trigger.information_requests"),
            (3, "trigger_information_requests", 1, "trigger.information_request"),
            (4, "trigger_applications", 2, "trigger.acknowledge"),
            (5, "trigger_applications", 2, "trigger.information_requests"),
            (6, "trigger_information_requests", 2, "trigger.information_request"),
        ]
    )
    upgrade()
    assert rows("SELECT id, status FROM deadlines ORDER BY id") == [
        (1, "cancelled"),
        (2, "cancelled"),
        (3, "cancelled"),
        (4, "open"),
        (5, "open"),
        (6, "open"),
    ]
    # On SQLite, 0272 copies trigger_applications to add a checked column: the meeting must survive
    # the old table being dropped (foreign keys are off while migrations run, migrations/env.py).
    [(confirmed,)] = rows("SELECT completeness_confirmed_on FROM trigger_meetings")
    assert str(confirmed) == "2026-02-12"
    assert rows("SELECT COUNT(*) FROM trigger_decisions") == [(1,)]


def test_applications_keep_their_names_normalised_as_people_s_are(fresh_app: Flask) -> None:
    """0630: the names of applications made before it are normalised by ``normalise_name``."""
    from casework.cases.services.fields import normalise_name

    upgrade(revision="0600")
    run("INSERT INTO areas (id, code, name) VALUES (1, 'BOL', 'Bolsover')")
    run(
        "INSERT INTO trigger_applications (id, reference, area_id, year, sequence, received_on, channel, "
        "applicant_name, victim_name, applicant_role, description, status) VALUES "
        "(1, 'BOL-CT-2026-0001', 1, 2026, 1, '2026-01-05', 'phone', 'Ann  Smith', NULL, 'victim', 'd', 'received'), "
        "(2, 'BOL-CT-2026-0002', 1, 2026, 2, '2026-01-06', 'phone', ' Sam Support ', 'ÉLODIE  Martin', "
        "'on_behalf', 'd', 'received')"
    )
    upgrade()
    assert rows(
        "SELECT id, applicant_normalised_name, victim_normalised_name FROM trigger_applications ORDER BY id"
    ) == [(1, "ann smith", None), (2, "sam support", "élodie martin")]
    assert normalise_name("ÉLODIE  Martin") == "élodie martin"
