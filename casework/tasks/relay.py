"""The beat relay of the transactional task outbox (``casework.core.tasks_outbox``)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from casework.core import tasks_outbox
from casework.core.db import commit, truncate_sqlite_wal
from casework.core.time import now

log = logging.getLogger(__name__)


@shared_task(name="tasks.relay_pending")
def relay_pending() -> int:
    """Hand every waiting task message to the broker, and forget those relayed long ago.

    Runs on the worker: beat's own message reaches it only once the broker is back, which is exactly
    when the waiting messages can be handed over. Two overlapping runs are safe (rows are claimed).
    """
    relayed = 0
    while True:
        batch = tasks_outbox.relay()
        relayed += batch
        if batch < tasks_outbox.RELAY_BATCH:
            break
    tasks_outbox.prune(now() - tasks_outbox.KEEP_RELAYED)
    commit()
    if relayed:
        log.info("relayed %s waiting task messages", relayed)
    return relayed


def prune_embedded_broker(broker_url: str) -> int:
    """Delete the messages the embedded broker has delivered. Kombu's SQLAlchemy transport marks a
    message it hands to a worker invisible and keeps it for ever (a message put back, by a worker's
    rejection or warm shutdown, is written again as a new row), so its file grew by every task beat and
    the pages ever sent: some 9,000 messages a day with the beat alone. Answers how many went; nothing
    for another broker (Redis deletes what it delivers), nor before the transport has made its table."""
    if not broker_url.startswith("sqla+"):
        return 0
    engine = sa.create_engine(broker_url.removeprefix("sqla+"), connect_args={"timeout": 30}, poolclass=sa.NullPool)
    try:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table("kombu_message"):
                return 0
            delete = sa.text("DELETE FROM kombu_message WHERE visible = :delivered")
            return connection.execute(delete, {"delivered": False}).rowcount
    finally:
        engine.dispose()


@shared_task(name="tasks.prune_broker")
def prune_broker() -> int:
    """Hourly: the embedded broker forgets the messages it delivered (``prune_embedded_broker``)."""
    deleted = prune_embedded_broker(current_app.config["BROKER_URL"])
    if deleted:
        log.info("deleted %s delivered messages from the embedded broker", deleted)
    return deleted


@shared_task(name="tasks.cut_sqlite_wal")
def cut_sqlite_wal() -> bool:
    """Hourly, on a SQLite file: copy the WAL file into the database and cut it (``truncate_sqlite_wal``).

    What is deleted outside the retention run (an import's uploaded file once checked or imported, the
    page forms' and the API's keys with the addresses and answers they recorded) is zeroed in
    the WAL file's newest copy of its page only: the database file keeps the page as it was until the
    next checkpoint, and the WAL file its older copies until they are written over, and SQLite copies
    back only once the WAL file holds some 40 MB (``SQLITE_AUTOCHECKPOINT_PAGES``), days in a quiet
    service. Cutting it here, whichever path deleted what, keeps a deleted value on the disk an hour at
    most. Answers whether the WAL file is empty now (always True on PostgreSQL: nothing to do)."""
    return truncate_sqlite_wal()


#: Beat entries (task name -> schedule), registered with the tasks by ``casework.tasks.init_app``.
BEAT = {
    "tasks.relay_pending": tasks_outbox.RELAY_SECONDS,
    "tasks.prune_broker": 3600,
    "tasks.cut_sqlite_wal": 3600,
}
