"""Migration 0800: the partial indexes of the old summaries naming a person, and on PostgreSQL
``audit_erase_old_summaries``, no longer leave out a name starting with the word "person" ("person
unknown"): only a summary giving a number ("Added person 12 to case ...") is left out. Down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from casework.audit.models import OLD_SUMMARIES_NAMING_PEOPLE, audit_values
from casework.extensions import db
from tests.test_migration_audit_named_people import _entry
from tests.test_migration_data_review import rows, two_bolsover_cases
from tests.test_migrations import empty_database_urls as empty_database_urls
from tests.test_migrations import fresh_app as fresh_app

NAMED = "Added person unknown to case BOL-2026-0010 as perpetrator"
BY_NUMBER = "Added person 12 to case BOL-2026-0010 as victim"
SECOND = "Second report by person unknown on case BOL-2026-0010: explain the Case Review"


def _read() -> list[str]:
    """The summaries the service reads (``erase_old_summaries_naming``), by the model's predicates."""
    found: list[str] = []
    with db.engine.connect() as connection:
        for predicate in OLD_SUMMARIES_NAMING_PEOPLE.values():
            found += connection.scalars(sa.select(audit_values.c.summary).where(sa.text(predicate))).all()
    return sorted(found)


def _index_definitions() -> str:
    if db.engine.dialect.name == "postgresql":
        sql = "SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'ix_audit_values_old_%'"
    else:
        sql = "SELECT sql FROM sqlite_master WHERE name LIKE 'ix_audit_values_old_%'"
    return "\n".join(definition for (definition,) in rows(sql))


def test_a_name_starting_with_person_is_read_and_erased(fresh_app: Flask) -> None:
    upgrade(revision="0760")
    two_bolsover_cases()
    _entry("cases", 10, NAMED, {"party": [None, [9, "perpetrator"]]})
    _entry("cases", 10, BY_NUMBER, {"party": [None, [12, "victim"]]})
    _entry("case_review_explanations", 7, SECOND, {"case_id": 10, "person_id": 9})
    db.session.commit()
    assert "substr" not in _index_definitions()

    upgrade(revision="0800")
    assert _index_definitions().count("substr") >= 2
    assert _read() == sorted([NAMED, SECOND])
    downgrade(revision="0760")
    assert "substr" not in _index_definitions()
    upgrade(revision="0800")

    if db.engine.dialect.name == "postgresql":
        ids = [entry_id for (entry_id,) in rows("SELECT entry_id FROM audit_values ORDER BY entry_id")]
        with db.engine.begin() as connection:
            erased = connection.exec_driver_sql(
                "SELECT erased_entry_id FROM audit_erase_old_summaries(%(ids)s::bigint[])", {"ids": ids}
            ).all()
        assert len(erased) == 2
        summaries = [summary for (summary,) in rows("SELECT summary FROM audit_values ORDER BY entry_id")]
        assert summaries == ["Personal details erased", BY_NUMBER, "Personal details erased"]
