"""What the stack allows, for ``bench/stack_ceiling.py``: the minimal endpoint's Flask app with a
database behind it and nothing of Casework's, so that its share of the minimal endpoint's throughput
is the most any page that reads (or reads and writes) can reach on this machine and these settings.

- ``/one-row``: one row read by primary key through a pooled SQLAlchemy engine, as JSON.
- ``/one-row-and-write``: the same read, then one row inserted and committed, as a page that logs
  what it showed does.
- ``/two-rows-and-write``: two rows read by primary key, one after the other (a signed-in request reads
  its user, then the record), then one row inserted and committed: the fewest statements a signed-in
  page that logs what it showed can run.
- ``/page-and-writes``: one row read (the user), then a page of ``PAGE`` rows read in one statement,
  then one row a shown row inserted and committed in one statement: the API case list's shape in
  ``bench/throughput.py`` (its demo officer sees four cases), which ``bench/signed_in_app.py`` serves
  through the project's Flask extensions.
- ``/record-and-writes``: one row read (the user), then a record and its parts of ``PART_KINDS`` read
  one kind a statement (five reads), then one row a shown record or part inserted and committed in
  one statement: the API case page's shape in ``bench/throughput.py`` (the demo case's page reads its
  case and four collections after the user, and logs thirteen records as shown). ``bench/signed_in_app.py``
  serves it through the extensions too.

The database is ``ONE_ROW_DATABASE_URL``; ``bench/stack_ceiling.py`` creates its tables. SQLite
gets the pragmas Casework's connections get (WAL, ``synchronous=NORMAL``, a busy timeout) and nothing
else (no write lock of its own: two processes' writers wait in SQLite's busy handler).
"""

from __future__ import annotations

import functools
import os
import random

import sqlalchemy as sa
from flask import Flask

app = Flask(__name__)

#: How many rows ``bench/stack_ceiling.py`` puts in ``bench_rows``.
ROWS = 1000
#: Rows a page shows: the demo officer's case list in ``bench/throughput.py`` holds four cases.
PAGE = 4
#: A record's parts, read one kind a statement, ``PARTS_PER_KIND`` of each: with the record, thirteen
#: records shown, as on the demo case's page (its people, interventions, actions and risk assessment).
PART_KINDS = ("people", "interventions", "actions", "risk")
PARTS_PER_KIND = 3
#: About the demo case's answer: its API page is 12 KB for thirteen records.
PART_TEXT = 900

metadata = sa.MetaData()
rows = sa.Table(
    "bench_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
writes = sa.Table(
    "bench_writes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("row_id", sa.Integer, nullable=False),
    sa.Column("note", sa.String(200), nullable=False),
)
parts = sa.Table(
    "bench_parts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("row_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("bench_parts_row_kind", "row_id", "kind"),
)
_ONE_ROW = sa.select(rows.c.id, rows.c.name, rows.c.created_at).where(rows.c.id == sa.bindparam("row_id"))
_ONE_WRITE = sa.insert(writes)
_PAGE = sa.select(rows.c.id, rows.c.name, rows.c.created_at).where(
    rows.c.id.between(sa.bindparam("first"), sa.bindparam("last"))
)
_PARTS = (
    sa.select(parts.c.id, parts.c.created_at, parts.c.text)
    .where(parts.c.row_id == sa.bindparam("row_id"), parts.c.kind == sa.bindparam("kind"))
    .order_by(parts.c.id)
)


@functools.cache
def engine() -> sa.Engine:
    """The served database's engine (the tables are importable without one: the script creates them)."""
    created = sa.create_engine(os.environ["ONE_ROW_DATABASE_URL"], pool_size=4, max_overflow=4)
    if created.dialect.name == "sqlite":
        sa.event.listen(created, "connect", _sqlite_pragmas)
    return created


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _read(connection: sa.Connection) -> dict[str, object]:
    row = connection.execute(_ONE_ROW, {"row_id": random.randint(1, ROWS)}).one()
    return {"id": row.id, "name": row.name, "created_at": row.created_at.isoformat()}


@app.get("/one-row")
def one_row() -> dict[str, object]:
    with engine().connect() as connection:
        return _read(connection)


@app.get("/one-row-and-write")
def one_row_and_write() -> dict[str, object]:
    with engine().connect() as connection:
        shown = _read(connection)
        _write(connection, [shown], "Shown by GET /one-row-and-write")
    return shown


@app.get("/two-rows-and-write")
def two_rows_and_write() -> dict[str, object]:
    with engine().connect() as connection:
        _read(connection)
        shown = _read(connection)
        _write(connection, [shown], "Shown by GET /two-rows-and-write")
    return shown


@app.get("/page-and-writes")
def page_and_writes() -> dict[str, object]:
    with engine().connect() as connection:
        user = _read(connection)
        items = read_page(connection)
        _write(connection, items, "Shown by GET /page-and-writes")
    return {"user": user, "items": items}


@app.get("/record-and-writes")
def record_and_writes() -> dict[str, object]:
    with engine().connect() as connection:
        user = _read(connection)
        record, shown = read_record(connection)
        _write(connection, shown, "Shown by GET /record-and-writes")
    return {"user": user, "record": record}


def read_record(connection: sa.Connection) -> tuple[dict[str, object], list[dict[str, object]]]:
    """A record and its parts, one statement for the record and one a kind of part, as JSON; and every
    record and part shown, for the view entries (``bench/signed_in_app.py`` reads its record with this
    too)."""
    record = _read(connection)
    shown = [record]
    for kind in PART_KINDS:
        record[kind] = [
            {"id": row.id, "created_at": row.created_at.isoformat(), "text": row.text}
            for row in connection.execute(_PARTS, {"row_id": record["id"], "kind": kind})
        ]
        shown += record[kind]
    return record, shown


def read_page(connection: sa.Connection) -> list[dict[str, object]]:
    """``PAGE`` rows in one statement, as JSON (``bench/signed_in_app.py`` reads its page with this too)."""
    first = random.randint(1, ROWS - PAGE + 1)
    return [
        {"id": row.id, "name": row.name, "created_at": row.created_at.isoformat()}
        for row in connection.execute(_PAGE, {"first": first, "last": first + PAGE - 1})
    ]


def _write(connection: sa.Connection, shown: list[dict[str, object]], note: str) -> None:
    """The read ends, then one row a shown row is written, in one statement and a transaction of its own
    (as Casework's view entries)."""
    connection.rollback()
    with connection.begin():
        connection.execute(_ONE_WRITE, [{"row_id": row["id"], "note": note} for row in shown])
