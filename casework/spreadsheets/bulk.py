"""Writing and matching many rows at once, for imports, in the caller's transaction.

An import of a partnership's history writes hundreds of thousands of rows. Through SQLAlchemy's batched
``INSERT ... RETURNING`` most of the time went to building and adapting statements with thousands of
parameters (measured in bench/import_bench.py, see docs/performance.md). On PostgreSQL these helpers
use what it offers for the purpose instead:

- ``next_ids``: the ids of the rows about to be written, taken from the table's sequence in one
  statement, so the rows can be written without ``RETURNING`` and their children can name them;
- ``copy_rows``: ``COPY ... FROM STDIN`` through psycopg, on the session's own connection (so in its
  transaction and its SAVEPOINTs, and rolled back with them);
- ``among``: ``column = ANY(:values)``, one array parameter instead of a list of thousands;
- ``joined_to``: a query joined to a list of values as a table (``unnest(:values)``), for the lookups of
  every batch. psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any
  values: ``= ANY($1)`` is then tested against each element in turn, for every row scanned (a batch's
  5,000 source references against the 100,000 an import had written took minutes, and longer with
  each batch). Joined as a table, the values are hashed or looked up by index whatever the plan.

On SQLite (tests and small installations) the same calls run a plain batched insert and an ``IN`` list.
The rows written are the same on both: tests/spreadsheets/test_bulk.py compares them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from casework.extensions import db

#: Values per ``IN`` list where the database has no arrays (SQLite allows 32,766 parameters).
IN_CHUNK = 1000


def is_postgresql() -> bool:
    return bool(db.session.get_bind().dialect.name == "postgresql")


def next_ids(table: sa.Table, count: int) -> list[int]:
    """``count`` new ids from ``table``'s id sequence, in one statement (PostgreSQL only)."""
    if count <= 0:
        return []
    sequence = sa.func.pg_get_serial_sequence(table.name, "id")
    return list(db.session.scalars(sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))))


def copy_rows(table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``rows`` (tuples in the order of ``columns``) into ``table``; the other columns take their
    server defaults. ``COPY`` on PostgreSQL, a batched ``INSERT`` elsewhere. Returns the rows written."""
    session = db.session
    # Anything the session holds unwritten goes first: the copied rows may refer to it.
    session.flush()
    if not is_postgresql():
        pending = [dict(zip(columns, row, strict=True)) for row in rows]
        if pending:
            session.execute(sa.insert(table), pending)
        return len(pending)
    # Imported here: on the SQLite default psycopg (some 9 MB) is never loaded.
    import psycopg

    connection = session.connection().connection.driver_connection
    assert connection is not None
    names = ", ".join(f'"{name}"' for name in columns)
    written = 0
    try:
        with connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
    except psycopg.errors.IntegrityError as error:
        # As SQLAlchemy reports it for an INSERT: the callers' SAVEPOINTs turn it into a row's problem.
        raise sa.exc.IntegrityError(f"COPY {table.name}", None, error) from error
    return written


def joined_to(query: sa.Select[Any], column: Any, values: Sequence[Any]) -> list[sa.Select[Any]]:
    """``query`` limited to the rows whose ``column`` is one of ``values``: joined to them as a table on
    PostgreSQL, in chunks of ``IN`` lists elsewhere (run each statement returned)."""
    if not values:
        return []
    if is_postgresql():
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        wanted = sa.func.unnest(array).table_valued("value").render_derived()
        return [query.join(wanted, column == wanted.c.value)]
    return [query.where(condition) for condition in among(column, values)]


def among(column: Any, values: Sequence[Any]) -> list[sa.ColumnElement[bool]]:
    """Conditions that together select the rows whose ``column`` is one of ``values``: one condition
    with an array on PostgreSQL, chunks of ``IN`` lists elsewhere (run one statement per condition)."""
    if not values:
        return []
    if is_postgresql():
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return [column == sa.any_(array)]
    values = list(values)
    return [column.in_(values[start : start + IN_CHUNK]) for start in range(0, len(values), IN_CHUNK)]
