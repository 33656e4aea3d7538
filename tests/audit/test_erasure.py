"""Erasing and moving personal values: retention erases the values of a subject's audit
entries through the one function allowed to, keeping who, when and what kind; a merge moves them to
another subject. The chain still verifies afterwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from casework.audit import services
from casework.audit.models import ERASED_SUMMARY, AuditAction, AuditEntry, audit_values
from casework.audit.services import (
    erase_personal_values,
    erase_personal_values_of,
    move_personal_values,
    record,
    record_change,
    record_view,
    seal_pending,
    verify_chain,
)


@pytest.fixture
def admin(make):
    return make.user("admin", email="admin@example.org", name="Ada Admin")


def entries_about(db_session, object_type, object_id):
    db_session.expire_all()
    return db_session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)
    ).all()


def test_erasure_keeps_who_when_and_what_kind_and_the_chain_verifies(db_session, make):
    officer = make.user("officer")
    record_change(officer, ("people", 5), None, {"name": "Vera Victim", "address": "1 Elm Street"}, "Added Vera Victim")
    record_view(officer, ("people", 5), "Viewed Vera Victim")
    other = record_change(officer, ("people", 6), None, {"name": "Pat Perpetrator"}, "Added Pat Perpetrator")
    db_session.flush()
    seal_pending()
    db_session.commit()
    before = [(e.id, e.actor_id, e.created_at, e.action, e.values_hash) for e in entries_about(db_session, "people", 5)]

    assert erase_personal_values("people", 5) == 2
    db_session.commit()

    entries = entries_about(db_session, "people", 5)
    erased, erasure = entries[:2], entries[2]
    assert [(e.id, e.actor_id, e.created_at, e.action, e.values_hash) for e in erased] == before
    for entry in erased:
        assert entry.is_erased
        assert (entry.summary, entry.changes, entry.ip_address, entry.nonce) == (ERASED_SUMMARY, None, None, None)
    assert erasure.action is AuditAction.erase
    assert erasure.summary == "Erased the personal details of 2 audit entries"
    assert "Vera" not in repr(db_session.execute(sa.select(audit_values)).all())
    assert db_session.get(AuditEntry, other.id).summary == "Added Pat Perpetrator"
    report = verify_chain()
    assert report.ok, report.problems
    seal_pending()
    assert verify_chain().ok
    # A second erasure finds nothing left to erase (and says so).
    assert erase_personal_values("people", 5) == 0


def test_erasure_covers_entries_written_earlier_in_the_same_transaction(db_session):
    record_view(None, ("cases", 3), "Viewed case BOL-2026-0003")
    assert erase_personal_values("cases", 3) == 1


def test_a_batch_of_records_is_erased_and_the_erased_entries_are_named(db_session):
    """Retention anonymises records by the batch: each one's values go, others' stay, the chain verifies."""
    first = record_view(None, ("people", 11), "Viewed Vera Victim")
    second = record_change(None, ("people", 12), None, {"name": "Pat Perpetrator"}, "Added Pat Perpetrator")
    kept = record_view(None, ("people", 13), "Viewed Kim Keep")
    db_session.flush()
    seal_pending()
    db_session.commit()

    assert erase_personal_values_of("people", [12, 11, 11]) == sorted([first.id, second.id])
    db_session.commit()
    assert erase_personal_values_of("people", [11, 12]) == []
    assert erase_personal_values_of("people", []) == []
    about_11 = entries_about(db_session, "people", 11)
    assert about_11[0].is_erased
    assert [e.action for e in about_11[1:]] == [AuditAction.erase, AuditAction.erase]  # each says so, kept
    assert entries_about(db_session, "people", 12)[0].is_erased
    assert db_session.get(AuditEntry, kept.id).summary == "Viewed Kim Keep"
    assert verify_chain().ok


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_values SET summary = 'rewritten'",
        "UPDATE audit_values SET summary = 'Personal details erased', erased_at = CURRENT_TIMESTAMP",
        "UPDATE audit_values SET entry_id = entry_id + 1000",
        "DELETE FROM audit_values",
    ],
)
def test_sqlite_refuses_any_other_change_to_the_values(db_session, statement):
    """SQLite has no roles: its triggers accept only the erasure's exact shape and a move."""
    record_change(None, ("people", 5), None, {"name": "Vera Victim"}, "Added Vera Victim")
    db_session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="audit_values"), db_session.begin_nested():
        db_session.execute(sa.text(statement))


@pytest.mark.postgresql_only
def test_postgresql_refuses_the_wrong_shapes_even_to_the_owner(app, migration_database_url):
    """The owner role passes the privileges, not the trigger: only the erasure and the move get through."""
    engine = sa.create_engine(migration_database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(
                "INSERT INTO audit_entries (id, created_at, action, object_type, object_id, values_hash) "
                "VALUES (-1, now(), 'view', 'people', '5', 'x')"
            )
            connection.exec_driver_sql(
                "INSERT INTO audit_values (entry_id, subject_type, subject_id, summary, nonce) "
                "VALUES (-1, 'people', '5', 'Viewed Vera Victim', 'n')"
            )
            for statement in (
                "UPDATE audit_values SET summary = 'rewritten' WHERE entry_id = -1",
                "DELETE FROM audit_values WHERE entry_id = -1",
                "UPDATE audit_entries SET object_id = '6' WHERE id = -1",
                "DELETE FROM audit_entries WHERE id = -1",
            ):
                with pytest.raises(sa.exc.DBAPIError, match="audit_"), connection.begin_nested():
                    connection.exec_driver_sql(statement)
            connection.rollback()
    finally:
        engine.dispose()


def test_a_merge_moves_values_so_the_survivor_finds_and_erases_them(db_session, page_client, admin):
    record_change(None, ("people", 8), None, {"name": "Vera Victim"}, "Added Vera Victim (duplicate)")
    record_view(None, ("people", 7), "Viewed Vera Victim")
    db_session.flush()
    seal_pending()
    db_session.commit()

    assert move_personal_values(("people", 8), ("people", 7)) == 1
    db_session.commit()
    client = page_client(admin)
    html = client.get("/admin/audit?object_type=people&object_id=7").get_data(as_text=True)
    # Its entry is about person 8, its values now person 7's; an administrator sees that it is there,
    # not what it says (test_values_withheld.py).
    assert "Created: People, ID 8" in html
    assert "Vera" not in html
    assert 'href="/admin/audit?object_type=people&amp;object_id=7"' in html
    assert "Personal details moved to" in html

    assert erase_personal_values("people", 7) == 3  # both entries and the record of the move
    db_session.commit()
    assert "Vera" not in repr(db_session.execute(sa.select(audit_values.c.summary, audit_values.c.changes)).all())
    assert entries_about(db_session, "people", 8)[0].is_erased
    assert verify_chain().ok


def test_the_audit_page_shows_the_marker_after_erasure(db_session, page_client, admin, make):
    officer = make.user("officer", name="Olive Officer")
    entry = record(
        officer,
        AuditAction.update,
        ("people", 5),
        "Changed Vera Victim",
        {"address": ["1 Elm Street", "2 Oak Road"]},
    )
    db_session.flush()
    db_session.commit()
    client = page_client(admin)
    html = client.get("/admin/audit?object_type=people&object_id=5").get_data(as_text=True)
    # An administrator never reads a person's values (test_values_withheld.py), erased or not.
    assert "Vera" not in html
    assert "Withheld: you cannot see this record" in html

    erase_personal_values("people", 5)
    db_session.commit()
    html = client.get("/admin/audit?object_type=people&object_id=5").get_data(as_text=True)
    for personal in ("Vera", "Elm Street", "Oak Road"):
        assert personal not in html
    cards = re.findall(r'<h3 class="govuk-summary-card__title">([^<]+)</h3>', html)
    assert cards == ["Erased the personal details of 1 audit entry", ERASED_SUMMARY]
    assert "Olive Officer" in html  # who
    assert "Changed" in html  # what kind
    assert re.search(r"Erased on \d+ \w+ \d{4} at", html)
    db_session.expire_all()
    assert db_session.get(AuditEntry, entry.id).erased_at <= datetime.now(UTC)


def plant_people(first: int, count: int) -> None:
    for person in range(first, first + count):
        record_change(None, ("people", person), None, {"name": f"Person {person}"}, f"Added Person {person}")
        record_view(None, ("people", person), f"Viewed Person {person}")


def erasures_of(db_session, people):
    db_session.expire_all()
    return db_session.execute(
        sa.select(AuditEntry.object_id, AuditEntry.summary)
        .where(
            AuditEntry.action == AuditAction.erase,
            AuditEntry.object_type == "people",
            AuditEntry.object_id.in_([str(person) for person in people]),
        )
        .order_by(AuditEntry.id)
    ).all()


def test_erasing_many_records_takes_no_more_statements_than_erasing_a_few(db_session, count_queries):
    """A retention run erases the values about thousands of records at once: a batch of them is erased
    in a fixed number of statements, however many it holds; each record's erasure is still recorded
    with its own count, the values of others stay, and the chain verifies before and after sealing."""
    plant_people(100, 2)
    plant_people(200, 40)
    kept = record_view(None, ("people", 300), "Viewed Kim Keep")
    db_session.flush()
    seal_pending()
    db_session.commit()

    with count_queries() as few:
        few_erased = erase_personal_values_of("people", [100, 101])
    db_session.commit()
    with count_queries() as many:
        many_erased = erase_personal_values_of("people", range(200, 240))
    db_session.commit()

    assert len(few_erased) == 2 * 2
    assert len(many_erased) == 40 * 2
    assert many.count == few.count, many.statements
    erased = db_session.execute(
        sa.select(
            audit_values.c.summary, audit_values.c.changes, audit_values.c.ip_address, audit_values.c.nonce
        ).where(audit_values.c.entry_id.in_(few_erased + many_erased))
    ).all()
    assert set(erased) == {(ERASED_SUMMARY, None, None, None)}
    assert erasures_of(db_session, range(200, 240)) == [
        (str(person), "Erased the personal details of 2 audit entries") for person in range(200, 240)
    ]
    assert db_session.get(AuditEntry, kept.id).summary == "Viewed Kim Keep"
    report = verify_chain()
    assert report.ok, report.problems
    seal_pending()
    report = verify_chain()
    assert report.ok, report.problems
    assert report.unsealed == 0


def test_records_beyond_one_batch_are_erased_batch_by_batch(db_session, count_queries, monkeypatch):
    """More records than one statement names (SQLite's limit on parameters) are erased in batches:
    statements grow with the batches, not the records, and every record is erased and recorded once."""
    plant_people(400, 10)
    db_session.flush()
    db_session.commit()
    with count_queries() as one_batch:
        erase_personal_values_of("people", [400])
    db_session.commit()
    monkeypatch.setattr(services, "ERASE_BATCH", 4)

    with count_queries() as three_batches:
        erased = erase_personal_values_of("people", range(401, 410))
    db_session.commit()

    assert one_batch.count < three_batches.count <= 3 * one_batch.count, three_batches.statements
    assert len(erased) == 9 * 2
    assert erasures_of(db_session, range(401, 410)) == [
        (str(person), "Erased the personal details of 2 audit entries") for person in range(401, 410)
    ]
    assert erase_personal_values_of("people", range(400, 410)) == []
    assert verify_chain().ok


def test_entries_about_no_record_of_a_kind_are_erased_alone(db_session):
    """An entry may name a kind of record and no record (``object_id`` None): erasing "no record" of
    that kind erases those, and none about a record of the kind."""
    nobody = record(None, AuditAction.sign_in_failed, ("users", None), "Failed sign-in as vera@example.org")
    somebody = record(None, AuditAction.sign_in_failed, ("users", 4), "Failed sign-in as pat@example.org")
    db_session.flush()
    seal_pending()

    assert erase_personal_values("users", None) == 1
    db_session.commit()

    db_session.expire_all()
    assert db_session.get(AuditEntry, nobody.id).is_erased
    assert db_session.get(AuditEntry, somebody.id).summary == "Failed sign-in as pat@example.org"
    assert verify_chain().ok
