"""A stored file the object store refuses to delete after every attempt is not dropped: it is held as a
stuck deletion, logged at error level, shown on the administrators' home page, emailed to them once,
and tried again every few hours until it goes (docs/operations.md)."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from casework.core import storage
from casework.core.db import commit
from casework.core.time import now
from casework.extensions import db
from casework.notifications.models import OutboxEmail


def _point_at(app, url: str) -> None:
    app.config["CASEWORK"]["STORAGE_S3_ENDPOINT_URL"] = url
    app.extensions.pop(storage._EXTENSION_KEY, None)


def test_a_deletion_refused_every_time_is_held_shown_emailed_and_tried_again(
    app, db_session, s3_storage, make, page_client, caplog
):
    from casework.accounts.tasks import alert_stuck_deletions
    from tests.support.services import free_port

    admin = make.user("admin")
    stored = storage.save(b"a served notice", "application/pdf", folder="tests")
    commit()
    key = stored.key
    working = app.config["CASEWORK"]["STORAGE_S3_ENDPOINT_URL"]
    _point_at(app, f"http://127.0.0.1:{free_port()}")

    # The last of the attempts (the task's own retries, a few seconds to ten minutes apart, came before).
    with caplog.at_level(logging.ERROR, logger="casework.core.storage"):
        storage.delete_object.apply(args=("s3", key), retries=storage.DELETE_ATTEMPTS - 1)
    held = db.session.scalars(sa.select(storage.StuckDeletion)).one()
    assert (held.backend, held.key, held.attempts) == ("s3", key, storage.DELETE_ATTEMPTS)
    assert any(record.levelno == logging.ERROR and key in record.getMessage() for record in caplog.records)

    home = page_client(admin).get("/").get_data(as_text=True)
    assert "Files the store would not delete" in home
    assert key in home

    assert alert_stuck_deletions() == 1
    assert alert_stuck_deletions() == 0  # once
    email = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == admin.email)).one()
    assert key in email.body_text

    # The store is back: not before the next turn, then the file goes and so does the entry.
    _point_at(app, working)
    assert storage.retry_stuck_deletions() == 0
    assert storage.store_named("s3").exists(key)
    with time_machine.travel(now() + storage.STUCK_RETRY_EVERY + timedelta(minutes=1), tick=False):
        assert storage.retry_stuck_deletions() == 1
    assert not storage.store_named("s3").exists(key)
    assert db.session.scalar(sa.select(sa.func.count(storage.StuckDeletion.id))) == 0
    assert "Files the store would not delete" not in page_client(admin).get("/").get_data(as_text=True)
