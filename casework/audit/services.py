"""The audit log's one way in and out: services record changes and views here, the seal task extends the
hash chain, ``flask audit verify`` checks it, and retention erases personal values."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.dialects import postgresql

from casework.audit import chain
from casework.audit.chain import plain as _plain
from casework.audit.models import (
    ERASED_SUMMARY,
    OLD_SUMMARIES_NAMING_PEOPLE,
    AuditAction,
    AuditEntry,
    AuditSeal,
    audit_entries,
    audit_values,
)
from casework.core.db import SQLITE_IMMEDIATE, rows_changed
from casework.core.inputs import is_digits, whole_number
from casework.core.time import LONDON
from casework.extensions import db


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` on ``obj``, JSON-ready (take one before and after a change)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _object_ref(obj: Any) -> tuple[str, str | None]:
    if isinstance(obj, tuple):
        kind, ident = obj
        return kind, None if ident is None else str(ident)
    return obj.__tablename__, None if getattr(obj, "id", None) is None else str(obj.id)


def record(
    actor: Any,
    action: AuditAction,
    obj: Any,
    summary: str,
    changes: Mapping[str, Any] | None = None,
    *,
    event_on: dt.date | None = None,
) -> AuditEntry:
    """Add an audit entry to the session (it commits with the change it describes).

    ``obj`` is a model instance (flushed, so it has an id) or an ``(object_type, object_id)`` pair.
    ``event_on``: the day the event happened, when it is not the day it is entered (past work entered
    late or imported): the entry keeps both, ``event_on`` in its changes and ``created_at`` as ever.
    """
    if event_on is not None:
        changes = {**(changes or {}), "event_on": event_on}
    object_type, object_id = _object_ref(obj)
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        changes=_plain(dict(changes)) if changes else None,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    if action is AuditAction.view:
        viewed_in_this_request().add((object_type, object_id))
    return entry


def record_many(
    actor: Any,
    action: AuditAction,
    objects: Iterable[Any],
    summary: str,
    *,
    summaries: Mapping[tuple[str, str | None], str] | None = None,
    connection: sa.Connection | None = None,
) -> int:
    """Record the same action on many records in one statement on PostgreSQL, two on SQLite, however
    many there are (a list page's views). ``summaries`` gives some records a summary of their own
    (``(table, id)`` -> summary: "Viewed case ..."). On ``connection`` when given, else on the
    session's connection, in its transaction. A writer that takes a lock to write them (the view
    entries' transaction of its own, casework.audit.reads) builds them first (``entries_to_write``)
    and holds it only for ``EntriesToWrite.write``."""
    connection = connection if connection is not None else db.session.connection()
    entries = entries_to_write(actor, action, objects, summary, summaries=summaries, dialect=connection.dialect)
    return entries.write(connection) if entries is not None else 0


@dataclass(frozen=True)
class EntriesToWrite:
    """Entries of one action on many records, built in full but for their time: their summaries,
    nonces and values hashes, and the statements' parameters. Writing them is the statements alone.

    On SQLite the entries' transaction holds the database's one write lock (casework.core.db), which
    the writers of both web workers queue for: nothing that can be worked out before it is taken is
    worked out while it is held. The time is read once the lock is held, as before, so the entries'
    times keep the order of their ids (the order the chain seals them in).
    """

    action: AuditAction
    refs: list[tuple[str, str | None]]
    dialect_name: str
    #: The statements' parameters but ``created_at``: one set for PostgreSQL's statement, two for SQLite's.
    parameters: list[dict[str, Any]]

    def write(self, connection: sa.Connection) -> int:
        written = self.insert(connection)
        self.note_written()
        return written

    def insert(self, connection: sa.Connection) -> int:
        """The statements alone, which any thread may run: the view entries' group commit
        (casework.audit.group_commit) writes other requests' entries in one thread's transaction."""
        assert connection.dialect.name == self.dialect_name, "built for another database"
        created_at = {"created_at": dt.datetime.now(dt.UTC)}
        if self.dialect_name == "postgresql":
            return rows_changed(_INSERT_ENTRIES_AND_VALUES.execute(connection, {**self.parameters[0], **created_at}))
        entries, values = self.parameters
        written = rows_changed(_INSERT_ENTRIES_FROM_JSON.execute(connection, {**entries, **created_at}))
        _INSERT_VALUES_FROM_JSON.execute(connection, {**values, **created_at})
        return written

    def note_written(self) -> None:
        """Once they are written, in the thread of the request that built them: its views of these
        records are logged (``viewed_in_this_request``)."""
        if self.action is AuditAction.view:
            viewed_in_this_request().update(self.refs)


def entries_to_write(
    actor: Any,
    action: AuditAction,
    objects: Iterable[Any],
    summary: str,
    *,
    summaries: Mapping[tuple[str, str | None], str] | None = None,
    dialect: Any,
) -> EntriesToWrite | None:
    """``record_many``'s entries built for ``dialect``'s statements, to write later; None for no records."""
    refs = list(dict.fromkeys(_object_ref(obj) for obj in objects))
    if not refs:
        return None
    ip_address = request.remote_addr if has_request_context() else None
    own = summaries or {}
    texts = [own.get(ref, summary)[:500] for ref in refs]
    nonces = [secrets.token_hex(16) for _ref in refs]
    values_hashes = chain.view_values_digests(nonces, texts, ip_address)
    object_types = [object_type for object_type, _object_id in refs]
    object_ids = [object_id for _object_type, object_id in refs]
    actor_id = getattr(actor, "id", None)
    if dialect.name == "postgresql":
        # The rows as columns, one array parameter each, not a parameter set per row.
        parameters = [
            {
                "actor_id": actor_id,
                "action": action,
                "ip_address": ip_address,
                "object_types": object_types,
                "object_ids": object_ids,
                "values_hashes": values_hashes,
                "summaries": texts,
                "nonces": nonces,
            }
        ]
    else:
        # Each statement takes its rows as one JSON array, which SQLite unpacks (json_each): a statement
        # with a handful of parameters, however many rows, where a parameter set per row cost SQLAlchemy
        # its processing of every value of every row.
        parameters = [
            {
                "actor_id": actor_id,
                "action": action,
                "rows": _json_rows(zip(object_types, object_ids, values_hashes, strict=True)),
            },
            {
                "ip_address": ip_address,
                "rows": _json_rows(zip(object_types, object_ids, texts, nonces, strict=True)),
            },
        ]
    return EntriesToWrite(action=action, refs=refs, dialect_name=dialect.name, parameters=parameters)


def _json_rows(rows: Iterable[tuple[Any, ...]]) -> str:
    return json.dumps([list(row) for row in rows])


def _insert_from_json() -> tuple[sa.Insert, sa.Insert]:
    """SQLite's two statements for ``record_many`` (it has no INSERT inside a WITH): the entries, then
    their values, each from a JSON array of rows unpacked in order (``json_each``).

    The values find their entry's id themselves, so both arrays are built before the write lock is
    taken and nothing comes back to Python in between (a row of RETURNING was a step of the driver,
    each of which lets other threads run, while the lock was held): in the transaction that wrote
    them, an entry is the newest of its subject and time (``ix_audit_entries_object``), each subject
    appearing once in a statement, and ids only growing."""
    entry_rows = sa.func.json_each(sa.bindparam("rows", type_=sa.String)).table_valued("key", "value")

    def field(rows: Any, index: int) -> Any:
        return sa.func.json_extract(rows.c.value, sa.literal_column(f"'$[{index}]'"))

    entries = sa.insert(audit_entries).from_select(
        ["created_at", "actor_id", "action", "object_type", "object_id", "values_hash"],
        sa.select(
            sa.bindparam("created_at", type_=audit_entries.c.created_at.type),
            sa.bindparam("actor_id", type_=audit_entries.c.actor_id.type),
            sa.bindparam("action", type_=audit_entries.c.action.type),
            field(entry_rows, 0),
            field(entry_rows, 1),
            field(entry_rows, 2),
        ).order_by(entry_rows.c.key),
    )
    value_rows = sa.func.json_each(sa.bindparam("rows", type_=sa.String)).table_valued("key", "value")
    entry_id = (
        sa.select(sa.func.max(audit_entries.c.id))
        .where(
            audit_entries.c.object_type == field(value_rows, 0),
            audit_entries.c.object_id.is_not_distinct_from(field(value_rows, 1)),
            audit_entries.c.created_at == sa.bindparam("created_at", type_=audit_entries.c.created_at.type),
        )
        .scalar_subquery()
    )
    values = sa.insert(audit_values).from_select(
        ["entry_id", "subject_type", "subject_id", "summary", "ip_address", "nonce"],
        sa.select(
            entry_id,
            field(value_rows, 0),
            field(value_rows, 1),
            field(value_rows, 2),
            sa.bindparam("ip_address", type_=audit_values.c.ip_address.type),
            field(value_rows, 3),
        ).order_by(value_rows.c.key),
    )
    return entries, values


class CompiledOnce:
    """A statement compiled once per database dialect and run with ``Connection.exec_driver_sql``.

    Every read that shows a record runs ``record_many``'s statements. Run with ``Connection.execute``,
    each run worked out the statement's cache key from its whole tree, looked its compiled form up and
    set up an execution context for compiled SQL that processes each parameter; compiled here once, a
    run is its few parameters converted as that compiled form would convert them (each type's
    ``bind_processor`` for the dialect) and the SQL handed to the driver, through the same connection
    and its events. Only for statements whose parameters are plain bind parameters (no expanding IN,
    no literal execution), as these are: tests/audit/test_record_many.py checks that the driver is
    given exactly what ``execute`` gives it.
    """

    def __init__(self, statement: sa.Insert) -> None:
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary[Any, tuple[str, list[str], dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )

    def execute(self, connection: sa.Connection, parameters: Mapping[str, Any]) -> sa.CursorResult[Any]:
        dialect = connection.dialect
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = self._compile(dialect)
        sql, names, processors = compiled
        values = [
            parameters[name] if (process := processors.get(name)) is None else process(parameters[name])
            for name in names
        ]
        if dialect.positional:
            return connection.exec_driver_sql(sql, tuple(values))
        return connection.exec_driver_sql(sql, dict(zip(names, values, strict=True)))

    def _compile(self, dialect: Any) -> tuple[str, list[str], dict[str, Any]]:
        compiled: Any = self.statement.compile(dialect=dialect)
        names = list(compiled.positiontup) if dialect.positional else list(compiled.binds)
        processors = {
            name: process
            for name, bind in compiled.binds.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        return compiled.string, names, processors


#: ``record_many``'s statements, built once (every read that shows a record runs them): two on SQLite
#: (``_insert_from_json``) and one on PostgreSQL (``_INSERT_ENTRIES_AND_VALUES``).
_INSERT_ENTRIES_FROM_JSON, _INSERT_VALUES_FROM_JSON = (CompiledOnce(statement) for statement in _insert_from_json())


def _insert_entries_and_values() -> sa.Insert:
    """PostgreSQL's one statement for ``record_many``: the rows come as arrays, unnested in order, and
    each is given its entry's id first (``nextval`` of the id column's own sequence, in the rows' order,
    as the column's default would give it), so the entries and their values are written from the same
    rows with no matching of one to the other.

    Before, the values found their entry by joining the entries' RETURNING to the rows on the subject
    with ``IS NOT DISTINCT FROM``, which PostgreSQL can neither hash nor look up: each row was compared
    with every entry of its kind (a retention batch of 500 erasures: 250,000 comparisons, 40 ms).
    """
    texts = postgresql.ARRAY(sa.String)
    unnested = (
        sa.func.unnest(
            sa.bindparam("object_types", type_=texts),
            sa.bindparam("object_ids", type_=texts),
            sa.bindparam("values_hashes", type_=texts),
            sa.bindparam("summaries", type_=texts),
            sa.bindparam("nonces", type_=texts),
        )
        .table_valued("object_type", "object_id", "values_hash", "summary", "nonce", with_ordinality="position")
        .render_derived(name="unnested")
    )
    # Ordered in a subquery (which PostgreSQL keeps apart, for its ORDER BY) so that nextval() runs
    # over its rows in that order: the ids follow the order the records were given in, as before.
    in_order = sa.select(unnested).order_by(unnested.c.position).subquery("in_order")
    # The rows with their ids, a CTE both inserts read (nextval() is volatile: it runs once per row).
    # The id column's sequence, as its default names it (a serial column's: migration 0001).
    next_id = sa.func.nextval(sa.literal_column("'audit_entries_id_seq'::regclass"))
    shown = sa.select(next_id.label("id"), in_order).cte("shown")
    entries = (
        sa.insert(audit_entries)
        .from_select(
            ["id", "created_at", "actor_id", "action", "object_type", "object_id", "values_hash"],
            sa.select(
                shown.c.id,
                sa.bindparam("created_at", type_=audit_entries.c.created_at.type),
                sa.bindparam("actor_id", type_=audit_entries.c.actor_id.type),
                sa.bindparam("action", type_=audit_entries.c.action.type),
                shown.c.object_type,
                shown.c.object_id,
                shown.c.values_hash,
            ).order_by(shown.c.id),
        )
        .cte("entries")
    )
    return (
        sa.insert(audit_values)
        .from_select(
            ["entry_id", "subject_type", "subject_id", "summary", "ip_address", "nonce"],
            sa.select(
                shown.c.id,
                shown.c.object_type,
                shown.c.object_id,
                shown.c.summary,
                sa.bindparam("ip_address", type_=audit_values.c.ip_address.type),
                shown.c.nonce,
            ).order_by(shown.c.id),
        )
        .add_cte(shown, entries)
    )


_INSERT_ENTRIES_AND_VALUES = CompiledOnce(_insert_entries_and_values())


def viewed_in_this_request() -> set[tuple[str, str | None]]:
    """The records a view entry was written for during this request (casework.audit.reads skips them)."""
    if not has_request_context():
        return set()
    if "audit_viewed" not in g:
        g.audit_viewed = set()
    return g.audit_viewed


def record_change(
    actor: Any,
    obj: Any,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    summary: str,
    *,
    event_on: dt.date | None = None,
):
    """Record a create (``before`` is None) or an update (only the fields that changed), with the day
    the event happened (``event_on``) when it is an event with a date of its own."""
    if before is None:
        return record(actor, AuditAction.create, obj, summary, after, event_on=event_on)
    changed = diff(before, after)
    if not changed:
        return None
    return record(actor, AuditAction.update, obj, summary, changed, event_on=event_on)


def record_view(actor: Any, obj: Any, summary: str) -> AuditEntry:
    """Record that ``actor`` looked at a sensitive record (a person, a case, an application)."""
    return record(actor, AuditAction.view, obj, summary)


# --- reading the audit log -------------------------------------------------------------------------


def search_entries(
    *,
    actor_email: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: AuditAction | str | None = None,
    from_day: dt.date | None = None,
    to_day: dt.date | None = None,
) -> sa.Select[tuple[AuditEntry]]:
    """Entries matching every filter given, newest first: a query to paginate.

    Days are Europe/London calendar days, both included. The actor is joined in for display (name and
    email only); a filter on the actor or the record uses ix_audit_entries_actor or
    ix_audit_entries_object.
    """
    from casework.accounts.models import User

    query = sa.select(AuditEntry).options(
        sa.orm.joinedload(AuditEntry.actor).options(
            sa.orm.load_only(User.name, User.email),
            sa.orm.lazyload(User.agency),
            sa.orm.lazyload(User.role_rows),
        )
    )
    if actor_email:
        # A subquery rather than a look-up first, so a page stays one query for the entries.
        actor_ids = sa.select(User.id).where(User.email == actor_email.strip().lower())
        query = query.where(AuditEntry.actor_id.in_(actor_ids.scalar_subquery()))
    if object_type and object_id:
        # The record's own entries, and those whose values a merge moved to it.
        about = sa.union(
            sa.select(audit_entries.c.id).where(
                audit_entries.c.object_type == object_type, audit_entries.c.object_id == object_id.strip()
            ),
            sa.select(audit_values.c.entry_id).where(
                audit_values.c.subject_type == object_type, audit_values.c.subject_id == object_id.strip()
            ),
        )
        query = query.where(AuditEntry.id.in_(about))
    elif object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if action:
        query = query.where(AuditEntry.action == AuditAction(action))
    if from_day is not None:
        query = query.where(AuditEntry.created_at >= _start_of_london_day(from_day))
    if to_day is not None:
        query = query.where(AuditEntry.created_at < _start_of_london_day(to_day + dt.timedelta(days=1)))
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def _start_of_london_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON).astimezone(dt.UTC)


# --- erasing and moving personal values ------------------------------------------------------------


#: How many subjects one erasure statement names: well within SQLite's limit on a statement's
#: parameters (999 before SQLite 3.32), so a retention run's erasure is a few statements per
#: thousand records of a kind, however many records it anonymised.
ERASE_BATCH = 500


def erase_personal_values(object_type: str, object_id: Any, *, actor: Any = None) -> int:
    """Erase the personal values (summary, before/after copies, address) of every audit entry about a
    subject, and of those a merge moved to it; who, when, what kind and the subject stay, and
    ``audit verify`` still passes. Returns how many entries were erased, and records the erasure (an
    entry that names nobody, and which later erasures leave alone).

    The only way to erase them. On PostgreSQL the service's role cannot UPDATE ``audit_values``: it
    calls ``audit_erase_values_of()``, a SECURITY DEFINER function owned by the migration role that can do
    nothing but this. On SQLite, triggers refuse any update of ``audit_values`` but this erasure and a
    move. Flushes, never commits.
    """
    subject_id = None if object_id is None else str(object_id)
    _entry_ids, erased = _erase(object_type, [subject_id], actor=actor)
    return erased


def erase_personal_values_of(object_type: str, object_ids: Iterable[Any], *, actor: Any = None) -> list[int]:
    """``erase_personal_values`` for each of many records of one kind (retention anonymising a batch);
    answers the ids of the entries whose values were erased (a retention report counts them). Each
    record's erasure is recorded, as ``erase_personal_values`` records it. A few statements for every
    ``ERASE_BATCH`` records, not a few for each. Flushes, never commits."""
    subject_ids = sorted({str(i) for i in object_ids})
    if not subject_ids:
        return []
    entry_ids, _erased = _erase(object_type, subject_ids, actor=actor)
    return sorted(entry_ids)


def erase_values_of_deleted_records(*, actor: Any = None) -> list[int]:
    """Erase the personal values of the entries about records that no longer exist: an import undone
    (every person, case and incident it wrote), a saved case list view deleted (its search). The entries
    are the only copy left of what was deleted, and no retention run reaches a record that is gone, so
    they would otherwise keep a name, an address, a search for ever. Every table with an ``id`` key is
    looked at (from the metadata: a deleting path added later is covered); who, when and what kind stay,
    and the erasure is recorded as any other. Answers the ids of the entries erased. Flushes, never
    commits."""
    db.session.flush()
    tables = {
        table.name: table
        for table in db.metadata.sorted_tables
        if [column.name for column in table.primary_key.columns] == ["id"]
        and table.name not in ("audit_entries", "audit_values")
    }
    live = sa.and_(
        audit_values.c.erased_at.is_(None),
        audit_values.c.subject_id.is_not(None),
        ~sa.exists().where(audit_entries.c.id == audit_values.c.entry_id, audit_entries.c.action == "erase"),
    )
    named: dict[str, list[str]] = {}
    for kind, subject_id in db.session.execute(
        sa.select(audit_values.c.subject_type, audit_values.c.subject_id).where(live).distinct()
    ):
        if kind in tables:  # other kinds are no table's rows (a sign-in, the service itself)
            named.setdefault(kind, []).append(subject_id)
    erased: list[int] = []
    for kind in sorted(named):
        gone = _naming_no_row(tables[kind], named[kind])
        if gone:
            erased.extend(erase_personal_values_of(kind, gone, actor=actor))
    return sorted(erased)


#: How many keys one lookup of ``_naming_no_row`` asks about.
_LOOKUP_BATCH = 1000


def _naming_no_row(table: sa.Table, subject_ids: list[str]) -> list[str]:
    """Which of ``subject_ids`` (the log keeps them as text) name no row of ``table``. Each is looked up
    by the table's own key, a batch at a time, so the key's index answers: the same test written in SQL
    compares the key cast to text, which no index serves, and SQLite would read the whole table once for
    every entry in the log."""
    numeric = isinstance(table.c.id.type, sa.Integer)
    keys: dict[Any, str] = {}
    unreadable: list[str] = []
    for subject_id in subject_ids:
        if not numeric:
            keys[subject_id] = subject_id
        elif is_digits(subject_id) and str(int(subject_id)) == subject_id:
            keys[int(subject_id)] = subject_id
        else:
            unreadable.append(subject_id)  # no integer key is written so: it names no row
    ordered = sorted(keys)
    found: set[Any] = set()
    for start in range(0, len(ordered), _LOOKUP_BATCH):
        batch = ordered[start : start + _LOOKUP_BATCH]
        found.update(db.session.scalars(sa.select(table.c.id).where(table.c.id.in_(batch))))
    return unreadable + [keys[key] for key in ordered if key not in found]


def _erase(object_type: str, subject_ids: list[str | None], *, actor: Any) -> tuple[list[int], int]:
    """Erase the values about each of ``subject_ids`` (distinct) and record each one's erasure, by
    batches of ``ERASE_BATCH``: per batch the erasure (one statement) and its records (``record_many``).
    Answers the ids of the entries erased and how many were."""
    db.session.flush()  # entries written earlier in this transaction are erased too
    connection = db.session.connection()
    erased: list[int] = []
    total = 0
    for start in range(0, len(subject_ids), ERASE_BATCH):
        batch = subject_ids[start : start + ERASE_BATCH]
        if connection.dialect.name == "postgresql":
            entry_ids, counts = _erase_on_postgresql(connection, object_type, batch)
        else:
            entry_ids, counts = _erase_on_sqlite(connection, object_type, batch)
        erased.extend(entry_ids)
        total += sum(counts.values())
        # Recorded after the erasure, so the records of it are not erased with the rest.
        refs = [(object_type, subject_id) for subject_id in batch]
        record_many(
            actor,
            AuditAction.erase,
            refs,
            "",
            summaries={ref: _erasure_summary(counts.get(ref[1], 0)) for ref in refs},
            connection=connection,
        )
    _expire_entries()
    return erased, total


def _erasure_summary(erased: int) -> str:
    return f"Erased the personal details of {erased} audit {'entry' if erased == 1 else 'entries'}"


def _erasable(object_type: str, subject_ids: list[str | None]) -> sa.ColumnElement[bool]:
    """The values about these subjects not erased yet, but those of the records of an erasure."""
    named = [subject_id for subject_id in subject_ids if subject_id is not None]
    subject: sa.ColumnElement[bool] = audit_values.c.subject_id.in_(named)
    if len(named) < len(subject_ids):
        subject = sa.or_(subject, audit_values.c.subject_id.is_(None))
    return sa.and_(
        audit_values.c.subject_type == object_type,
        subject,
        audit_values.c.erased_at.is_(None),
        ~sa.exists().where(audit_entries.c.id == audit_values.c.entry_id, audit_entries.c.action == "erase"),
    )


def _erase_on_sqlite(
    connection: sa.Connection, object_type: str, subject_ids: list[str | None]
) -> tuple[list[int], dict[str | None, int]]:
    """One UPDATE for the batch (the shape the triggers accept), answering what it erased."""
    rows = connection.execute(
        sa.update(audit_values)
        .where(_erasable(object_type, subject_ids))
        .values(summary=ERASED_SUMMARY, changes=sa.null(), ip_address=None, nonce=None, erased_at=sa.func.now())
        .returning(audit_values.c.entry_id, audit_values.c.subject_id)
    )
    return _erased(rows)


def _erase_on_postgresql(
    connection: sa.Connection, object_type: str, subject_ids: list[str | None]
) -> tuple[list[int], dict[str | None, int]]:
    """One call of ``audit_erase_values_of()`` for the batch (the service's role may erase in no other
    way), answering what it erased."""
    erased = sa.func.audit_erase_values_of(
        object_type, sa.bindparam("subject_ids", subject_ids, type_=postgresql.ARRAY(sa.String))
    ).table_valued("erased_entry_id", "erased_subject_id")
    rows = connection.execute(sa.select(erased.c.erased_entry_id, erased.c.erased_subject_id)).all()
    return _erased(rows)


def _erased(rows: Iterable[Any]) -> tuple[list[int], dict[str | None, int]]:
    """The ids of the entries erased, and how many of each subject, from ``(entry_id, subject_id)`` rows."""
    entry_ids: list[int] = []
    counts: dict[str | None, int] = {}
    for entry_id, subject_id in rows:
        entry_ids.append(int(entry_id))
        counts[subject_id] = counts.get(subject_id, 0) + 1
    return entry_ids, counts


#: Where the changes of each old summary naming a person (``OLD_SUMMARIES_NAMING_PEOPLE``) give that
#: person's number: the party added (``{"party": [None, [person_id, role]]}``), the task's ``person_id``.
_OLD_SUMMARY_PERSON = {"cases": "party", "case_review_explanations": "person_id"}


def erase_old_summaries_naming(person_ids: Iterable[Any], *, actor: Any = None) -> list[int]:
    """Erase the values of the entries whose summary names one of these people (being anonymised) in
    an entry about another record, written before such summaries gave the person's number ("Added
    <name> to case ...", "Second report by <name> ..."): erasing the case's or the task's values would
    reach them, but the person can be anonymised first. The person is the number in the entry's own
    changes, as migration 0730 found it. Each erasure is recorded against the entry's subject, as
    ``erase_personal_values`` records one, and the chain still verifies. Answers the ids of the entries
    erased. Flushes, never commits.

    The entries are read through the partial indexes that hold only those not erased yet (a few rows,
    whatever the size of the log). On PostgreSQL the service's role erases them by calling
    ``audit_erase_old_summaries()``, which erases nothing but such entries."""
    people = {int(i) for i in person_ids}
    if not people:
        return []
    db.session.flush()
    connection = db.session.connection()
    erased: list[int] = []
    for subject_type, predicate in OLD_SUMMARIES_NAMING_PEOPLE.items():
        where = _OLD_SUMMARY_PERSON[subject_type]
        rows = connection.execute(
            sa.select(audit_values.c.entry_id, audit_values.c.changes)
            .where(sa.text(predicate))
            .order_by(audit_values.c.entry_id)
        )
        naming = [entry_id for entry_id, changes in rows if _person_named(changes, where) in people]
        counts: dict[str | None, int] = {}
        for start in range(0, len(naming), ERASE_BATCH):
            batch = naming[start : start + ERASE_BATCH]
            if connection.dialect.name == "postgresql":
                found = sa.func.audit_erase_old_summaries(
                    sa.bindparam("entry_ids", batch, type_=postgresql.ARRAY(sa.BigInteger))
                ).table_valued("erased_entry_id", "erased_subject_id")
                result: Any = connection.execute(sa.select(found.c.erased_entry_id, found.c.erased_subject_id))
            else:
                result = connection.execute(
                    sa.update(audit_values)
                    .where(audit_values.c.entry_id.in_(batch), sa.text(predicate))
                    .values(
                        summary=ERASED_SUMMARY, changes=sa.null(), ip_address=None, nonce=None, erased_at=sa.func.now()
                    )
                    .returning(audit_values.c.entry_id, audit_values.c.subject_id)
                )
            entry_ids, batch_counts = _erased(result)
            erased.extend(entry_ids)
            for subject_id, count in batch_counts.items():
                counts[subject_id] = counts.get(subject_id, 0) + count
        subjects = sorted(counts, key=str)
        for start in range(0, len(subjects), ERASE_BATCH):
            refs = [(subject_type, subject_id) for subject_id in subjects[start : start + ERASE_BATCH]]
            record_many(
                actor,
                AuditAction.erase,
                refs,
                "",
                summaries={ref: _erasure_summary(counts[ref[1]]) for ref in refs},
                connection=connection,
            )
    _expire_entries()
    return sorted(erased)


def _person_named(changes: Any, where: str) -> int | None:
    """The person's number an old summary's changes give (``_OLD_SUMMARY_PERSON``), or None."""
    if isinstance(changes, str):
        try:
            changes = json.loads(changes)
        except ValueError:
            return None
    if not isinstance(changes, dict):
        return None
    value = changes.get(where)
    if where == "party":
        # {"party": [None, [person_id, role]]}
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list) and value[1]):
            return None
        value = value[1][0]
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return whole_number(value)
    return None


def move_personal_values(from_subject: Any, to_subject: Any, *, actor: Any = None) -> int:
    """Move the personal values about one subject to another (a person merged into another), so that
    searching and erasing the survivor covers both. The chained entries keep their original subject.
    Returns how many entries moved, and records the move. Flushes, never commits."""
    from_type, from_id = _object_ref(from_subject)
    to_type, to_id = _object_ref(to_subject)
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        moved = db.session.scalar(sa.select(sa.func.audit_move_values(from_type, from_id, to_type, to_id)))
    else:
        moved = rows_changed(
            db.session.execute(
                sa.update(audit_values)
                .where(
                    audit_values.c.subject_type == from_type, audit_values.c.subject_id.is_not_distinct_from(from_id)
                )
                .values(subject_type=to_type, subject_id=to_id)
                .execution_options(synchronize_session=False)
            )
        )
    record(
        actor,
        AuditAction.move,
        (to_type, to_id),
        f"Moved the personal details of {moved} audit {'entry' if moved == 1 else 'entries'} "
        f"from {from_type} {from_id} to {to_type} {to_id}",
    )
    db.session.flush()
    _expire_entries()
    return int(moved or 0)


def _expire_entries() -> None:
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, AuditEntry):
            db.session.expire(obj)


# --- the hash chain -------------------------------------------------------------------------------

#: How far below the highest sealed entry the sealer looks for entries that committed late (a
#: transaction that was open while newer entries were sealed). Ids, not time: it bounds the scan.
SEAL_LOOKBACK = 10_000
SEAL_BATCH = 5_000
#: pg_try_advisory_xact_lock key: one sealer at a time (a second one skips its turn).
SEAL_LOCK_KEY = 0x61756469  # "audi"


def seal_pending(batch: int = SEAL_BATCH, *, lookback: int | None = SEAL_LOOKBACK) -> int:
    """Seal up to ``batch`` unsealed entries, oldest first, onto the end of the chain. Returns how many.

    Writers never wait for this: an entry is complete without its seal, and only the sealer touches the
    end of the chain. On PostgreSQL an advisory lock keeps sealers one at a time; the unique position
    and entry id back that up on both databases (a losing sealer fails and the next run carries on).
    ``lookback=None`` searches the whole log (``flask audit seal --all``). Flushes, never commits.
    """
    session = db.session
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and not session().in_transaction():
        # Read the chain's end and extend it under the one write lock (see casework.core.db).
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    if dialect == "postgresql" and not session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(SEAL_LOCK_KEY))):
        return 0
    last = session.execute(
        sa.select(AuditSeal.position, AuditSeal.hash).order_by(AuditSeal.position.desc()).limit(1)
    ).first()
    position, previous = (last.position, last.hash) if last else (0, chain.GENESIS)
    floor = 0
    if lookback is not None and last is not None:
        floor = max((session.scalar(sa.select(sa.func.max(AuditSeal.entry_id))) or 0) - lookback, 0)
    sealed = sa.select(AuditSeal.entry_id).where(AuditSeal.entry_id == audit_entries.c.id)
    rows = session.execute(
        sa.select(
            audit_entries.c.id,
            audit_entries.c.created_at,
            audit_entries.c.actor_id,
            audit_entries.c.action,
            audit_entries.c.object_type,
            audit_entries.c.object_id,
            audit_entries.c.values_hash,
        )
        .where(audit_entries.c.id > floor, ~sa.exists(sealed))
        .order_by(audit_entries.c.id)
        .limit(batch)
    ).all()
    seals = []
    for row in rows:
        position += 1
        digest = chain.entry_digest(*row)
        current = chain.link(previous, digest)
        seals.append({"position": position, "entry_id": row.id, "previous_hash": previous, "hash": current})
        previous = current
    if seals:
        session.execute(sa.insert(AuditSeal), seals)
    return len(seals)


@dataclass(frozen=True)
class ChainReport:
    sealed: int
    unsealed: int
    head: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(*, limit: int = 20, known_head: str | None = None) -> ChainReport:
    """Walk the chain from the first seal and report what was changed or removed, first problem first.

    Checks, for each seal in order: no position is missing, it links to the one before, its entry exists
    and hashes as sealed, and the entry's personal values are there and match ``values_hash`` unless they
    were erased. Entries not sealed yet have their values checked too. Reads only; stops collecting after
    ``limit`` problems (the first one is what matters: everything after it is suspect).

    The newest entries removed together with their seals leave a shorter chain that is intact in itself:
    only a head recorded earlier (``known_head``, as an earlier run reported it) shows they are gone.
    """
    problems: list[str] = []
    previous_hash, expected_position, previous_entry = chain.GENESIS, 1, None
    sealed = 0
    head_found = known_head is None or known_head == chain.GENESIS
    for row in _stream(
        sa.select(
            AuditSeal.position,
            AuditSeal.entry_id,
            AuditSeal.previous_hash,
            AuditSeal.hash,
            audit_entries.c.id,
            audit_entries.c.created_at,
            audit_entries.c.actor_id,
            audit_entries.c.action,
            audit_entries.c.object_type,
            audit_entries.c.object_id,
            audit_entries.c.values_hash,
            *_value_columns(),
        )
        .select_from(AuditSeal)
        .outerjoin(audit_entries, audit_entries.c.id == AuditSeal.entry_id)
        .outerjoin(audit_values, audit_values.c.entry_id == AuditSeal.entry_id)
        .order_by(AuditSeal.position)
    ):
        if len(problems) >= limit:
            break
        sealed += 1
        where = f"entry {row.entry_id} (sealed at position {row.position})"
        if row.position != expected_position:
            after = f"after entry {previous_entry}" if previous_entry is not None else "at the start of the chain"
            problems.append(
                f"The seal at position {expected_position} is missing: the entry sealed there, {after}, "
                f"was removed with its seal."
            )
        elif row.previous_hash != previous_hash:
            problems.append(f"The seal of {where} does not follow the seal before it: the chain was rewritten.")
        elif row.id is None:
            problems.append(f"Entry {row.entry_id} (sealed at position {row.position}) was removed.")
        elif row.hash != chain.link(previous_hash, chain.entry_digest(*_chained(row))):
            problems.append(
                f"Entry {row.entry_id} (sealed at position {row.position}) was changed after it was sealed."
            )
        else:
            problem = _values_problem(row, where)
            if problem:
                problems.append(problem)
        previous_hash, expected_position, previous_entry = row.hash, row.position + 1, row.entry_id
        head_found = head_found or row.hash == known_head

    if not head_found and len(problems) < limit:
        problems.append(
            f"The chain head recorded earlier ({known_head}) is no longer in the chain: the entries sealed "
            f"after entry {previous_entry} were removed with their seals."
            if previous_entry is not None
            else f"The chain head recorded earlier ({known_head}) is no longer in the chain: every entry "
            "was removed with its seal."
        )

    unsealed = 0
    for row in _stream(
        sa.select(audit_entries.c.id, audit_entries.c.values_hash, *_value_columns())
        .outerjoin(audit_values, audit_values.c.entry_id == audit_entries.c.id)
        .where(~sa.exists(sa.select(AuditSeal.entry_id).where(AuditSeal.entry_id == audit_entries.c.id)))
        .order_by(audit_entries.c.id)
    ):
        unsealed += 1
        problem = _values_problem(row, f"entry {row.id} (not sealed yet)")
        if problem and len(problems) < limit:
            problems.append(problem)
    return ChainReport(sealed=sealed, unsealed=unsealed, head=previous_hash, problems=problems)


def _value_columns() -> list[Any]:
    return [
        audit_values.c.entry_id.label("values_entry_id"),
        audit_values.c.summary,
        audit_values.c.changes,
        audit_values.c.ip_address,
        audit_values.c.nonce,
        audit_values.c.erased_at,
    ]


def _chained(row: Any) -> tuple[Any, ...]:
    return (row.id, row.created_at, row.actor_id, row.action, row.object_type, row.object_id, row.values_hash)


def _values_problem(row: Any, where: str) -> str | None:
    if row.values_entry_id is None:
        return f"The personal values of {where} were removed."
    if row.erased_at is not None:
        erased_properly = (
            row.summary == ERASED_SUMMARY and row.changes is None and row.ip_address is None and row.nonce is None
        )
        return None if erased_properly else f"The personal values of {where} were changed after they were erased."
    if chain.values_digest(row.nonce, row.summary, row.changes, row.ip_address) != row.values_hash:
        return f"The personal values of {where} were changed."
    return None


def _stream(query: sa.Select, size: int = 2_000) -> Iterator[Any]:
    yield from db.session.execute(query.execution_options(yield_per=size))


# --- subject access -------------------------------------------------------------------------------------


def views_of(subjects: Iterable[tuple[str, Iterable[Any]]]) -> list[dict[str, Any]]:
    """Who viewed these records and when (``[(object_type, ids)]``), oldest first, with the viewer's
    name and agency: the part of a subject access export that says who looked at the person's data."""
    from casework.accounts.models import Agency, User

    entries = audit_entries.c
    clauses = [
        sa.and_(entries.object_type == object_type, entries.object_id.in_([str(i) for i in ids]))
        for object_type, ids in subjects
        if ids
    ]
    if not clauses:
        return []
    # From ``audit_entries`` alone: nothing here is in ``audit_values``, and joining it (as the
    # ``AuditEntry`` mapping does) lets a planner that believes the log empty (statistics taken before
    # it grew) probe every values row for each entry found, a statement quadratic in the log's size.
    rows = db.session.execute(
        sa.select(entries.created_at, entries.object_type, User.name, Agency.name)
        .select_from(audit_entries)
        .outerjoin(User, User.id == entries.actor_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(entries.action == AuditAction.view, sa.or_(*clauses))
        .order_by(entries.created_at, entries.id)
    )
    # What was viewed, not the page it was shown on: that page's address can name another person's
    # case (a linked case shows this one), which is not the subject's to know.
    return [
        {"viewed_at": at.isoformat(), "what": VIEWED_LABELS.get(object_type, object_type), "by": name, "agency": agency}
        for at, object_type, name, agency in rows
    ]


VIEWED_LABELS = {"people": "the person's record", "cases": "a case they are on"}
