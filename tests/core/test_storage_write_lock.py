"""On SQLite, a file put in the object store (S3) is put while no write lock is held, when the upload has
written nothing yet: a slow store makes no other writer wait.

The store is an HTTP server answering as S3 does, holding each PUT until the test lets it go, so the
upload is in flight while the test writes from a connection of its own. The app has a SQLite file of
its own (the suite's test transaction is one connection, which nothing else can see).
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from casework.core.db import commit
from casework.extensions import db
from tests.core.s3_stand_in import HANG, SlowStore, slow_store
from tests.documents.files import pdf
from tests.notifications.committed import committed_app, committed_database
from tests.support.held_work import another_connection_takes_the_write_lock, started_in_the_app


@pytest.fixture
def holding_store() -> Iterator[SlowStore]:
    """A store that holds every PUT until the test lets it go."""
    with slow_store() as server:
        server.hold.add("PUT")
        yield server


def _world(app) -> tuple[int, int]:
    from casework.accounts.models import Agency, AgencyKind, Area, User
    from casework.accounts.passwords import hash_password
    from casework.cases.services import create_case

    with app.app_context():
        area = Area(code="BOL", name="Bolsover")
        agency = Agency(code="BDC", name="Bolsover District Council", kind=AgencyKind.council, areas=[area])
        officer = User(
            email="officer@bdc.example", name="Olive Officer", password_hash=hash_password("x" * 16), agency=agency
        )
        officer.roles = ["officer"]
        db.session.add_all([area, agency, officer])
        db.session.flush()
        case = create_case(officer, area_code="BOL", category="personal", summary="Noise at night")
        commit()
        ids = (officer.id, case.id)
        db.session.remove()
        return ids


def test_another_connection_can_write_while_the_object_store_holds_an_upload(tmp_path, holding_store):
    from casework.accounts.models import User
    from casework.cases.models import Case
    from casework.documents import services as documents
    from casework.documents.models import Document

    extra = holding_store.settings()
    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **extra) as app:
        officer_id, case_id = _world(app)
        results: list[Any] = []

        def upload() -> int:
            # Read first, as the upload page does: this transaction takes SQLite's write lock.
            officer, case = db.session.get(User, officer_id), db.session.get(Case, case_id)
            document = documents.upload(officer, case, kind="evidence", filename="notes.pdf", content=pdf())
            commit()
            return document.id

        uploading = started_in_the_app(app, upload, results)
        try:
            try:
                holding_store.arrivals.get(timeout=HANG)
            except queue.Empty:
                pytest.fail(f"the upload never reached the store: {results}")
            another_connection_takes_the_write_lock(url.removeprefix("sqlite:///"))  # fails if the upload holds it
        finally:
            holding_store.let_everything_go()
            uploading.join(HANG)
        [document_id] = results
        assert isinstance(document_id, int), results
        with app.app_context():
            document = db.session.get(Document, document_id)
            assert document is not None
            assert document.stored_file is not None
            assert document.stored_file.backend == "s3"
            assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 1
            db.session.remove()
        assert len(holding_store.objects) == 1
