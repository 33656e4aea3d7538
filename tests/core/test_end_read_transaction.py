"""``end_read_transaction`` ends a transaction only when it has written nothing: rows already flushed,
or changed by a statement, stay in the transaction, and go if it is rolled back."""

from __future__ import annotations

import sqlalchemy as sa

from casework.accounts.models import Area
from casework.core.db import end_read_transaction
from casework.extensions import db


def _area_codes() -> set[str]:
    return set(db.session.scalars(sa.select(Area.code)))


def test_a_transaction_that_only_read_is_ended(db_session):
    before = _area_codes()
    assert db_session().in_transaction()
    end_read_transaction()
    assert not db_session().in_transaction()
    assert _area_codes() == before


def test_rows_flushed_before_it_are_not_committed(db_session):
    before = _area_codes()
    db_session.add(Area(code="ZZF", name="Flushed Only"))
    db_session.flush()
    assert not db_session().new, "flushed: the session no longer lists the row as new"
    end_read_transaction()
    assert db_session().in_transaction(), "the transaction that wrote is left open"
    db_session.rollback()
    assert _area_codes() == before


def test_rows_written_by_a_statement_are_not_committed(db_session):
    db_session.add(Area(code="ZZS", name="Statement"))
    db_session.flush()
    db_session.commit()
    db_session.execute(sa.update(Area).where(Area.code == "ZZS").values(name="Changed"))
    end_read_transaction()
    assert db_session().in_transaction()
    db_session.rollback()
    assert db_session.scalar(sa.select(Area.name).where(Area.code == "ZZS")) == "Statement"


def test_the_next_transaction_starts_clean(db_session):
    db_session.add(Area(code="ZZN", name="Next"))
    db_session.commit()
    db_session.scalar(sa.select(Area.name).where(Area.code == "ZZN"))
    end_read_transaction()
    assert not db_session().in_transaction(), "a commit ends the writing transaction's flag with it"
