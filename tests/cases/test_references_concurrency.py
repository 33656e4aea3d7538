"""Two cases opened at the same moment get different references (PostgreSQL, real transactions)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.accounts.models import Area, ReferenceCounter
from casework.cases.services import allocate_reference
from casework.extensions import db


@pytest.mark.postgresql_only  # SQLite serialises writers; the row lock is what PostgreSQL needs
@pytest.mark.parametrize("counter_exists", [False, True])
def test_concurrent_allocations_are_distinct(app, database_url, counter_exists):
    with app.app_context():
        engine = db.engine
        with Session(engine) as setup:
            area = Area(code="ZZC", name="Concurrency")
            setup.add(area)
            setup.flush()
            if counter_exists:
                setup.add(ReferenceCounter(series="cases", area_id=area.id, year=2026, last_sequence=41))
            setup.commit()
            area_id = area.id
        results: list[str] = []
        errors: list[BaseException] = []
        first_allocated = threading.Event()

        def open_case(hold: float, wait_for_first: bool) -> None:
            try:
                if wait_for_first:
                    first_allocated.wait(5)
                with Session(engine) as session:
                    target = session.get(Area, area_id)
                    _, reference = allocate_reference(target, 2026, session=session)
                    first_allocated.set()
                    time.sleep(hold)  # still inside the transaction: the other one must wait
                    session.commit()
                    results.append(reference)
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

        try:
            threads = [
                threading.Thread(target=open_case, args=(0.5, False)),
                threading.Thread(target=open_case, args=(0.0, True)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)
            assert not errors
            start = 42 if counter_exists else 1
            assert sorted(results) == [f"ZZC-2026-{start:04d}", f"ZZC-2026-{start + 1:04d}"]
        finally:
            with engine.begin() as connection:
                connection.execute(sa.delete(ReferenceCounter.__table__).where(ReferenceCounter.area_id == area_id))
                connection.execute(sa.delete(Area.__table__).where(Area.id == area_id))
