"""The declarative base and the column types every model uses.

Decided once here: the constraint naming convention (so migrations name constraints the same on SQLite
and PostgreSQL), timezone-aware UTC timestamps set by the database, enums stored as readable strings with a
CHECK constraint, and the one place a transaction is committed, followed by its side effects.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm.base import NO_VALUE

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
    """Optimistic locking: an update carrying an old version answers 409 (SPEC section 9)."""

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1, server_default="1")

    @sa.orm.declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


# --- transactions and their side effects -----------------------------------------------------------

_QUEUE_KEY = "casework_after_commit"


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


def commit() -> None:
    """Commit the request's or task's transaction, then run the queued side effects."""
    from casework.extensions import db

    db.session.commit()
    run_queued(db.session)


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


def configure_session_events() -> None:
    """A rolled-back transaction's side effects are dropped, so a later commit cannot run them; values
    the database cannot store are refused before they are sent to it."""
    if not event.contains(Session, "after_soft_rollback", _discard_on_rollback):
        event.listen(Session, "after_soft_rollback", _discard_on_rollback)
    if not event.contains(Session, "before_flush", refuse_unstorable_values):
        event.listen(Session, "before_flush", refuse_unstorable_values)


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


def configure_engine_events(engine: sa.Engine) -> None:
    """SQLite needs help to behave like the database the service is written for."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so SAVEPOINTs work (pysqlite's own transaction handling
        # breaks them), enforce foreign keys, and let the web server, worker and beat share the file.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: sa.Connection) -> None:
        # A transaction that reads and then writes what it read (the audit seal) asks for IMMEDIATE: it
        # takes the write lock first, waiting busy_timeout for it, where a deferred one would fail at its
        # first write if another process had committed since its read.
        immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
