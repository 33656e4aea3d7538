"""Running an import: the dry run and the real run are the same code.

Each kind of import (``casework.spreadsheets.kinds``) reads the rows and hands them to its domain's
services, exactly as the API would, so the same rules and visibility apply. The run happens in one
transaction:

- a **dry run** always rolls it back: nothing is written, and every row's problems are reported;
- a **real run** commits only when no row had a problem (all or nothing), and rolls back otherwise.

Rows that go through a per-row service run in a SAVEPOINT each, so a row that fails leaves nothing
behind and the run goes on to find the next row's problems. Everything the run adds to the session is
noted in the import's ledger (``ImportRecord``) by a flush listener, and bulk paths note what they
insert themselves, so undoing the import deletes exactly what it wrote.

Problems are written to a temporary file as they are found and stored once the transaction has ended,
so a file with a problem on every row neither fills memory nor is lost with the rollback. Progress is
written through a separate connection where the database allows two writers (PostgreSQL); on SQLite
the page shows only the stage.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, cast

import sqlalchemy as sa

from casework.core.errors import RULE, DomainError, InvalidInput
from casework.extensions import db
from casework.spreadsheets import bulk
from casework.spreadsheets.models import ImportProblem, ImportRecord, ImportSourceKey

log = logging.getLogger(__name__)

#: Rows between progress reports and between writes of the ledger.
PROGRESS_EVERY = 1000
#: Tables an import never notes in its ledger: the audit log is append-only, and its own bookkeeping.
NOT_LEDGERED = {"audit_entries", "import_jobs", "import_problems", "import_records", "import_source_keys"}


@dataclass(frozen=True)
class SourceRecord:
    """A record the source's reference already names: ``(table, id)``, and the import that wrote it."""

    table_name: str
    object_id: int
    job_id: int


class ProblemLog:
    """Problems as they are found, kept on disk until they can be stored."""

    def __init__(self) -> None:
        self.file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.count = 0
        self.rows: set[int] = set()

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.count += 1
        if row is not None and len(self.rows) < 1_000_000:
            self.rows.add(row)
        self.file.write(json.dumps([row, column, message[:1000]]) + "\n")

    def store(self, job_id: int, batch: int = 1000) -> None:
        """Write them as ``ImportProblem`` rows (in the caller's transaction)."""
        self.file.seek(0)
        pending: list[dict[str, Any]] = []
        for line in self.file:
            row, column, message = json.loads(line)
            pending.append({"job_id": job_id, "row": row, "column": column, "message": message})
            if len(pending) >= batch:
                db.session.execute(sa.insert(ImportProblem), pending)
                pending = []
        if pending:
            db.session.execute(sa.insert(ImportProblem), pending)

    def close(self) -> None:
        self.file.close()


class ImportContext:
    """What a kind's ``run`` works with: the job, the acting user, and the ways to report what it did."""

    def __init__(
        self, job: Any, actor: Any, *, dry_run: bool, column_names: Mapping[str, str], progress: Any = None
    ) -> None:
        self.job = job
        #: Layout column key -> the name the user's file gives it (what problems are reported under).
        self.column_names = dict(column_names)
        self.job_id: int = job.id
        self.agency_id: int = job.agency_id
        self.actor = actor
        self.dry_run = dry_run
        self.options: dict[str, Any] = dict(job.options or {})
        self.problems = ProblemLog()
        self.created: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.rows_done = 0
        self._progress = progress
        #: ``(table, id)`` of rows written and not yet noted in the ledger.
        self._ledger: list[tuple[str, int]] = []

    # --- reporting ------------------------------------------------------------------------------------

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        """A problem in ``row``, in the layout column ``column`` (a key; None for the whole row)."""
        self.problems.add(row, self.column_names.get(column, column) if column else None, _sentence(message))

    def has_problems(self) -> bool:
        return self.problems.count > 0

    def row_done(self) -> None:
        self.rows_done += 1
        if self.rows_done % PROGRESS_EVERY == 0:
            self.write_ledger()
            if self._progress is not None:
                self._progress(self.rows_done)

    # --- the ledger -----------------------------------------------------------------------------------

    def note(self, table_name: str, ids: Iterable[int]) -> None:
        """Rows a bulk path inserted without the session (the flush listener sees only the session's)."""
        self._ledger.extend((table_name, i) for i in ids)
        if len(self._ledger) >= 5000:
            self.write_ledger()

    def write_ledger(self) -> None:
        """Note what was written in the ledger. A dry run keeps no ledger: the ledger serves only to undo
        the import, and a dry run's transaction is always rolled back."""
        pending, self._ledger = self._ledger, []
        if pending and not self.dry_run:
            bulk.copy_rows(
                cast(sa.Table, ImportRecord.__table__),
                ("job_id", "table_name", "object_id"),
                ((self.job_id, table, object_id) for table, object_id in pending),
            )

    def _after_flush(self, session: Any, _context: Any) -> None:
        for obj in session.new:
            mapper = sa.inspect(obj).mapper
            # The table the row is in: a model mapped to a join (the audit log's entries with their
            # values) has none of its own, and a name Flask-SQLAlchemy made up ("audit_entry").
            if not isinstance(mapper.local_table, sa.Table) or mapper.local_table.name in NOT_LEDGERED:
                continue
            table = mapper.local_table.name
            identity = mapper.primary_key_from_instance(obj)
            # Rows keyed by two columns (a case's shares) belong to a ledgered row and go with it
            # (ON DELETE CASCADE).
            if len(identity) == 1 and isinstance(identity[0], int):
                self._ledger.append((table, identity[0]))

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        session = db.session()
        sa.event.listen(session, "after_flush", self._after_flush)
        try:
            yield
        finally:
            sa.event.remove(session, "after_flush", self._after_flush)

    # --- the source's references ---------------------------------------------------------------------

    def find(self, record_kind: str, references: Iterable[str]) -> dict[str, SourceRecord]:
        """The records this agency's imports brought in under these references (one query)."""
        wanted = sorted({r for r in references if r})
        found: dict[str, SourceRecord] = {}
        query = sa.select(
            ImportSourceKey.source_reference,
            ImportSourceKey.table_name,
            ImportSourceKey.object_id,
            ImportSourceKey.job_id,
        ).where(ImportSourceKey.agency_id == self.agency_id, ImportSourceKey.record_kind == record_kind)
        for statement in bulk.joined_to(query, ImportSourceKey.source_reference, wanted):
            rows = db.session.execute(statement)
            for reference, table, object_id, job_id in rows:
                found[reference] = SourceRecord(table, object_id, job_id)
        return found

    def remember(self, record_kind: str, pairs: Sequence[tuple[str, str, int]]) -> None:
        """``(reference, table, id)`` for records this run created: later rows, and later imports, find
        them by the reference."""
        if pairs:
            bulk.copy_rows(
                cast(sa.Table, ImportSourceKey.__table__),
                ("agency_id", "record_kind", "source_reference", "table_name", "object_id", "job_id"),
                (
                    (self.agency_id, record_kind, reference, table, object_id, self.job_id)
                    for reference, table, object_id in pairs
                ),
            )

    # --- one row through the services ----------------------------------------------------------------

    @contextlib.contextmanager
    def row(self, number: int, fields: Mapping[str, str] | None = None) -> Iterator[Counter[str]]:
        """Run a row's service calls in a SAVEPOINT: a DomainError becomes the row's problems (each
        field the service named shown as its column, through ``fields``) and undoes the row only.
        Yields a counter of what the row creates, added to the run's totals only if the row succeeds."""
        savepoint = db.session.begin_nested()
        created: Counter[str] = Counter()
        try:
            yield created
            db.session.flush()
        except DomainError as error:
            savepoint.rollback()
            self.report(number, error, fields or {})
        except sa.exc.IntegrityError:
            savepoint.rollback()
            self.problem(number, None, "This row clashes with a record that already exists")
        else:
            savepoint.commit()
            self.created.update(created)
        self.row_done()

    def cell_problems(self, row: Any) -> bool:
        """Report the problems found reading the row's cells; True when there were any."""
        for key, message in row.problems.items():
            self.problem(row.number, key, message)
        return bool(row.problems)

    def skip(self, kind: str) -> None:
        """A row whose record an earlier import brought in already: nothing changes."""
        self.skipped[kind] += 1
        self.row_done()

    def report(self, number: int, error: DomainError, fields: Mapping[str, str]) -> None:
        if isinstance(error, InvalidInput):
            seen: set[str] = set()
            # A rule named with its field appears twice in the errors: once is enough.
            for field, messages in sorted(error.errors.items(), key=lambda item: item[0] == RULE):
                for message in messages:
                    if message in seen:
                        continue
                    seen.add(message)
                    self.problem(number, column_for(field, fields), message)
        else:
            self.problem(number, None, error.message or "This row cannot be imported")


def column_for(field: str, fields: Mapping[str, str]) -> str | None:
    """The column a service's field name stands for (``complaints.0.reported_on`` -> ``reported_on``)."""
    if field == RULE:
        return None
    if field in fields:
        return fields[field]
    last = field.rsplit(".", 1)[-1]
    return fields.get(last)


def _sentence(message: str) -> str:
    return message.rstrip(".")
