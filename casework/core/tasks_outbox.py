"""Transactional task enqueue: a task message is a row written in the same transaction as the data.

``enqueue("notifications.send_email", email_id)`` adds a ``PendingTask`` row to the current session.
Nothing leaves the process before the commit, and a rolled-back transaction leaves no row, so a task
never runs for data that was not saved. After the commit a relay hands the rows to the broker:

- at once, in the same process (``commit()`` runs it as an after-commit side effect), when the broker
  is up. A broker that is down, or slow to refuse, never fails the request: the error is logged and
  the row waits, since the data it is about is already committed;
- on a beat tick (``tasks.relay_pending``, every ``RELAY_SECONDS``), which picks up whatever an
  earlier relay could not hand over (a broker outage, a process that died after its commit).

Each row is claimed under a lock held until it is marked relayed, so two relays never publish the
same row. On PostgreSQL that is a row lock (``FOR UPDATE SKIP LOCKED``), which blocks no other writer.
On SQLite a row lock would be the whole database's write lock, which every request that writes would
wait for while a slow broker answers: there the relay locks the rows' ids in a file beside the
database (``casework.core.id_locks``, ``RELAY_LOCK_SUFFIX``; rows another relay holds are skipped),
claims them in a short transaction that it commits (counting the attempt), publishes outside any
transaction, and marks what it handed over in another short one. A relay that dies between publishing
and marking leaves the row unmarked (its locks die with its process) and it is published again:
every task enqueued here must therefore be idempotent (check and set a state column in its own
transaction, as ``notifications.send_email`` does with ``sent_at``). The Celery task id is derived from
the row (``pending-task-<id>``), so a second delivery of the same intent is recognisable in the logs.

``after_commit`` remains for side effects inside the process only; nothing calls ``task.delay`` from a
request any more.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from casework.core import id_locks
from casework.core.db import _QUEUE_KEY, SQLITE_IMMEDIATE, UTCDateTime, after_commit, rows_changed
from casework.extensions import Model, db

log = logging.getLogger(__name__)

#: The beat relay's interval: the longest a message waits after the broker comes back.
RELAY_SECONDS = 15.0
#: Relayed rows are kept this long (to recognise a duplicate intent by its key), then deleted.
KEEP_RELAYED = timedelta(days=7)
#: Rows handed over per relay run; the next tick takes the rest.
RELAY_BATCH = 500
#: Seconds to wait for the broker to accept a connection before leaving the messages for later.
CONNECT_TIMEOUT = 2
#: On SQLite, beside the database file: one byte locked per row being relayed.
RELAY_LOCK_SUFFIX = "-relaying"


class PendingTask(Model):
    """A task message waiting for the broker (``relayed_at`` null) or handed over to it."""

    __tablename__ = "pending_tasks"
    __table_args__ = (
        sa.Index(
            "ix_pending_tasks_unrelayed",
            "id",
            postgresql_where=sa.text("relayed_at IS NULL"),
            sqlite_where=sa.text("relayed_at IS NULL"),
        ),
        sa.Index("ix_pending_tasks_relayed_at", "relayed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered Celery task name (``notifications.send_email``).
    task_name: Mapped[str] = mapped_column(sa.String(200))
    #: Positional arguments: ids and other JSON values, never ORM objects.
    args: Mapped[list[Any]] = mapped_column(sa.JSON)
    #: Optional: enqueueing the same key again adds nothing (one intent, one row).
    dedup_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def celery_task_id(self) -> str:
        return f"pending-task-{self.id}"


def enqueue(task_name: str, *args: Any, key: str | None = None) -> PendingTask:
    """Write the intent to run ``task_name(*args)`` in the current transaction; it is handed to the
    broker after the commit. ``key`` makes a repeated enqueue of the same intent a no-op."""
    if key is not None:
        existing = db.session.scalar(sa.select(PendingTask).where(PendingTask.dedup_key == key))
        if existing is not None:
            return existing
    row = PendingTask(task_name=task_name, args=list(args), dedup_key=key)
    if key is None:
        db.session.add(row)
        db.session.flush()
    else:
        # Two transactions enqueueing the same key at once: the unique index settles it, and the
        # loser's insert fails inside this SAVEPOINT only.
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            existing = db.session.scalar(sa.select(PendingTask).where(PendingTask.dedup_key == key))
            if existing is None:
                raise
            return existing
    _relay_after_commit(row.id)
    return row


def enqueue_on_its_own(task_name: str, *args: Any) -> None:
    """Write the intent to run ``task_name(*args)`` in a transaction of its own, committed at once on a
    connection of its own to the application's engine: for work that a transaction which did not
    commit leaves behind (an object put for it that the store would not delete, ``storage.save``),
    where ``enqueue`` would have gone with that transaction. The session is not used: it may be ending.
    The beat's relay hands the row to the broker (within ``RELAY_SECONDS``).

    A test reaching this needs a committed database of its own (``tests/notifications/committed.py``):
    the row is committed, which the suite's rolled-back test transaction would neither see nor undo."""
    with db.engine.connect() as connection:
        # A write: on SQLite it takes the write lock first, whatever the unit of work's mode.
        connection.execution_options(**{SQLITE_IMMEDIATE: True})
        with connection.begin():
            connection.execute(sa.insert(PendingTask).values(task_name=task_name, args=list(args)))


def _relay_after_commit(row_id: int) -> None:
    """One relay of this transaction's rows after it commits (dropped with the transaction)."""
    session = db.session()
    for fn, args, _kwargs in session.info.get(_QUEUE_KEY, []):
        if fn is relay_committed:
            args[0].append(row_id)
            return
    after_commit(relay_committed, [row_id])


def relay_committed(ids: list[int]) -> None:
    """The after-commit relay: a failure is logged, never raised (the data is already committed)."""
    try:
        relay(ids)
    except Exception as error:
        if _eager():
            raise  # in-process tasks (tests, a dev server without a worker): their errors are the caller's
        db.session.rollback()
        log.warning("task messages %s wait for the next relay: the broker did not take them (%s)", ids, error)


def _eager() -> bool:
    from flask import current_app

    return bool(current_app.extensions["celery"].conf.task_always_eager)


def _claim(ids: list[int] | None, limit: int) -> list[PendingTask]:
    """Lock unrelayed rows (``ids``, or the oldest ``limit``) for this relay, oldest first. Rows another
    relay holds are skipped; they are its to hand over."""
    db.session.rollback()  # the claim must be the first statement of its transaction
    scope = [PendingTask.relayed_at.is_(None)]
    if ids is not None:
        scope.append(PendingTask.id.in_(ids))
    oldest = sa.select(PendingTask.id).where(*scope).order_by(PendingTask.id).limit(limit)
    if db.session.get_bind().dialect.name == "sqlite":
        # Taking the write lock first serialises relays; the WHERE re-checks under it.
        claimed = rows_changed(
            db.session.execute(
                sa.update(PendingTask)
                .where(PendingTask.id.in_(oldest.scalar_subquery()))
                .values(attempts=PendingTask.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            db.session.rollback()
            return []
        return list(
            db.session.scalars(
                sa.select(PendingTask)
                .where(*scope)
                .order_by(PendingTask.id)
                .limit(limit)
                .execution_options(populate_existing=True)
            )
        )
    rows = list(
        db.session.scalars(
            sa.select(PendingTask)
            .where(*scope)
            .order_by(PendingTask.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    if not rows:
        db.session.rollback()
    for row in rows:
        row.attempts += 1
    return rows


def publish(task_name: str, args: list[Any], task_id: str) -> None:
    """Hand one message to the broker, failing fast (no publish retries) when it is down."""
    from flask import current_app

    celery_app = current_app.extensions["celery"]
    task = celery_app.tasks.get(task_name)
    if task is None:
        raise LookupError(f"no task registered as {task_name!r}")
    if celery_app.conf.task_always_eager:
        task.apply_async(args=args, task_id=task_id)
        return
    # A pooled connection, checked once without retries: Kombu's default would retry connecting for
    # several seconds per message, holding a web request while the broker is down.
    with celery_app.pool.acquire(block=True) as connection:
        connection.ensure_connection(max_retries=0, timeout=CONNECT_TIMEOUT)
        task.apply_async(args=args, task_id=task_id, connection=connection, retry=False)


def relay(ids: list[int] | None = None, limit: int = RELAY_BATCH) -> int:
    """Hand unrelayed rows (``ids``, or the oldest ``limit``) to the broker, oldest first.

    On PostgreSQL the rows are claimed, published and marked relayed in one transaction holding their
    row locks; on SQLite (``_relay_leased``) the database is written only to claim and to mark, while
    the rows' id locks are held throughout. At the first broker error (the rest would fail the same
    way) the rows already handed over are marked, the error is recorded on the next one, and it is
    raised. Returns how many rows this call handed over.
    """
    from casework.core.time import now

    if not _eager() and db.session.get_bind().dialect.name == "sqlite":
        return _relay_leased(ids, limit)
    rows = _claim(ids, limit)
    if not rows:
        return 0
    messages = [(row.task_name, list(row.args), row.celery_task_id) for row in rows]
    moment = now()
    if _eager():
        # The tasks run here, on this connection: mark and commit first, and touch the session no
        # more, so that the tasks' own transactions are not nested inside the relay's.
        for row in rows:
            row.relayed_at = moment
        db.session.commit()
        for message in messages:
            publish(*message)
        return len(messages)
    handed_over = 0
    try:
        for message in messages:
            publish(*message)
            handed_over += 1
    except Exception as error:
        for row in rows[:handed_over]:
            row.relayed_at = moment
        rows[handed_over].last_error = f"{type(error).__name__}: {error}"[:500]
        db.session.commit()
        raise
    for row in rows:
        row.relayed_at = moment
    db.session.commit()
    return handed_over


def _relay_leased(ids: list[int] | None, limit: int) -> int:
    """``relay`` on SQLite: the rows are locked by id outside the database (``id_locks``) rather than
    by its write lock, which is held only while the claim and the marks are written."""
    from casework.core.time import now

    db.session.rollback()  # nothing of an earlier transaction is held while the broker answers
    scope = [PendingTask.relayed_at.is_(None)]
    if ids is not None:
        scope.append(PendingTask.id.in_(ids))
    candidates = list(db.session.scalars(sa.select(PendingTask.id).where(*scope).order_by(PendingTask.id).limit(limit)))
    db.session.rollback()
    if not candidates:
        return 0
    with id_locks.holding(db.session.get_bind().engine.url, RELAY_LOCK_SUFFIX, candidates) as held:
        if not held:
            return 0  # another relay is handing them over
        # The claim re-checks under the locks: a relay that let them go since may have marked them.
        mine = [PendingTask.relayed_at.is_(None), PendingTask.id.in_(held)]
        claimed = rows_changed(
            db.session.execute(
                sa.update(PendingTask)
                .where(*mine)
                .values(attempts=PendingTask.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            db.session.rollback()
            return 0
        messages = [
            (row.task_name, list(row.args), row.celery_task_id, row.id)
            for row in db.session.scalars(
                sa.select(PendingTask).where(*mine).order_by(PendingTask.id).execution_options(populate_existing=True)
            )
        ]
        db.session.commit()  # the claim is written: let the write lock go before the broker is spoken to
        handed_over: list[int] = []
        failure: Exception | None = None
        for task_name, args, task_id, row_id in messages:
            try:
                publish(task_name, args, task_id)
            except Exception as error:  # the rest would fail the same way
                failure = error
                break
            handed_over.append(row_id)
        if handed_over:
            db.session.execute(
                sa.update(PendingTask)
                .where(PendingTask.id.in_(handed_over))
                .values(relayed_at=now())
                .execution_options(synchronize_session=False)
            )
        if failure is not None:
            db.session.execute(
                sa.update(PendingTask)
                .where(PendingTask.id == messages[len(handed_over)][3])
                .values(last_error=f"{type(failure).__name__}: {failure}"[:500])
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    if failure is not None:
        raise failure
    return len(handed_over)


def prune(before: datetime) -> int:
    """Delete rows relayed before ``before``; unrelayed rows are never deleted."""
    deleted = rows_changed(
        db.session.execute(
            sa.delete(PendingTask)
            .where(PendingTask.relayed_at.is_not(None), PendingTask.relayed_at < before)
            .execution_options(synchronize_session=False)
        )
    )
    return deleted or 0


def waiting() -> int:
    """How many task messages are waiting for the broker (for operators)."""
    return db.session.scalar(sa.select(sa.func.count()).where(PendingTask.relayed_at.is_(None))) or 0
