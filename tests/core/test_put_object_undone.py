"""An object put in a store for a transaction that does not commit is deleted (``storage.save``'s undo):
when the transaction is rolled back, and when it is closed with the session instead (an error nothing
rolled back: a task that raised, a view that aborted). A store that refuses the deletion then, or
cannot be reached, is asked again: the deletion goes to ``storage.delete_object`` through the task
outbox, in a transaction of its own, and the object goes once the store accepts.

Against a committed database of each backend (the suite's test transaction is one connection: the
hand-over's own transaction must be seen committed) and the S3 stand-in of ``tests/core/s3_stand_in.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from casework.core.db import commit
from casework.extensions import db
from tests.core.s3_stand_in import SlowStore, slow_store
from tests.notifications.committed import committed_app, committed_database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def store() -> Any:
    with slow_store() as server:
        yield server


@contextmanager
def _in_an_app_of_its_own(
    backend: str, tmp_path: Any, request: pytest.FixtureRequest, store: SlowStore, **settings: Any
) -> Iterator[None]:
    """In the app context of an app on a committed database of ``backend`` that keeps its files in
    ``store``."""
    postgresql_url = request.getfixturevalue("postgresql_url") if backend == "postgresql" else None
    with (
        committed_database(backend, tmp_path, postgresql_url) as url,
        committed_app(url, tmp_path, **store.settings(), **settings) as app,
        app.app_context(),
    ):
        yield


def _put_for_a_transaction(store: SlowStore) -> str:
    """A file saved as a service saves one, before its rows: the object's path in the stand-in."""
    from casework.accounts.models import Area
    from casework.core import storage

    db.session.scalar(sa.select(Area.id))  # read first, as the service's request does
    saved = storage.save(b"%PDF-1.7 never kept", "application/pdf", folder="cases/1")
    [path] = [path for path in store.objects if path.endswith(saved.key)]
    return path


def _hand_overs() -> list[tuple[str, list[Any], bool]]:
    from casework.core.tasks_outbox import PendingTask

    rows = db.session.execute(sa.select(PendingTask.task_name, PendingTask.args, PendingTask.relayed_at))
    return [(name, list(args), relayed_at is not None) for name, args, relayed_at in rows]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_object_put_for_a_transaction_closed_without_a_rollback_is_deleted(backend, tmp_path, request, store):
    with _in_an_app_of_its_own(backend, tmp_path, request, store):
        path = _put_for_a_transaction(store)
        assert path in store.objects
        # What the app context's teardown does after an error no handler rolled back.
        db.session.close()
        assert path not in store.objects
        assert _hand_overs() == []
        db.session.remove()


@pytest.mark.parametrize("status", [403, 503])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_deletion_the_store_refuses_after_a_rollback_is_tried_again_until_it_goes(
    backend, status, tmp_path, request, store
):
    from casework.core import storage
    from casework.core.tasks_outbox import relay

    with _in_an_app_of_its_own(backend, tmp_path, request, store, CELERY_ALWAYS_EAGER=True):
        path = _put_for_a_transaction(store)
        key = path.removeprefix("/casework/")
        store.refuse = {"DELETE": status}
        db.session.rollback()
        assert "DELETE" in store.refused
        assert path in store.objects  # the store would not delete it: not forgotten
        assert _hand_overs() == [("storage.delete_object", ["s3", key], False)]
        db.session.remove()

        # The store accepts again: the beat's relay hands the deletion to the worker, which makes it.
        store.refuse = {}
        assert relay() == 1
        db.session.remove()
        assert path not in store.objects
        assert _hand_overs() == [("storage.delete_object", ["s3", key], True)]
        assert db.session.scalar(sa.select(sa.func.count(storage.StuckDeletion.id))) == 0
        db.session.remove()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_object_put_for_a_transaction_that_commits_is_kept(backend, tmp_path, request, store):
    with _in_an_app_of_its_own(backend, tmp_path, request, store):
        path = _put_for_a_transaction(store)
        commit()
        db.session.close()
        db.session.remove()
        assert path in store.objects
        assert _hand_overs() == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_object_put_for_a_transaction_is_kept_however_a_savepoint_in_it_ends(backend, tmp_path, request, store):
    """Only the outermost transaction's end undoes the put: a SAVEPOINT released (rows added unless
    their key is taken, ``add_unless_taken``) ends a transaction too, without a commit, and must not
    delete the object the outer transaction then commits a row for; one rolled back keeps it as well."""
    with _in_an_app_of_its_own(backend, tmp_path, request, store):
        path = _put_for_a_transaction(store)
        with db.session.begin_nested():
            db.session.scalar(sa.select(sa.literal(1)))
        assert path in store.objects
        db.session.begin_nested().rollback()
        assert path in store.objects
        commit()
        db.session.remove()
        assert path in store.objects
        assert _hand_overs() == []
