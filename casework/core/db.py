"""The declarative base and the column types every model uses.

Decided once here: the constraint naming convention (so migrations name constraints the same on SQLite
and PostgreSQL), timezone-aware UTC timestamps set by the database, enums stored as readable strings with a
CHECK constraint, and the one place a transaction is committed, followed by its side effects.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import functools
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm.base import NO_VALUE

from casework.core.write_lock import FileWriteLock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC.

    PostgreSQL keeps the zone (timestamptz); SQLite stores naive text, so the zone is put back on read.
    Naive datetimes are refused: a time without a zone is a bug waiting for the clocks to change.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None]:
        """What ``TypeDecorator`` builds (the driver's conversion, then ``process_result_value``) in
        one function that returns at once for NULL: a case page reads hundreds of timestamps, most
        of them the NULL columns of records its outer joins did not find."""
        convert = self.impl_instance.result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            moment: datetime | None = value if value is None or convert is None else convert(value)
            if moment is None:
                return None
            if moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)

        return process


def enum_column(enum_cls: type[enum.Enum], **kwargs: Any) -> sa.Enum:
    """Store an enum by value as VARCHAR with a CHECK constraint (readable in SQL, portable)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda members: [m.value for m in members],
        name=kwargs.pop("name", enum_cls.__name__.lower()),
        validate_strings=True,
        **kwargs,
    )


def shared_alias(entity: Any, name: str | None = None) -> Any:
    """An alias of ``entity`` (``sa.orm.aliased``) that several threads may build statements from at
    once: one kept by a function that builds a statement once per process, or by a cache.

    A column is adapted to an alias by looking it up in an index of the alias's columns, which
    SQLAlchemy fills the first time a column is looked up, without a lock: a second thread that
    finds the index part filled does not find the column, leaves it unadapted, and the statement
    names the table itself beside its alias (a cartesian product). A worker serving case pages on 8
    threads cached such a statement for its life: failed pages, a worker killed for its memory. The
    index is filled here, by one lookup, before the alias is shared (SQLAlchemy's own joined loader
    fills its kept aliases' columns for the same reason). Every alias in the service is made here
    (``tests/test_code_shape.py``)."""
    alias = sa.orm.aliased(entity, name=name)
    selectable = sa.inspect(alias).selectable
    selectable.corresponding_column(next(iter(sa.inspect(entity).local_table.c)))
    return alias


def rows_changed(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (``session.execute`` is typed as returning any
    ``Result``; for those statements it is a ``CursorResult``, which counts them)."""
    return cast("sa.CursorResult[Any]", result).rowcount


def is_unique_violation(error: sa.exc.IntegrityError) -> bool:
    """Whether the database refused a row because a unique index or primary key already holds its key
    (PostgreSQL's SQLSTATE 23505; SQLite's "UNIQUE constraint failed")."""
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if code is not None:
        return str(code) == "23505"
    return "UNIQUE constraint failed" in str(original)


def add_unless_taken(*rows: Any) -> bool:
    """Add ``rows`` (one record, or rows that go together) unless a unique index says another transaction
    wrote the same at the same moment: True when they were written, False when they were refused (and
    nothing of them is left in the session).

    A service that checks "is it there already?" before adding reads the database as it was before a
    concurrent request committed: both see nothing, both add, and the unique index refuses the second
    one's row (on PostgreSQL the second insert waits for the first transaction, and fails once it has
    committed). The rows are written in a SAVEPOINT, so the refusal undoes them alone and the caller
    goes on: an "add if absent" finds the other's row, a "create only one" tells the user it exists.
    On SQLite, whose writers take turns (``BEGIN IMMEDIATE``), the check before never misses, and this
    only writes the rows."""
    from casework.extensions import db

    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
    except sa.exc.IntegrityError as error:
        if not is_unique_violation(error):
            raise
        return False
    return True


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimestampMixin:
    #: Set by the database when the row is inserted.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), nullable=False)
    #: Set by the database on insert and by SQLAlchemy on every update.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=sa.func.now(), onupdate=utcnow, nullable=False
    )


class VersionedMixin:
    """Optimistic locking: an update carrying an old version answers 409."""

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1, server_default="1")

    @sa.orm.declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


# --- transactions and their side effects -----------------------------------------------------------

_QUEUE_KEY = "casework_after_commit"
_UNDO_KEY = "casework_on_rollback"
#: Set in ``session.info`` once the current transaction has written through the session (a flush, or
#: an INSERT, UPDATE or DELETE run with ``session.execute``); cleared when the transaction ends.
_WROTE_KEY = "casework_transaction_wrote"


def after_commit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn`` once the current transaction has committed (emails, ``task.delay``).

    A request that fails and rolls back sends nothing, and a task never looks for a row that its
    sender has not committed yet.
    """
    from casework.extensions import db

    session = db.session()
    if not session.in_transaction():
        # Tie the side effect to a transaction even when nothing was written yet, so that a rollback
        # (which only signals when a transaction exists) discards it.
        session.begin()
    session.info.setdefault(_QUEUE_KEY, []).append((fn, args, kwargs))


def on_rollback(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn`` if the current transaction ends without committing: undo a change made outside the
    database before the commit (a file put in an object store for a row that is now never written).
    A rollback ends it so, and so does the session's close with the transaction still open (an error
    no handler rolled back: a task that raised, a view that aborted), which rolls it back too.

    Dropped when the transaction commits. Run for the outermost transaction only, like
    ``after_commit``: a rolled-back SAVEPOINT keeps what it queued, which errs towards leaving an
    unreferenced object (harmless) rather than deleting one a committed row refers to. ``fn`` runs
    once the transaction's connection has been given back: it holds no lock, and may not use the
    session.
    """
    from casework.extensions import db

    session = db.session()
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_UNDO_KEY, []).append((fn, args, kwargs))


def commit() -> None:
    """Commit the request's or task's transaction, then run the queued side effects.

    A page form's submission key is written in the same transaction (``casework.core.submissions``):
    when another request saved the same form at the same moment, this raises ``AlreadySaved`` instead
    of committing."""
    from casework.core.submissions import record_before_commit
    from casework.extensions import db

    record_before_commit()
    db.session.commit()
    # The side effects may write (the task outbox's relay marks what it handed over): they run in the
    # unit of work's own mode. Only what follows them, building the answer, reads.
    run_queued(db.session())
    answer_reads_only()


def execute_values(statement: sa.Executable, params: dict[str, Any] | None = None) -> sa.CursorResult[Any]:
    """Run ``statement``, which selects columns only (no entities), in the request's session: its
    transaction and engine, and its autoflush, as ``Session.execute`` would, but on the session's
    connection. ``Session.execute`` would also run the ORM's loading, which sets up a row processor for
    each selected column on every execution, for rows that are plain values either way."""
    from casework.extensions import db

    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection(bind_arguments={"clause": statement}).execute(statement, params)


#: Statements given to ``prebuilt``, by identity, each with what executes it. The statement is held
#: here, so its identity cannot be given to another object while it is in the table.
_PREBUILT: dict[int, tuple[sa.Executable, sa.StatementLambdaElement]] = {}
_PREBUILT_LOCK = threading.Lock()
#: ``prebuilt`` is for statements built once for the process's life: more than this is a statement
#: built per request given to it by mistake, which would grow the table without end.
PREBUILT_MAX = 500


def prebuilt(statement: sa.Executable) -> sa.StatementLambdaElement:
    """``statement``, to execute with a cache key of its own instead of one worked out from it.

    SQLAlchemy looks up a statement's compiled form by a cache key describing the whole statement, a
    nested tuple that is hashed and compared again at every execution: for the case page's statements,
    which select hundreds of columns, that lookup took about a twentieth of the case pages' CPU
    (``docs/performance.md``, ``bench/interleaved.py``). A lambda statement whose key is a number given here once
    skips it: the statement is compiled once per engine and its execution looks up that number.

    Only for a statement built once and kept for the process's life (a module constant, or the result
    of a builder cached with ``functools.cache``), with its values as bind parameters: the key says
    nothing of the statement's contents, so a statement built per request must never be given here
    (the table refuses to grow past ``PREBUILT_MAX``)."""
    found = _PREBUILT.get(id(statement))
    if found is not None:
        return found[1]
    with _PREBUILT_LOCK:
        found = _PREBUILT.get(id(statement))
        if found is None:
            if len(_PREBUILT) >= PREBUILT_MAX:
                raise RuntimeError("prebuilt() is for statements built once: more than PREBUILT_MAX were given")
            # The closure's statement is not looked into (track_closure_variables=False): the number,
            # unique to this statement, is the whole cache key.
            element = sa.lambda_stmt(lambda: statement, track_closure_variables=False, track_on=[len(_PREBUILT)])
            found = _PREBUILT[id(statement)] = (statement, element)
    return found[1]


def end_read_transaction() -> None:
    """End the current transaction when it has only read, before slow work that needs no lock.

    Checking a password takes a noticeable time on purpose (argon2). Inside a transaction that may
    write, SQLite holds its write lock all that time (``BEGIN IMMEDIATE``, see the transaction modes below), so people
    signing in at the same moment would queue behind each other's hashing. Nothing is lost: the
    transaction wrote nothing, and what it loaded is read again when next used. A transaction that
    wrote anything, flushed or not, or queued work for its commit, is left open: ending it here would
    commit part of a unit of work.
    """
    from casework.extensions import db

    session = db.session()
    # Rows already flushed are not in ``new`` or ``dirty`` any more: without the flag they would be
    # committed here, half of a unit of work that may yet fail.
    if session.in_transaction() and not (
        session.new or session.dirty or session.deleted or session.info.get(_QUEUE_KEY) or session.info.get(_WROTE_KEY)
    ):
        session.commit()


def let_go_of_the_write_lock() -> bool:
    """On SQLite, before slow work outside the database (an object store's PUT or GET, a PDF render):
    end the current transaction when it holds the write lock and has written nothing yet, so that no
    writer waits for that work (and, past the busy timeout, fails with "database is locked"). The next
    statement begins a new transaction, taking the lock again. True when it was ended.

    What the session loaded is kept as it was read, not read again: a versioned row changed after this
    is still checked at the version it was read at (``UPDATE ... WHERE version = ?``: a change made in
    between by someone else fails with a 409), as on PostgreSQL, where the whole transaction's reads
    take no lock either. A service that must hold what it read takes ``FOR UPDATE`` locks: on SQLite
    those are the write lock itself, so a transaction that took one keeps it. Anywhere else (a
    transaction that wrote or queued something, a SAVEPOINT, PostgreSQL, no application at all: a PDF
    rendered by a script) it does nothing. ``outside_the_write_lock`` is the block to use."""
    from flask import has_app_context

    from casework.extensions import db

    if not has_app_context():
        return False
    session = db.session()
    # The database first, from the session's bind, which connects to nothing: anywhere but SQLite this
    # must not even check out a connection (``session.connection()`` would, for a transaction begun
    # without one yet).
    if (
        bind_for_writes(session).dialect.name != "sqlite"
        or not session.in_transaction()
        or session.in_nested_transaction()
        or session.new
        or session.dirty
        or session.deleted
        or session.info.get(_QUEUE_KEY)
        or session.info.get(_UNDO_KEY)
    ):
        return False
    connection = session.connection()
    if connection.info.get(_ROWS_LOCKED_KEY):
        return False
    began_at = connection.info.get(_CHANGES_AT_BEGIN_KEY)
    dbapi_connection = connection.connection.dbapi_connection
    if began_at is None or dbapi_connection is None or dbapi_connection.total_changes != began_at:
        return False
    _end_keeping_what_was_loaded(session)
    return True


def _end_keeping_what_was_loaded(session: Session) -> None:
    """End a transaction that wrote nothing, leaving the loaded rows as they were read (a rollback, or
    a commit in the session's usual way, would expire them, to be read again at their newest)."""
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


@contextlib.contextmanager
def outside_the_write_lock() -> Iterator[bool]:
    """Slow work outside the database (an object store's PUT or GET, a PDF render), done without
    SQLite's write lock when the transaction has written nothing yet (``let_go_of_the_write_lock``):
    inside the block the session only reads (a lazy load takes no lock; on SQLite a write fails, being
    ``query_only``), and the first statement after it begins a transaction that takes the lock again.
    Yields whether the lock was let go; where it cannot be (the transaction wrote, PostgreSQL, a
    SAVEPOINT in the tests) the work runs where it stands. A service puts its slow work before its
    first write for this to help: its writes then follow, checked against what it read before
    (versioned rows by their version, other rows read again when the decision depends on them)."""
    if not let_go_of_the_write_lock():
        yield False
        return
    from flask import g, has_request_context

    from casework.extensions import db

    token = _READING.set(True)
    in_request = has_request_context()
    previous_mode = g.get(_MODE_KEY) if in_request else None
    if in_request:
        setattr(g, _MODE_KEY, "read")
    try:
        yield True
    finally:
        if in_request:
            if previous_mode is None:
                g.pop(_MODE_KEY, None)
            else:
                setattr(g, _MODE_KEY, previous_mode)
        _READING.reset(token)
        session = db.session()
        if session.in_transaction():
            try:
                _end_keeping_what_was_loaded(session)
            except Exception:
                session.rollback()
                raise


def run_queued(session: Session) -> None:
    queued = session.info.pop(_QUEUE_KEY, [])
    for fn, args, kwargs in queued:
        fn(*args, **kwargs)


def discard_queued(session: Session) -> None:
    session.info.pop(_QUEUE_KEY, None)


def _discard_on_rollback(session: Session, previous_transaction: Any) -> None:
    # Only the outermost transaction: a rolled-back SAVEPOINT does not void what was queued before it.
    if previous_transaction.parent is None:
        discard_queued(session)


def _undo_unless_committed(session: Session, transaction: Any) -> None:
    # At the end of the outermost transaction, however it ended: a commit took the undo away first
    # (``_forget_undo_on_commit``), so what is left belongs to a transaction that did not commit. Not
    # at ``after_soft_rollback`` alone: a session closed with its transaction open (the app context's
    # teardown after an error nothing rolled back) rolls it back without that event.
    if transaction.parent is None:
        for fn, args, kwargs in session.info.pop(_UNDO_KEY, []):
            try:
                fn(*args, **kwargs)
            except Exception:  # undoing is best effort; the transaction's end must go on
                logging.getLogger(__name__).exception(
                    "could not undo %s%r after a transaction that did not commit", getattr(fn, "__qualname__", fn), args
                )


def _forget_undo_on_commit(session: Session) -> None:
    session.info.pop(_UNDO_KEY, None)


def _note_flushed(session: Session, _flush_context: Any) -> None:
    session.info[_WROTE_KEY] = True


def _note_written(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE_KEY] = True


def _forget_written(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE_KEY, None)


def configure_session_events() -> None:
    """A rolled-back transaction's side effects are dropped, so a later commit cannot run them; values
    the database cannot store are refused before they are sent to it."""
    from casework.core import request_cache

    if not event.contains(Session, "after_soft_rollback", _discard_on_rollback):
        event.listen(Session, "after_soft_rollback", _discard_on_rollback)
    if not event.contains(Session, "after_commit", _forget_undo_on_commit):
        event.listen(Session, "after_commit", _forget_undo_on_commit)
    if not event.contains(Session, "after_transaction_end", _undo_unless_committed):
        event.listen(Session, "after_transaction_end", _undo_unless_committed)
    if not event.contains(Session, "before_flush", refuse_unstorable_values):
        event.listen(Session, "before_flush", refuse_unstorable_values)
    for name, listener in (
        ("after_flush", _note_flushed),
        ("do_orm_execute", _note_written),
        ("after_transaction_end", _forget_written),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    request_cache.configure_session_events()


def unstorable_value_problem(column: sa.Column[Any], value: Any) -> str | None:
    """Why ``value`` cannot be stored in ``column`` (what PostgreSQL would refuse, and SQLite accept)."""
    from casework.core.inputs import DB_INT_MAX, DB_INT_MIN, has_unstorable

    if value is None:
        return None
    kind = column.type
    if isinstance(value, str):
        if has_unstorable(value):
            return "Remove the character that cannot be saved (a null or an unpaired surrogate character)"
        length = getattr(kind, "length", None)
        if isinstance(kind, sa.String) and length and len(value) > length:
            return f"Enter no more than {length} characters"
    elif isinstance(kind, sa.Integer) and not isinstance(kind, sa.BigInteger) and isinstance(value, int):
        if not DB_INT_MIN <= value <= DB_INT_MAX:
            return "Enter a smaller number"
    elif isinstance(kind, sa.Numeric) and kind.precision is not None and not isinstance(value, float | bool):
        whole_digits = kind.precision - (kind.scale or 0)
        try:
            if abs(value) >= 10**whole_digits:
                return "Enter a smaller amount"
        except TypeError:
            return None
    return None


def refuse_unstorable_values(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse, as invalid input, a value that the database would reject with an error (a 500).

    One check for every write, whichever form, endpoint, task or command it comes from: a string
    longer than its column, an integer outside the column's range, a NUL character. The field named
    is the attribute, which is what the inputs call it too.
    """
    from casework.core.errors import InvalidInput

    errors: dict[str, list[str]] = {}
    for obj in [*session.new, *session.dirty]:
        state = sa.inspect(obj)
        mapper = state.mapper
        for attribute in mapper.column_attrs:
            if not state.transient and not state.pending and not state.attrs[attribute.key].history.has_changes():
                continue
            value = state.attrs[attribute.key].loaded_value
            if value is NO_VALUE:
                continue
            for column in attribute.columns:
                problem = unstorable_value_problem(column, value)
                if problem:
                    errors.setdefault(attribute.key, []).append(problem)
    if errors:
        raise InvalidInput(errors)


#: ``session.connection(execution_options={SQLITE_IMMEDIATE: True})`` before a transaction's first
#: statement: on SQLite it begins with BEGIN IMMEDIATE (ignored by PostgreSQL).
SQLITE_IMMEDIATE = "casework_sqlite_immediate"


# --- transaction modes ------------------------------------------------------------------------------
#
# On SQLite (the embedded default) a transaction that writes must take the write lock before it reads:
# in WAL mode a transaction that began by reading cannot start writing once another connection has
# committed (the write fails at once with "database is locked", whatever the busy timeout). So each
# unit of work declares, before its first statement, what it will do:
#
# - ``read``: a GET, HEAD or OPTIONS request. A deferred ``BEGIN``: readers never queue behind
#   writers. ``PRAGMA query_only`` makes a write fail every time (in the tests, which all run on
#   SQLite too) rather than now and then under load.
# - ``record``: a GET whose view is marked ``@records_view``: it reads like the others and then writes
#   a record of what was seen (the audit entry). It reads in a deferred transaction; its first write
#   ends that read and takes the write lock in a new transaction, so the lock is held for the record
#   only, not while the page is loaded and rendered.
# - ``write``: everything else (unsafe requests, Celery tasks, commands): ``BEGIN IMMEDIATE``, so the
#   write lock is taken first and waited for (up to the busy timeout) instead of failing half-way.
#   Once a request has committed (``commit()``), it goes on in ``read``: loading its answer does not
#   hold the write lock.
#
# PostgreSQL needs none of this: its ``write`` transactions are unchanged, and its ``read`` and
# ``record`` ones run on connections that are read-only until a ``record`` writes (below).

#: Request methods that only read, unless the view is marked ``@records_view``.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RECORDS_VIEW_ATTR = "casework_records_view"
_MODE_KEY = "casework_transaction_mode"
_DEFERRED_WRITE_KEY = "casework_deferred_write"
_GUARDED_KEY = "casework_query_only_connection"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

F = TypeVar("F", bound=Callable[..., Any])


def records_view(view: F) -> F:
    """Mark a GET view that writes a record of what it showed (an audit entry of the view).

    Its writes must not depend on what it read: on SQLite they happen in a later transaction than
    the reads (see the transaction modes above).
    """
    setattr(view, _RECORDS_VIEW_ATTR, True)
    return view


def choose_transaction_mode() -> None:
    """``before_request``: decide, before the first statement, what this request may do."""
    from flask import current_app, g, request

    if request.method not in SAFE_METHODS:
        mode = "write"
    else:
        view = current_app.view_functions.get(request.endpoint or "")
        mode = "record" if getattr(view, _RECORDS_VIEW_ATTR, False) else "read"
    g.setdefault(_MODE_KEY, mode)


def answer_reads_only() -> None:
    """After a request has committed its work, what follows only builds the answer: it reads."""
    from flask import g, has_request_context

    # Only a request's own context has a mode: a task run eagerly inside a request has its own.
    if has_request_context() and _MODE_KEY in g:
        setattr(g, _MODE_KEY, "read")


def writes_from_here() -> None:
    """A read request that is about to write a record of what it showed (the audit log's view
    entries, written after the answer is built): its next transaction takes the write lock."""
    from flask import g, has_request_context

    if has_request_context():
        setattr(g, _MODE_KEY, "write")


def begin_writing() -> None:
    """A read request that goes on to write something of its own (a job it was asked to queue), not a
    record of what it showed: its read transaction ends here, and the next one takes the write lock.

    What the write depends on is read again in that transaction: the read one saw the database as it
    was before the lock (on SQLite it could not write anyway, being ``query_only``).
    """
    from casework.extensions import db

    session = db.session()
    if session.in_transaction():
        session.rollback()
    writes_from_here()


#: Outside a request: a unit of work that only reads (``reading``).
_READING: contextvars.ContextVar[bool] = contextvars.ContextVar("casework_reading", default=False)


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Outside a request (a task, a command): the transactions begun in this block only read, as a GET's
    do (on SQLite they neither take nor wait for the write lock). End them before the block ends (a
    rollback): a write after it takes the write lock in a transaction of its own."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def transaction_mode() -> str:
    """``read``, ``record`` or ``write`` (outside a request: Celery tasks and commands write, unless
    ``reading``)."""
    from flask import g, has_request_context

    if has_request_context():
        return cast(str, g.get(_MODE_KEY, "write"))
    return "read" if _READING.get() else "write"


#: A connection back from the pool is pinged first only when it has been idle this long.
PING_AFTER_IDLE_SECONDS = 1.0
_LAST_USED_KEY = "casework_last_used"


def ping_after_idle(engine: sa.Engine) -> None:
    """Check that a connection still works before handing it out, when it has been idle a while.

    Instead of ``pool_pre_ping``, which pings on every checkout: a request checks a connection out
    for its reads and again for its view entries and session writes, and on PostgreSQL each ping is a
    round trip (and a wake-up of the server's process on the same cores). A connection that answered
    within the last second is handed out as it is. A dead one (the server restarted, a network
    device dropped it) is found as ``pool_pre_ping`` finds it, and every connection opened before it
    is replaced too; one that died within the last second of use fails its request, as a request
    under way when the server went down does.
    """

    def used_now(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED_KEY] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED_KEY, float("-inf")) < PING_AFTER_IDLE_SECONDS:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise sa.exc.InvalidatePoolError() from error  # the pool retries with a new connection
            raise
        record.info[_LAST_USED_KEY] = time.monotonic()

    event.listen(engine, "connect", used_now)
    event.listen(engine, "checkin", used_now)


# --- Forked processes ------------------------------------------------------------------------------------
#
# gunicorn's master builds the app once and forks its workers from it (``--preload``, as the image and the
# systemd unit run it), and Celery's pool processes are forked from the worker's master: a child inherits
# its parent's engines, with any connection their pools hold. Two processes speaking on one PostgreSQL
# socket corrupt each other's conversations, and SQLite forbids using a connection in a child. So a
# child starts with empty pools and opens its own. ``dispose(close=False)`` forgets the inherited
# connections without closing them: closing would end them for the parent too (psycopg, for the same
# reason, does not close a connection another process opened when it is collected).

#: The engines configured here, by this process or the one it was forked from.
_ENGINES: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _forget_inherited_connections() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


@functools.cache
def _forget_inherited_connections_in_every_child() -> None:
    """Once per process, when its first engine is configured (nothing is registered at import)."""
    os.register_at_fork(after_in_child=_forget_inherited_connections)


def _forget_connections_when_forked(engine: sa.Engine) -> None:
    # An in-memory SQLite database lives in its one connection: a child that forgot the connection would
    # find an empty database. (Only tests use one.)
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return
    _forget_inherited_connections_in_every_child()
    _ENGINES.add(engine)


#: How long a transaction waits for SQLite's write lock before failing with "database is locked".
SQLITE_BUSY_SECONDS = 30
_HOLDS_WRITE_LOCK_KEY = "casework_holds_write_lock"
_HOLDS_FILE_LOCK_KEY = "casework_holds_file_write_lock"
#: The driver's ``total_changes`` when the transaction holding the write lock began (``release_write_lock``
#: forgets it): unchanged, the transaction has written nothing (``let_go_of_the_write_lock``).
_CHANGES_AT_BEGIN_KEY = "casework_changes_at_begin"
#: Set when a statement of the transaction locked rows (``FOR UPDATE``): on SQLite the write lock is
#: that lock, so ``let_go_of_the_write_lock`` keeps it.
_ROWS_LOCKED_KEY = "casework_rows_locked"
#: Beside the database file: the lock its writing processes take in turn.
WRITE_LOCK_SUFFIX = "-writelock"
#: SQLite copies the WAL back into the database file (a checkpoint, with two fsyncs) in the COMMIT that
#: finds this many pages in it, while that writer holds the write lock that every writer of every
#: process queues for. Its default, 1,000 pages, checkpointed every few dozen of the view entries' commits:
#: under wrk, about 30 fsyncs a second, each a wait for every writer.
SQLITE_AUTOCHECKPOINT_PAGES = 10_000
#: The WAL file's size once a checkpoint lets it start again (bytes): a little over what the
#: autocheckpoint lets it grow to, so it is not cut and grown back each time.
SQLITE_JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
#: How long a checkpoint after retention waits for other transactions, each time it tries (ms).
SQLITE_CHECKPOINT_WAIT_MS = 250


def _sqlite_file_lock(url: sa.URL) -> FileWriteLock | None:
    """The file lock of a SQLite database file; none for an in-memory database (one process's) or
    one named by a ``file:`` URI (left to SQLite's lock)."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("uri") or database.startswith("file:"):
        return None
    return FileWriteLock(os.path.abspath(database) + WRITE_LOCK_SUFFIX)


def configure_engine_events(engine: sa.Engine, *, reads_in_autocommit: bool = False) -> None:
    """SQLite needs help to behave like the database the service is written for; PostgreSQL's read
    transactions are declared read-only, and ended without forgetting what psycopg prepared.
    ``reads_in_autocommit``: SQLite's read engine, whose ``read`` transactions send no ``BEGIN``."""
    _forget_connections_when_forked(engine)
    ping_after_idle(engine)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        _configure_psycopg(engine)
    if engine.dialect.name != "sqlite":
        return
    # The threads of one process take SQLite's write lock in turn through this lock, and processes
    # (the other web worker, the Celery worker and beat) through a file lock beside the database
    # (casework.core.write_lock): a waiter is woken as soon as the lock is free, where SQLite's own
    # busy handler polls with growing sleeps and can leave one waiter behind for ever under load.
    write_lock = threading.Lock()
    file_lock = _sqlite_file_lock(engine.url)

    def take_write_lock(conn: sa.Connection) -> None:
        # Past the timeout, go on without it and let SQLite's busy handler have the last word. The
        # file lock is taken only by the thread holding the process's lock: the process's threads
        # share it (one descriptor), so it is the process's, not the thread's.
        deadline = time.monotonic() + SQLITE_BUSY_SECONDS
        if write_lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            conn.info[_HOLDS_WRITE_LOCK_KEY] = True
            if file_lock is not None and file_lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
                conn.info[_HOLDS_FILE_LOCK_KEY] = True
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is not None:
            conn.info[_CHANGES_AT_BEGIN_KEY] = dbapi_connection.total_changes

    def release_write_lock(info: dict[str, Any]) -> None:
        # The file lock first: once the process's lock is free, another thread may take the file lock.
        info.pop(_CHANGES_AT_BEGIN_KEY, None)
        info.pop(_ROWS_LOCKED_KEY, None)
        try:
            if info.pop(_HOLDS_FILE_LOCK_KEY, False) and file_lock is not None:
                file_lock.release()
        finally:
            if info.pop(_HOLDS_WRITE_LOCK_KEY, False):
                write_lock.release()

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so SAVEPOINTs work (pysqlite's own transaction handling
        # breaks them), enforce foreign keys, and let the web server, worker and beat share the file.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL syncs at checkpoints rather than at every commit: the database cannot be
        # corrupted, but a power cut may lose the last moments' commits. Syncing every commit limits
        # the embedded default to a few dozen writes a second, and every case view is one.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        # Checkpoints a tenth as often (SQLITE_AUTOCHECKPOINT_PAGES): the WAL file grows to about 40 MB
        # rather than 4 before it is copied back, and a power cut may lose that many pages of commits
        # rather than 1,000 (NORMAL syncs at checkpoints).
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
        # What retention erases must not stay readable in the file: freed pages and deleted cells are
        # overwritten with zeros (not every build of SQLite does it by default), and the WAL file is cut
        # back to this size whenever it starts again from its beginning, so old frames beyond it (old
        # copies of pages) do not linger. Retention truncates it outright (truncate_sqlite_wal), and so
        # does the hourly beat task tasks.cut_sqlite_wal, for whatever else deleted values.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_SIZE_LIMIT}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: sa.Connection) -> None:
        mode = transaction_mode()
        if conn.get_execution_options().get(SQLITE_IMMEDIATE):
            mode = "write"  # asked for by a unit of work that reads and then writes what it read
        conn.info.pop(_DEFERRED_WRITE_KEY, None)
        _set_query_only(conn.connection.dbapi_connection, mode == "read")
        if mode == "write":
            take_write_lock(conn)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        if mode == "read" and reads_in_autocommit:
            return  # each statement a read transaction of its own, as on PostgreSQL (configure_read_engine)
        conn.exec_driver_sql("BEGIN")
        if mode == "record":
            conn.info[_DEFERRED_WRITE_KEY] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_take_write_lock(conn: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        # ``record`` mode: the first write ends the read (which wrote nothing) and starts a transaction
        # holding the write lock. Not under a SAVEPOINT, which the COMMIT would end with it.
        if conn.info.get(_DEFERRED_WRITE_KEY) and statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
            del conn.info[_DEFERRED_WRITE_KEY]
            if not conn.in_nested_transaction():
                dbapi_connection = conn.connection.dbapi_connection
                assert dbapi_connection is not None  # an open connection's
                dbapi_connection.execute("COMMIT")
                take_write_lock(conn)
                dbapi_connection.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_execute")
    def _note_rows_locked(conn: sa.Connection, clauseelement: Any, *_args: Any) -> None:
        # SQLite has no FOR UPDATE (the statement is sent without it): the write lock is what holds
        # those rows, and must not be let go before the transaction ends. SQLAlchemy says whether a
        # statement locks only in ``_for_update_arg``, a private attribute (no public accessor, and
        # the compiled SQL has none on SQLite): tests/core/test_slow_work_outside_write_lock.py locks
        # rows in each way the services do, and fails should it stop being seen here.
        if getattr(clauseelement, "_for_update_arg", None) is not None:
            conn.info[_ROWS_LOCKED_KEY] = True

    # The locks are let go once the COMMIT or ROLLBACK has let go of SQLite's own, not at the
    # ``commit`` and ``rollback`` events, which come before it is sent: a writer woken there found
    # SQLite's lock still held and fell into its busy handler's sleeps. Given the pool's connection,
    # whose ``info`` is the one the locks were noted in.
    commit, rollback = engine.dialect.do_commit, engine.dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            release_write_lock(_pool_info(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            release_write_lock(_pool_info(dbapi_connection))

    engine.dialect.do_commit = do_commit  # type: ignore[method-assign]
    engine.dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    # A connection that goes back to the pool, or is thrown away, without a commit or rollback
    # (a failure half-way) must not keep the lock.
    @event.listens_for(engine, "checkin")
    def _sqlite_checked_in(_dbapi_connection: Any, record: Any) -> None:
        release_write_lock(record.info)

    @event.listens_for(engine, "invalidate")
    def _sqlite_invalidated(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        release_write_lock(record.info)


def _pool_info(connection: Any) -> dict[str, Any]:
    """The ``info`` of a connection the dialect is given: the pool's, except for the driver's own
    connection or SQLAlchemy's stand-in while it first connects (neither of which holds a lock)."""
    try:
        return cast("dict[str, Any]", connection.info)
    except (AttributeError, NotImplementedError):
        return {}


def _set_query_only(dbapi_connection: Any, on: bool) -> None:
    # On the driver's connection directly: not one of the request's statements. Setting a PRAGMA,
    # even to the value it has, expires every statement SQLite has prepared on the connection, so
    # each statement of the next request would be compiled again (a case view's statement of every
    # domain's records costs twice as much that way); reading one does not. So it is set only when
    # it changes.
    if dbapi_connection.execute("PRAGMA query_only").fetchone()[0] != int(on):
        dbapi_connection.execute(f"PRAGMA query_only={int(on)}")


def _guard_begin(session: Session, _transaction: Any, connection: sa.Connection) -> None:
    # The BEGIN above sets the guard for a session's own transaction. In the tests a request's
    # transaction is a SAVEPOINT inside the test's transaction (no BEGIN), and is guarded here; the
    # test holds that connection, so it is set back when the request's transaction ends.
    if connection.dialect.name == "sqlite" and connection.in_nested_transaction() and transaction_mode() == "read":
        dbapi_connection = connection.connection.dbapi_connection
        _set_query_only(dbapi_connection, True)
        session.info[_GUARDED_KEY] = dbapi_connection


def _guard_end(session: Session, transaction: Any) -> None:
    # The connection goes back as it came: writable (the next BEGIN sets it again anyway).
    if transaction.parent is None and _GUARDED_KEY in session.info:
        _set_query_only(session.info.pop(_GUARDED_KEY), False)


def configure_transaction_guard() -> None:
    """Read-only transactions refuse to write (on SQLite, where every test also runs)."""
    if not event.contains(Session, "after_begin", _guard_begin):
        event.listen(Session, "after_begin", _guard_begin)
        event.listen(Session, "after_transaction_end", _guard_end)


# --- Read transactions on connections that stay read-only (SQLite files and PostgreSQL) --------------------
#
# Setting ``PRAGMA query_only``, even to the value it has, expires every statement SQLite has prepared on
# the connection. A read request reads in a read-only transaction and then writes its view entries (or
# its session's bookkeeping) in one that may write: on a single pool of connections the guard changed
# twice a request, and every statement of the next request was compiled again (0.7 ms for the case
# list's statement, 0.2 ms for the token's, more than the rest of the request's SQL). So read
# transactions run on a second pool of connections to the same file, which are read-only from the
# start and stay so; the application's engine keeps the others writable. Nothing else changes: a read
# transaction is still refused a write, by the same guard, and ``_sqlite_begin`` still sets it should a
# connection be used the other way. In the tests, whose session is bound to the test's connection,
# every transaction stays on that connection.
#
# SQLite's read engine sends no ``BEGIN`` for a ``read`` transaction: each statement is a read
# transaction of its own (the driver's autocommit; the connections stay ``query_only``, so a write is
# still refused), as each is on PostgreSQL below, whose READ COMMITTED gives each statement its own
# snapshot anyway. A read then holds no snapshot between its statements, so the view entries' write
# need not end it first (``holds_nothing``): that rollback, which also expired everything the read had
# loaded, and the ``BEGIN`` cost about 0.15 ms a request. A SAVEPOINT still begins a transaction
# (SQLite's own rule), which ``holds_nothing`` sees.
#
# PostgreSQL (psycopg) has a read engine too, for another reason: round trips. A read transaction was
# ``BEGIN READ ONLY``, its statements and a ``COMMIT``: each a round trip, and a wake-up of a server
# process on the same cores, for a transaction that adds nothing. PostgreSQL's default isolation, READ
# COMMITTED (which the service does not change), takes a new snapshot for each statement, so the
# statements of a read transaction never saw one snapshot anyway: run each on its own (autocommit),
# they see what they saw before. The read engine's connections are autocommit and read-only by setting
# (``default_transaction_read_only``, given when they connect, no round trip), so a write in a read is
# still refused, each statement being a read-only transaction of its own. ``record`` transactions (a
# ``@records_view`` GET) read there too, and their first write begins a transaction that may write
# (``BEGIN READ WRITE``, which the setting allows), as SQLite's first write takes the write lock: their
# writes commit or roll back together, and did not depend on their reads (``records_view``). A write
# not recognised as one is refused, never committed on its own. ``write`` transactions stay on the
# application's engine, unchanged. What needs a transaction (a server-side cursor: ``yield_per``, the
# spreadsheet exports; a SAVEPOINT) begins one on its connection, read-only in a ``read``.

_READ_ENGINE_KEY = "casework_read_engine"
#: The transaction modes that run on a read engine, by its database. On SQLite a ``record``'s first write
#: takes the write lock on the connection it read on, which the read engine's (``query_only``) cannot
#: do, so it stays on the application's engine; PostgreSQL's read engine begins a ``record``'s
#: transaction at its first write (``_postgresql_read_engine``).
_READ_ENGINE_MODES = {"sqlite": frozenset({"read"}), "postgresql": frozenset({"read", "record"})}
_TRANSACTION_ENGINE_KEY = "casework_transaction_engine"


def configure_read_engine(app: Any, engine: sa.Engine) -> None:
    """For a SQLite file or PostgreSQL (psycopg), a second engine for read transactions (``RoutingSession``)."""
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        reads = _postgresql_read_engine(app, engine)
    else:
        database = engine.url.database
        if engine.dialect.name != "sqlite" or database in (None, "", ":memory:") or "mode=memory" in database:
            return  # an in-memory database is one connection's own: a second engine would see another
        reads = sa.create_engine(engine.url, hide_parameters=engine.hide_parameters)
        configure_engine_events(reads, reads_in_autocommit=True)

        @event.listens_for(reads, "connect")
        def _read_only_from_the_start(dbapi_connection: Any, _record: Any) -> None:
            _set_query_only(dbapi_connection, True)

    app.extensions[_READ_ENGINE_KEY] = reads
    # Only then: a process serving another database pays nothing for the routing.
    configure_transaction_engines()


#: PostgreSQL's setting that makes every transaction of a connection read-only, its own statements' too.
POSTGRESQL_READ_ONLY_OPTION = "-c default_transaction_read_only=on"


def _postgresql_read_engine(app: Any, engine: sa.Engine) -> sa.Engine:
    """The application's engine's options, on connections that are autocommit and read-only."""
    from psycopg import ServerCursor
    from psycopg.pq import TransactionStatus

    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.pop("connect_args", None) or {})
    connect_args["options"] = f"{connect_args.get('options', '')} {POSTGRESQL_READ_ONLY_OPTION}".strip()
    options.pop("isolation_level", None)
    reads = sa.create_engine(engine.url, **options, connect_args=connect_args, isolation_level="AUTOCOMMIT")
    configure_engine_events(reads)

    @event.listens_for(reads, "begin")
    def _note_a_record(conn: sa.Connection) -> None:
        if transaction_mode() == "record":
            conn.info[_DEFERRED_WRITE_KEY] = True
        else:
            conn.info.pop(_DEFERRED_WRITE_KEY, None)

    @event.listens_for(reads, "before_cursor_execute")
    def _begin_when_needed(conn: sa.Connection, cursor: Any, statement: str, *_args: Any) -> None:
        # Begun here, and ended by the session's commit or rollback as any transaction is (psycopg
        # sends them when one is open): a ``record`` transaction's first write begins a transaction
        # that may write, as on SQLite. A server-side cursor (``DECLARE``) or a SAVEPOINT, which
        # PostgreSQL refuses outside a transaction, begins one too: read-only in a ``read``.
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is None or dbapi_connection.info.transaction_status != TransactionStatus.IDLE:
            return
        records = conn.info.get(_DEFERRED_WRITE_KEY, False)
        verb = statement.lstrip()[:9].upper()
        if isinstance(cursor, ServerCursor) or verb.startswith(("SAVEPOINT", *(_WRITE_VERBS if records else ()))):
            dbapi_connection.execute("BEGIN READ WRITE" if records else "BEGIN READ ONLY")

    return reads


def dispose_engines() -> None:
    """Close the pooled connections of the current app's engines: the application's and its read engine.
    Before a database is dropped or its file deleted, or a process forks: ``db.engine.dispose()`` alone
    would leave the read engine's connections open (PostgreSQL then refuses to drop the database while
    another role holds one)."""
    from casework.extensions import db

    db.engine.dispose()
    reads = read_engine()
    if reads is not None:
        reads.dispose()


def read_engine() -> sa.Engine | None:
    """The current app's engine for read transactions, if it has one (SQLite files and PostgreSQL)."""
    from flask import current_app

    return cast("sa.Engine | None", current_app.extensions.get(_READ_ENGINE_KEY))


class RoutingSession(FlaskSession):
    """A session whose transactions run on the read engine when the unit of work only reads.

    The engine is chosen at a transaction's first statement and kept until it ends, so a mode changed
    half-way (``writes_from_here`` before a rollback) takes effect with the next transaction, as the
    guard always has. Without a read engine (an in-memory SQLite database) it is Flask-SQLAlchemy's
    session.
    """

    def __init__(self, db: Any, **kwargs: Any) -> None:
        from flask import has_app_context

        super().__init__(db, **kwargs)
        # Looked up once: a session belongs to one app context (Flask-SQLAlchemy scopes it so).
        self.read_engine = read_engine() if has_app_context() else None
        self.read_engine_modes = _READ_ENGINE_MODES[self.read_engine.dialect.name] if self.read_engine else frozenset()

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        if self.read_engine is not None and bind is None and self.bind is None:
            chosen = self.info.get(_TRANSACTION_ENGINE_KEY)
            if chosen is not None:
                return chosen
            if transaction_mode() in self.read_engine_modes:
                return self.read_engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def bind_for_writes(session: Session, clause: Any = None) -> Any:
    """Where a transaction of ``session``'s that writes ``clause`` runs (the application's engine, or
    the connection the session is bound to in the tests), whatever transaction it has open now: one
    of its reads stays on the read engine until it ends (``RoutingSession``)."""
    if isinstance(session, RoutingSession):
        return FlaskSession.get_bind(session, clause=clause)
    return session.get_bind(clause=clause)


def holds_nothing(session: Session) -> bool:
    """Whether ``session``'s transaction, if it has one, could only read and holds nothing a write of
    the request's own would wait for: a ``read`` on a read engine, whose connections are autocommit
    (each statement was a transaction of its own) and refuse writes. Ending it before such a write (a
    rollback, which also expires everything it loaded) changes nothing, so it can be left to the
    session's close at the end of the request. On SQLite, only while no SAVEPOINT has begun a
    transaction on the connection: an open read transaction holds a snapshot of the file, which would
    keep the write's commit from checkpointing the WAL (measured: the commit then took milliseconds,
    not a tenth of one)."""
    if not session.in_transaction():
        return True
    reads: sa.Engine | None = getattr(session, "read_engine", None)
    if reads is None or transaction_mode() != "read":
        return False
    database = reads.dialect.name
    if session.info.get(_TRANSACTION_ENGINE_KEY) is not reads:
        return False
    if database == "sqlite":
        return not session.connection().connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    return True


def _remember_engine(session: Session, _transaction: Any, connection: sa.Connection) -> None:
    if getattr(session, "read_engine", None) is not None:
        session.info.setdefault(_TRANSACTION_ENGINE_KEY, connection.engine)


def _forget_engine(session: Session, transaction: Any) -> None:
    if transaction.parent is None and getattr(session, "read_engine", None) is not None:
        session.info.pop(_TRANSACTION_ENGINE_KEY, None)


def configure_transaction_engines() -> None:
    """Keep a transaction on the engine it began on (``RoutingSession``)."""
    if not event.contains(RoutingSession, "after_begin", _remember_engine):
        event.listen(RoutingSession, "after_begin", _remember_engine)
        event.listen(RoutingSession, "after_transaction_end", _forget_engine)


# --- PostgreSQL (psycopg) -----------------------------------------------------------------------------
#
# A ``read`` transaction begins ``BEGIN READ ONLY`` (psycopg's ``read_only``: the same round trip as a
# plain ``BEGIN``), so PostgreSQL refuses a write in it as SQLite's ``query_only`` does. ``record`` and
# ``write`` transactions are unchanged. (A request's ``read`` and ``record`` transactions run on the
# read engine's autocommit connections, above; this is for one on the application's engine.)
#
# Ending such a transaction with COMMIT rather than ROLLBACK changes nothing in the database (it could
# not write), but it matters to psycopg: its ``rollback()`` forgets every statement it has prepared on
# the connection and sends ``DEALLOCATE ALL`` (one more round trip). Every GET ends its reads with a
# rollback (before the view entries, and when the session is closed at the end of the request), so no
# statement ever reached psycopg's ``prepare_threshold``: PostgreSQL planned each one again on every
# request (about 9 ms for the HTML case list's, 15 ms for the case page's records).


def _configure_psycopg(engine: sa.Engine) -> None:
    from psycopg.pq import TransactionStatus

    cursor_class = _lazy_description_cursor()
    _keep_long_statements_conversions()

    @event.listens_for(engine, "connect")
    def _describe_lazily(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.cursor_factory = cursor_class

    @event.listens_for(engine, "begin")
    def _declare_read_only(conn: sa.Connection) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        # ``None`` is the server's default (read and write); set only when it changes, which psycopg
        # allows between transactions only, as here (it is sent with the next BEGIN).
        read_only = True if transaction_mode() == "read" else None
        if dbapi_connection is not None and dbapi_connection.read_only != read_only:
            dbapi_connection.read_only = read_only

    rollback = engine.dialect.do_rollback

    def do_rollback(connection: Any) -> None:
        # Given the pool's proxy or psycopg's connection itself. Only a read-only transaction that has
        # not failed is committed: a failed one, or one that could write, is rolled back (and psycopg
        # then rightly forgets what it prepared in it).
        psycopg_connection = getattr(connection, "dbapi_connection", connection)
        if psycopg_connection.read_only and psycopg_connection.info.transaction_status == TransactionStatus.INTRANS:
            psycopg_connection.commit()
        else:
            rollback(connection)

    engine.dialect.do_rollback = do_rollback  # type: ignore[method-assign, assignment]


#: Statements up to this long keep psycopg's conversion of their placeholders (its own limit is 4 kB).
CONVERTED_STATEMENT_LENGTH = 16 * 1024


def _keep_long_statements_conversions() -> None:
    """psycopg keeps, for statements up to 4 kB (in an ``lru_cache`` of 128), the conversion of their
    placeholders to ``$1``, ``$2``... A longer one is converted again, with a regular expression over
    its whole text, every time it runs: the case page's statement of the case (7 kB) and of every
    domain's records (11 kB), on every case view. The limit is a module setting of psycopg's."""
    from psycopg import _queries

    # A private setting: if a later psycopg drops it, statements are converted as psycopg decides
    # (slower, never wrong), and tests/core/test_postgresql_transactions.py says so.
    limit = getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None)
    if isinstance(limit, int):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(limit, CONVERTED_STATEMENT_LENGTH)


# psycopg describes a result's columns (``cursor.description``) afresh each time it is read: a
# ``Column`` per column, each decoding its name and looking its type up. SQLAlchemy reads it after
# every statement, but once a statement's result has been described it keeps that description with
# the compiled statement and only looks at whether there is one. The case page's statement of every
# domain's records has hundreds of columns: describing them was a sixth of the page's Python calls.


def _lazy_description_cursor() -> type[Any]:
    from collections.abc import Sequence
    from types import SimpleNamespace

    import psycopg
    from psycopg.pq import ExecStatus

    returns_rows = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)

    class Description(Sequence[Any]):
        """psycopg's description of one result, built when first looked into."""

        __slots__ = ("_columns", "_cursor", "_result")

        def __init__(self, cursor: psycopg.Cursor[Any], result: Any) -> None:
            self._cursor: Any = cursor
            self._result = result
            self._columns: list[Any] | None = None

        def _built(self) -> list[Any]:
            if self._columns is None:
                cursor = self._cursor
                if cursor.pgresult is not self._result:
                    # The cursor has moved on to another result: describe this one, as psycopg would.
                    cursor = SimpleNamespace(
                        pgresult=self._result, _encoding=cursor._encoding, adapters=cursor.adapters
                    )
                self._columns = [psycopg.Column(cursor, index) for index in range(self._result.nfields)]
            return self._columns

        def __len__(self) -> int:
            return int(self._result.nfields)

        def __getitem__(self, index: Any) -> Any:
            return self._built()[index]

        def __iter__(self) -> Any:
            return iter(self._built())

        def __eq__(self, other: object) -> bool:
            return self._built() == other

        __hash__ = None  # type: ignore[assignment]  # like the list it stands for

        def __repr__(self) -> str:
            return repr(self._built())

    class LazyDescriptionCursor(psycopg.Cursor[Any]):
        @property
        def description(self) -> Any:
            result = self.pgresult
            if result and (result.nfields or result.status in returns_rows):
                return Description(self, result)
            return None

    return LazyDescriptionCursor


def truncate_sqlite_wal(attempts: int = 3) -> bool:
    """On a SQLite file: copy every page of the WAL file into the database and cut the WAL file to
    nothing (``PRAGMA wal_checkpoint(TRUNCATE)``), so that the old copies of pages it holds (values
    just erased by retention) are gone from disk. Call it after a commit, outside any transaction.
    Answers whether the WAL file is empty now (True on other databases: there is nothing to do).
    A writer, or a reader still on an older snapshot, holds the checkpoint back: it waits a moment
    for them, a few times, and otherwise leaves it to the next run (logged)."""
    from casework.extensions import db

    engine = db.engine
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:") or "mode=memory" in database:
        return True
    for attempt in range(attempts):
        connection = engine.raw_connection()
        busy = 1
        try:
            driver = connection.driver_connection
            assert driver is not None
            driver.execute(f"PRAGMA busy_timeout={SQLITE_CHECKPOINT_WAIT_MS}")
            try:
                busy = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.OperationalError:  # database is locked: as busy
                busy = 1
            finally:
                driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        finally:
            connection.close()
        if not busy:
            return True
        time.sleep(SQLITE_CHECKPOINT_WAIT_MS / 1000 * (attempt + 1))
    logging.getLogger(__name__).warning("The SQLite WAL file could not be truncated: a transaction held it")
    return False
