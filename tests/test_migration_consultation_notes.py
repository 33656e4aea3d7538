"""Migration 0870: what the victim said of the action plan, which the service appended to the meeting's
outcome (quoted to the applicant by the outcome letter), moves to ``victim_consultation_notes``; the
chair's outcome stays; a meeting with no consultation recorded keeps its outcome as it is; the
downgrade puts the notes back at the end of the outcome."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from casework.extensions import db
from tests.test_migration_data_review import rows, run
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app

CHAIR_AND_NOTES = "Joint plan agreed.\n\nVictim consulted on 23 October 2026: She is frightened of him."
NOTES_ONLY = "Victim consulted on 3 May 2026: By phone.\n\nVictim consulted on 5 May 2026: Agrees now."
#: A chair's outcome that happens to use the words, on a meeting where no consultation is recorded.
NOT_CONSULTED = "Plan agreed.\n\nVictim consulted on 1 May 2026: the chair's own words."


def test_the_victims_words_leave_the_outcome(fresh_app: Flask) -> None:
    upgrade(revision="0860")
    run("INSERT INTO areas (id, code, name) VALUES (1, 'BOL', 'Bolsover')")
    run("INSERT INTO agencies (id, code, name, kind) VALUES (1, 'BDC', 'Bolsover District Council', 'council')")
    run("INSERT INTO users (id, email, name, password_hash, agency_id) VALUES (1, 'chair@example.org', 'C', 'x', 1)")
    run(
        "INSERT INTO trigger_applications (id, reference, area_id, year, sequence, received_on, channel, "
        "applicant_name, applicant_role, description, status) VALUES "
        "(1, 'BOL-CT-2026-0001', 1, 2026, 1, '2026-01-05', 'phone', 'A', 'on_behalf', 'd', 'review_concluded')"
    )
    meetings = sa.text(
        "INSERT INTO trigger_meetings (id, application_id, scheduled_on, chair_id, held_on, outcome, "
        "victim_consulted_on) VALUES (:id, 1, '2026-02-10', 1, '2026-02-10', :outcome, :consulted_on)"
    )
    with db.engine.begin() as connection:
        connection.execute(
            meetings,
            [
                {"id": 1, "outcome": CHAIR_AND_NOTES, "consulted_on": date(2026, 10, 23)},
                {"id": 2, "outcome": NOTES_ONLY, "consulted_on": date(2026, 5, 5)},
                {"id": 3, "outcome": NOT_CONSULTED, "consulted_on": None},
                {"id": 4, "outcome": "Plan agreed.", "consulted_on": date(2026, 5, 5)},
            ],
        )

    upgrade(revision="0870")

    assert rows("SELECT id, outcome, victim_consultation_notes FROM trigger_meetings ORDER BY id") == [
        (1, "Joint plan agreed.", "Victim consulted on 23 October 2026: She is frightened of him."),
        (2, None, NOTES_ONLY),
        (3, NOT_CONSULTED, None),
        (4, "Plan agreed.", None),
    ]

    downgrade(revision="0860")

    assert rows("SELECT id, outcome FROM trigger_meetings ORDER BY id") == [
        (1, CHAIR_AND_NOTES),
        (2, NOTES_ONLY),
        (3, NOT_CONSULTED),
        (4, "Plan agreed."),
    ]
