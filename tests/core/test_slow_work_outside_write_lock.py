"""On SQLite, the slow parts of a flow that writes (an object store's PUT or GET, a PDF render) happen
while no write lock is held: another writer is not kept waiting, and past the busy timeout refused with
"database is locked". What the flow read is still checked when it writes: a notice served by someone
else meanwhile is not served twice, and the file put for it is deleted.

Each flow runs on a thread of its own against an app with a SQLite file of its own (the suite's test
transaction is one connection, which nothing else can see) and an object store that holds each
request, or a render, until the test has written from a connection of its own.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from casework.core.db import commit, let_go_of_the_write_lock
from casework.extensions import db
from tests.core.s3_stand_in import HANG, SlowStore, slow_store
from tests.documents.files import pdf, photo
from tests.notifications.committed import committed_app, committed_database
from tests.support.held_work import started_in_the_app

SERVED_BY = "Olive Officer"


@pytest.fixture
def store() -> Any:
    with slow_store() as server:
        yield server


@pytest.fixture
def renders_held(store: SlowStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF render waits for the test too, when ``RENDER`` is in the store's ``hold``."""
    weasyprint = pytest.importorskip("weasyprint")
    from casework.documents import layout

    if not layout.pdf_available():
        pytest.skip("WeasyPrint or the system Pango library is not installed")
    write_pdf = weasyprint.HTML.write_pdf

    def held_write_pdf(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "RENDER" in store.hold:
            store.wait_here("RENDER")
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", held_write_pdf)


def _world(app: Any) -> dict[str, int]:
    """An officer, a case with an adult on it, a community protection warning to serve, and the area's
    letterhead with its logo in the store."""
    from casework.accounts.models import Agency, AgencyKind, Area, User
    from casework.accounts.passwords import hash_password
    from casework.cases.models import CaseParty, PartyRole, Person, PersonKind
    from casework.cases.services import create_case
    from casework.core.time import today
    from casework.documents.letterheads import save_letterhead
    from casework.interventions.services import create_intervention

    with app.app_context():
        area = Area(code="BOL", name="Bolsover")
        agency = Agency(code="BDC", name="Bolsover District Council", kind=AgencyKind.council, areas=[area])
        officer = User(
            email="officer@bdc.example", name=SERVED_BY, password_hash=hash_password("x" * 16), agency=agency
        )
        officer.roles = ["officer"]
        db.session.add_all([area, agency, officer])
        db.session.flush()
        case = create_case(officer, area_code="BOL", category="personal", summary="Noise at night")
        adult = Person(kind=PersonKind.individual, name="Adam Adult", normalised_name="adam adult")
        adult.date_of_birth = today().replace(year=today().year - 40)
        db.session.add(adult)
        db.session.flush()
        db.session.add(CaseParty(case_id=case.id, person_id=adult.id, role=PartyRole.perpetrator))
        db.session.flush()
        intervention, _warnings = create_intervention(
            officer,
            case,
            {
                "kind": "cpw",
                "subject_person_id": adult.id,
                "issued_on": today() - timedelta(days=10),
                "comply_by": today() + timedelta(days=10),
                "prohibitions": "Do not play amplified music after 11pm.",
            },
        )
        save_letterhead(
            officer,
            area,
            {"name": "Bolsover Community Safety Partnership", "address": "The Arc\nClowne\nS43 4JY"},
            logo=("logo.png", photo("PNG", gps=False)),
        )
        commit()
        ids = {"officer": officer.id, "case": case.id, "intervention": intervention.id, "area": area.id}
        db.session.remove()
        return ids


def _service() -> Any:
    from casework.core.time import now
    from casework.interventions.models import ServiceMethod
    from casework.interventions.notices import Service

    return Service(
        recipient_name="Adam Adult",
        recipient_address="9 Station Road\nBolsover\nS44 6AA",
        served_at=now() - timedelta(hours=1),
        method=ServiceMethod.by_hand,
        served_by_name=SERVED_BY,
        details={"conduct": "Loud music at night."},
    )


def _serve(ids: dict[str, int]) -> int:
    from casework.accounts.models import User
    from casework.interventions import notices
    from casework.interventions.models import Intervention

    # Read first, as the notice page does: this transaction takes SQLite's write lock.
    officer = db.session.get(User, ids["officer"])
    intervention = db.session.get(Intervention, ids["intervention"])
    document = notices.serve(officer, intervention, _service())
    commit()
    return document.id


def _save_letterhead(ids: dict[str, int]) -> int:
    from casework.accounts.models import Area, User
    from casework.documents.letterheads import letterhead_of, save_letterhead

    officer, area = db.session.get(User, ids["officer"]), db.session.get(Area, ids["area"])
    letterhead_of(area)  # as the letterhead page does, before the form is saved
    row = save_letterhead(
        officer,
        area,
        {"name": "Bolsover Community Safety Partnership", "address": "The Arc\nClowne\nS43 4JY"},
        logo=("new-logo.png", photo("PNG", gps=False, size=(60, 20))),
    )
    commit()
    return row.id


def _another_writer_can_write(path: str, write: tuple[str, tuple[Any, ...]] | None) -> str | None:
    """None when another connection could take the write lock (and make ``write``) at once; else why not."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # fails at once with "database is locked" while the flow holds it
        if write:
            other.execute(*write)
        other.execute("COMMIT")
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        other.close()
    return None


def _while_held(
    app: Any,
    url: str,
    store: SlowStore,
    flow: Callable[[], Any],
    write: tuple[str, tuple[Any, ...]] | None = None,
) -> tuple[list[tuple[str, str | None]], list[Any]]:
    """Run ``flow`` on a thread; each time it waits for the store (or a render), write from another
    connection, then let it go on. Returns what it waited for, each with the refusal of the other
    writer (None: it wrote), and what the flow returned or raised."""
    results: list[Any] = []
    running = started_in_the_app(app, flow, results)
    waited: list[tuple[str, str | None]] = []
    try:
        while running.is_alive() or not store.arrivals.empty():
            try:
                held = store.arrivals.get(timeout=0.05)
            except queue.Empty:
                continue
            waited.append((held.what, _another_writer_can_write(url.removeprefix("sqlite:///"), write)))
            held.release.set()
    finally:
        store.let_everything_go()
        running.join(HANG)
    return waited, results


def test_serving_a_notice_fetches_the_logo_renders_and_puts_with_no_write_lock_held(tmp_path, store, renders_held):
    from casework.documents.models import Document
    from casework.interventions.models import Intervention

    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **store.settings()) as app:
        ids = _world(app)
        store.hold = {"GET", "PUT", "RENDER"}
        waited, results = _while_held(app, url, store, lambda: _serve(ids))
        assert {what for what, _refused in waited} == {"GET", "PUT", "RENDER"}, waited
        assert [(what, refused) for what, refused in waited if refused] == []
        [document_id] = results
        assert isinstance(document_id, int), results
        with app.app_context():
            document = db.session.get(Document, document_id)
            assert document is not None
            assert document.stored_file is not None
            assert document.stored_file.backend == "s3"
            assert db.session.get(Intervention, ids["intervention"]).served_by_name == SERVED_BY
            db.session.remove()
        assert len(store.objects) == 2  # the logo and the notice


def test_a_notice_served_by_someone_else_while_its_pdf_is_put_is_not_served_twice(tmp_path, store, renders_held):
    from casework.documents.models import Document

    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **store.settings()) as app:
        ids = _world(app)
        logo_only = dict(store.objects)
        store.hold = {"PUT"}
        # While this request's notice is being put, another serves the warning (its version moves on).
        served_meanwhile = (
            "UPDATE interventions SET version = version + 1, served_at = CURRENT_TIMESTAMP, "
            "served_by_name = 'Someone Else' WHERE id = ?",
            (ids["intervention"],),
        )
        waited, results = _while_held(app, url, store, lambda: _serve(ids), write=served_meanwhile)
        assert waited == [("PUT", None)]
        [error] = results
        assert isinstance(error, StaleDataError), results
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
            db.session.remove()
        assert store.objects == logo_only  # the notice put for it was deleted with the rollback


def _upload(ids: dict[str, int]) -> int:
    from casework.accounts.models import User
    from casework.cases.models import Case
    from casework.documents import services as documents

    officer, case = db.session.get(User, ids["officer"]), db.session.get(Case, ids["case"])
    document = documents.upload(officer, case, kind="evidence", filename="diary.pdf", content=pdf())
    commit()
    return document.id


@pytest.mark.parametrize("flow", ["upload", "serve"])
def test_a_document_for_a_case_anonymised_while_its_file_is_put_is_refused(tmp_path, store, flow, request):
    """The case was read, and found not anonymised, before the file was put with no write lock held:
    a retention run that anonymised it meanwhile has removed its documents already, so the document
    is refused (for an upload and for a served notice's PDF alike) and its file deleted."""
    from casework.core.errors import RuleViolation
    from casework.documents.models import Document

    if flow == "serve":
        request.getfixturevalue("renders_held")
    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **store.settings()) as app:
        ids = _world(app)
        before = dict(store.objects)
        store.hold = {"PUT"}
        anonymised_meanwhile = (
            "UPDATE cases SET version = version + 1, anonymised_at = CURRENT_TIMESTAMP WHERE id = ?",
            (ids["case"],),
        )
        run = _upload if flow == "upload" else _serve
        waited, results = _while_held(app, url, store, lambda: run(ids), write=anonymised_meanwhile)
        assert waited == [("PUT", None)]
        [error] = results
        assert isinstance(error, RuleViolation), results
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
            db.session.remove()
        assert store.objects == before  # the file put for it was deleted with the rollback


def test_saving_a_letterhead_puts_its_logo_with_no_write_lock_held(tmp_path, store):
    from casework.core.storage import StoredFile
    from casework.documents.models import Letterhead

    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **store.settings()) as app:
        ids = _world(app)
        store.hold = {"PUT"}
        waited, results = _while_held(app, url, store, lambda: _save_letterhead(ids))
        assert waited == [("PUT", None)]
        [letterhead_id] = results
        assert isinstance(letterhead_id, int), results
        with app.app_context():
            letterhead = db.session.get(Letterhead, letterhead_id)
            assert letterhead is not None
            assert letterhead.logo is not None
            # The logo it replaced is gone: one stored file, one object.
            assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 1
            db.session.remove()


def test_previewing_a_notice_fetches_the_logo_with_no_write_lock_held(tmp_path, store):
    """A preview is a POST (its transaction may write): the letterhead's logo is fetched for it."""
    from casework.interventions import notices
    from casework.interventions.models import Intervention

    def preview() -> bool:
        view, _failed = notices.preview(db.session.get(Intervention, ids["intervention"]), _service())
        return view.letterhead.logo_src is not None

    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **store.settings()) as app:
        ids = _world(app)
        store.hold = {"GET"}
        waited, results = _while_held(app, url, store, preview)
        assert waited == [("GET", None)]
        assert results == [True]


def _information_request(app: Any) -> dict[str, int]:
    """A Case Review application in the world's area, with the council asked for its information."""
    from casework.accounts.models import Agency, Area, User
    from casework.community_triggers import info_requests
    from casework.community_triggers import services as case_reviews
    from casework.core.time import today

    with app.app_context():
        area, council = db.session.scalar(sa.select(Area)), db.session.scalar(sa.select(Agency))
        officer = db.session.scalar(sa.select(User))
        officer.roles = ["officer", "coordinator"]
        received_on = today() - timedelta(days=3)
        application = case_reviews.register_application(
            officer,
            {
                "area": area,
                "received_on": received_on,
                "channel": "email",
                "applicant": {"name": "Ann Applicant", "email": "ann@example.org", "address": "1 High St"},
                "applicant_role": "victim",
                "consent_given": True,
                "description": "Noise at night",
                "cases": [],
                "complaints": [
                    {
                        "complainant_name": "Ann Applicant",
                        "occurred_on": received_on - timedelta(days=20),
                        "reported_on": received_on - timedelta(days=20),
                        "agency": None,
                        "reported_to": "the council",
                        "reference": "C1",
                    }
                ],
            },
        )
        item = info_requests.request_information(officer, application, council, due_on=today() + timedelta(days=10))
        commit()
        ids = {"officer": officer.id, "request": item.id, "application": application.id}
        db.session.remove()
        return ids


def _submit_information(ids: dict[str, int]) -> int:
    from casework.accounts.models import User
    from casework.community_triggers import info_requests
    from casework.community_triggers.models import InformationRequest

    officer = db.session.get(User, ids["officer"])
    item = db.session.get(InformationRequest, ids["request"])
    info_requests.submit(officer, item, text="Three visits this year.", file=("visits.pdf", pdf()))
    commit()
    return item.id


def test_an_agencys_submission_to_a_case_review_puts_its_file_with_no_write_lock_held(tmp_path, store):
    from casework.community_triggers.models import InformationRequest, TriggerDocument

    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **store.settings()) as app:
        _world(app)
        ids = _information_request(app)
        store.hold = {"PUT"}
        waited, results = _while_held(app, url, store, lambda: _submit_information(ids))
        assert waited == [("PUT", None)]
        assert results == [ids["request"]]
        with app.app_context():
            assert db.session.get(InformationRequest, ids["request"]).submitted_on is not None
            assert db.session.scalar(sa.select(sa.func.count(TriggerDocument.id))) == 1
            db.session.remove()


def test_letting_go_of_the_write_lock_keeps_what_was_read(tmp_path):
    from casework.accounts.models import Area

    with (
        committed_database("sqlite", tmp_path, None) as url,
        committed_app(url, tmp_path) as app,
        app.app_context(),
    ):
        db.session.add(Area(code="BOL", name="Bolsover"))
        commit()
        area = db.session.scalar(sa.select(Area))
        assert let_go_of_the_write_lock()
        # Kept as read, not expired to be read again: a versioned row is still checked at the
        # version it was read at.
        assert "name" in sa.inspect(area).dict
        db.session.remove()


def test_a_submission_made_while_another_agencys_file_is_put_is_the_one_the_audit_shows_replaced(tmp_path, store):
    from casework.audit.models import AuditEntry

    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **store.settings()) as app:
        _world(app)
        ids = _information_request(app)
        store.hold = {"PUT"}
        sent_meanwhile = (
            "UPDATE trigger_information_requests SET submission = 'Sent by phone' WHERE id = ?",
            (ids["request"],),
        )
        waited, results = _while_held(app, url, store, lambda: _submit_information(ids), write=sent_meanwhile)
        assert waited == [("PUT", None)]
        assert results == [ids["request"]]
        with app.app_context():
            entry = db.session.scalar(
                sa.select(AuditEntry)
                .where(AuditEntry.summary.startswith("Information submitted"))
                .order_by(AuditEntry.id.desc())
            )
            assert entry.changes["submission"] == ["Sent by phone", "Three visits this year."]
            db.session.remove()


def test_a_submission_to_a_case_review_anonymised_while_its_file_is_put_is_refused(tmp_path, store):
    """The Case Review was read, and found not anonymised, before the agency's file was put with no
    write lock held: a retention run that anonymised it meanwhile has removed its files and its
    submissions already, so the submission is refused and its file deleted, as a case's document is."""
    from casework.community_triggers.models import InformationRequest, TriggerDocument
    from casework.core.errors import RuleViolation

    with committed_database("sqlite", tmp_path, None) as url, committed_app(url, tmp_path, **store.settings()) as app:
        _world(app)
        ids = _information_request(app)
        before = dict(store.objects)
        store.hold = {"PUT"}
        anonymised_meanwhile = (
            "UPDATE trigger_applications SET anonymised_at = CURRENT_TIMESTAMP WHERE id = ?",
            (ids["application"],),
        )
        waited, results = _while_held(app, url, store, lambda: _submit_information(ids), write=anonymised_meanwhile)
        assert waited == [("PUT", None)]
        [error] = results
        assert isinstance(error, RuleViolation), results
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(TriggerDocument.id))) == 0
            assert db.session.get(InformationRequest, ids["request"]).submission is None
            db.session.remove()
        assert store.objects == before  # the file put for it was deleted with the rollback


def _lock_by_statement(model: Any) -> None:
    db.session.execute(sa.select(model.id).with_for_update())


def _lock_by_get(model: Any) -> None:
    db.session.get(model, 1, with_for_update=True, populate_existing=True)


def _lock_by_refresh(model: Any) -> None:
    db.session.refresh(db.session.get(model, 1), with_for_update=True)


def _lock_for_share(model: Any) -> None:
    db.session.scalars(sa.select(model).with_for_update(read=True)).all()


@pytest.mark.parametrize("lock", [_lock_by_statement, _lock_by_get, _lock_by_refresh, _lock_for_share])
def test_a_transaction_that_locked_rows_keeps_the_write_lock(tmp_path, lock):
    """Every way the services lock rows (DEVELOPMENT.md, "Read, check, then write is a race"). SQLite
    drops FOR UPDATE from the statement, so the lock is seen in SQLAlchemy's private ``_for_update_arg``
    (it has no public one): if a later SQLAlchemy stops carrying it there, this fails."""
    from casework.accounts.models import Area

    with (
        committed_database("sqlite", tmp_path, None) as url,
        committed_app(url, tmp_path) as app,
        app.app_context(),
    ):
        db.session.add(Area(code="BOL", name="Bolsover"))
        commit()
        # Rows locked FOR UPDATE are held by the write lock itself on SQLite: it is kept.
        lock(Area)
        assert not let_go_of_the_write_lock()
        db.session.rollback()
        assert db.session.get(Area, 1) is not None
        assert let_go_of_the_write_lock()  # a new transaction that locked nothing
        db.session.remove()


def test_retention_keeps_a_removed_documents_empty_file_in_the_database_not_the_object_store(s3_storage):
    """Retention writes the anonymised rows first, so its transaction cannot let go of the write lock:
    the empty file left in a Case Review document's place makes no call to the object store."""
    from types import SimpleNamespace

    from casework.community_triggers.services.retention import _replace_with_empty_file
    from casework.core import storage

    kept = storage.save(b"%PDF-1.7 what an agency sent", "application/pdf", folder="case-reviews/1")
    document = SimpleNamespace(stored_file_id=kept.id)
    _replace_with_empty_file(document)
    placeholder = db.session.get(storage.StoredFile, document.stored_file_id)
    assert placeholder is not None
    assert (placeholder.backend, placeholder.size) == ("database", 0)
    assert storage.read(placeholder) == b""
    assert db.session.get(storage.StoredFile, kept.id) is None


def test_on_postgresql_letting_go_does_nothing_not_even_a_connection(tmp_path, request):
    """PostgreSQL's reads take no lock: there is nothing to let go of, and a transaction begun without
    a connection yet is not given one here."""
    from casework.accounts.models import Area
    from casework.core.db import outside_the_write_lock

    postgresql_url = request.getfixturevalue("postgresql_url")
    with (
        committed_database("postgresql", tmp_path, postgresql_url) as url,
        committed_app(url, tmp_path) as app,
        app.app_context(),
    ):
        db.session().begin()
        assert not let_go_of_the_write_lock()
        assert db.engine.pool.checkedout() == 0
        db.session.remove()

        db.session.add(Area(code="BOL", name="Bolsover"))
        commit()
        area = db.session.scalar(sa.select(Area))
        connection = db.session.connection()
        with outside_the_write_lock() as let_go:
            assert not let_go
        # The same transaction goes on, on the same connection, with what it loaded.
        assert db.session.connection() is connection
        assert area in db.session
        db.session.remove()


def test_on_postgresql_a_review_anonymised_while_a_submission_holds_it_takes_the_submissions_file(tmp_path, request):
    """PostgreSQL, the other order: the submission has read the Case Review again and holds it (its file
    put, its document written, not committed yet) when the retention run comes to anonymise the review.
    The run holds the review before it reads its files, so it waits for the submission and then finds
    its file among the review's: read before, the file would be missed and kept for ever."""
    import psycopg

    from casework.community_triggers.models import TriggerApplication, TriggerDocument
    from casework.community_triggers.services import anonymise_application
    from casework.core import storage

    postgresql_url = request.getfixturevalue("postgresql_url")

    class Report:
        def __init__(self) -> None:
            self.formers: list[Any] = []

        def add(self, _table: str, _ids: Any) -> None:
            pass

    with (
        committed_database("postgresql", tmp_path, postgresql_url) as url,
        committed_app(url, tmp_path) as app,
    ):
        _world(app)
        ids = _information_request(app)
        with app.app_context():
            # The submission, past its check: the review read again and held, its document written.
            db.session.execute(
                sa.select(TriggerApplication.id)
                .where(TriggerApplication.id == ids["application"])
                .with_for_update(key_share=True)
            )
            stored = storage.save(pdf(), "application/pdf", folder="case-reviews", backend="database")
            document = TriggerDocument(
                application_id=ids["application"],
                information_request_id=ids["request"],
                filename="Ann Applicant - statement.pdf",
                content_type="application/pdf",
                size=1,
                stored_file_id=stored.id,
            )
            db.session.add(document)
            db.session.flush()
            document_id = document.id
            backend = db.session.connection().connection.dbapi_connection.info.backend_pid

            errors: list[BaseException] = []

            def run() -> None:
                with app.app_context():
                    try:
                        anonymise_application(db.session.get(TriggerApplication, ids["application"]), Report())
                        commit()
                    except BaseException as error:  # reported by the test
                        errors.append(error)
                    finally:
                        db.session.remove()

            retention = threading.Thread(target=run)
            retention.start()
            # The run waits for a lock the submission holds (wherever it waits): then the submission commits.
            plain = url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(plain, autocommit=True) as watcher:
                while (
                    retention.is_alive()
                    and not watcher.execute(
                        "SELECT 1 FROM pg_locks WHERE NOT granted AND pid <> %s", (backend,)
                    ).fetchone()
                ):
                    threading.Event().wait(0.02)
            commit()
            retention.join(HANG)
            db.session.remove()
            assert not retention.is_alive()
            assert errors == []
            kept = db.session.get(TriggerDocument, document_id)
            assert kept.filename.endswith("(removed under the retention policy)"), kept.filename
            db.session.remove()
