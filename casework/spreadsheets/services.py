"""Import jobs and exports. Services never commit; the views and the task do.

An import goes: upload (the file stored, its columns read) -> mapping (the user matches their columns to
the layout) -> dry run (a task: every row checked through the services, nothing written) -> real run
(a task: all or nothing) -> undo (while nothing imported has changed since).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app

from casework.audit.models import AuditAction, AuditEntry
from casework.audit.services import record
from casework.core.db import rows_changed
from casework.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from casework.core.jobs import Lease, queued_lease
from casework.core.time import now
from casework.extensions import db
from casework.spreadsheets import kinds as kinds_module
from casework.spreadsheets.columns import Layout, read_row, suggest_mapping
from casework.spreadsheets.kinds import ImportKind, ParsedRow
from casework.spreadsheets.models import (
    ImportFileChunk,
    ImportJob,
    ImportProblem,
    ImportRecord,
    ImportSourceKey,
    ImportStatus,
)
from casework.spreadsheets.reading import FileProblem, ReadingLimits, Sheet, detect_format, open_sheet
from casework.spreadsheets.runner import ImportContext
from casework.spreadsheets.writing import write_sheet

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(current_app.config["CASEWORK"].get("IMPORT_MAX_MB") or 50) * 1024 * 1024


#: How much larger than the largest file an import accepts its workbook may be once unpacked: real XLSX
#: sheets shrink five to ten times; a "zip bomb" a thousand.
UNPACKED_PER_UPLOADED = 20


def reading_limits() -> ReadingLimits:
    """What one import file may ask of the reader (``casework.spreadsheets.reading``)."""
    upload = max_upload_bytes()
    return ReadingLimits(
        max_rows=int(current_app.config["CASEWORK"]["IMPORT_MAX_ROWS"]),
        max_unpacked_bytes=upload * UNPACKED_PER_UPLOADED,
        max_part_bytes=upload,
    )


def get_kind(key: str) -> ImportKind:
    kind = kinds_module.import_kinds().get(key)
    if kind is None:
        raise NotFound("There is no such kind of import.")
    return kind


def kinds_for(user: Any) -> list[ImportKind]:
    return [kind for kind in kinds_module.import_kinds().values() if kind.allows(user)]


# --- who sees which job ---------------------------------------------------------------------------------


def visible_jobs_clause(user: Any) -> sa.ColumnElement[bool]:
    """A user sees the imports of their own agency, of the kinds they may import."""
    allowed = [kind.key for kind in kinds_for(user)]
    if not allowed:
        return sa.false()
    return sa.and_(ImportJob.agency_id == user.agency_id, ImportJob.kind.in_(allowed))


def get_job_for(user: Any, job_id: int) -> ImportJob:
    job = db.session.scalar(sa.select(ImportJob).where(ImportJob.id == job_id, visible_jobs_clause(user)))
    if job is None:
        raise NotFound("Import not found.")
    return job


# --- upload --------------------------------------------------------------------------------------------


def _clean_filename(name: str | None) -> str:
    """The name as shown back to the user: no folders, no control characters, not too long."""
    base = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "\x00").strip()
    return (base or "upload")[:255]


def upload(actor: Any, kind_key: str, stream: IO[bytes], filename: str | None, options: Mapping[str, Any]) -> ImportJob:
    """Store the file (in pieces, never whole in memory), read its column names and suggest a mapping."""
    kind = get_kind(kind_key)
    if not kind.allows(actor):
        raise Forbidden("You cannot import this kind of record.")
    chosen: dict[str, Any] = {}
    for option in kind.options:
        value = (options.get(option.key) or "").strip()
        allowed = {v for v, _ in option.choices(actor)}
        if value not in allowed:
            raise InvalidInput({option.key: [f"Select the {option.label.lower()}"]})
        chosen[option.key] = value
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    position = 0
    job = ImportJob(
        kind=kind.key,
        status=ImportStatus.uploaded,
        agency_id=actor.agency_id,
        created_by_id=actor.id,
        filename=_clean_filename(filename),
        file_format="csv",
        size=0,
        sha256="",
        header=[],
        options=chosen or None,
    )
    db.session.add(job)
    db.session.flush()
    head = b""
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise InvalidInput({"file": [f"The file must be smaller than {limit // (1024 * 1024)}MB"]})
        if position == 0:
            head = chunk[:8]
        digest.update(chunk)
        db.session.execute(sa.insert(ImportFileChunk), [{"job_id": job.id, "position": position, "data": chunk}])
        position += 1
    if size == 0:
        raise InvalidInput({"file": ["The selected file is empty"]})
    job.size = size
    job.sha256 = digest.hexdigest()
    job.file_format = detect_format(head, filename)
    try:
        with stored_file(job) as file, _sheet(file, job.file_format) as sheet:
            header = sheet.header
    except FileProblem as problem:
        raise InvalidInput({"file": [problem.message.rstrip(".")]}) from None
    if not any(header):
        raise InvalidInput({"file": ["The first row of the file must hold the column names"]})
    job.header = [name[:200] for name in header]
    job.mapping = dict(suggest_mapping(kind.layout, job.header).items())
    db.session.flush()
    record(
        actor,
        AuditAction.create,
        job,
        f"Uploaded {job.filename} to import {kind.title.lower()}",
        {"kind": kind.key, "size": size, "sha256": job.sha256, "format": job.file_format},
    )
    return job


class stored_file:  # lower case: used as a context manager, like open()
    """The job's file copied from the database to a temporary file on disk, a piece at a time."""

    def __init__(self, job: ImportJob) -> None:
        self.job_id = job.id

    def __enter__(self) -> IO[bytes]:
        self.file = tempfile.TemporaryFile()
        result = db.session.execute(
            sa.select(ImportFileChunk.data)
            .where(ImportFileChunk.job_id == self.job_id)
            .order_by(ImportFileChunk.position)
            .execution_options(yield_per=1)
        )
        found = False
        for (data,) in result:
            found = True
            self.file.write(data)
        if not found:
            self.file.close()
            raise FileProblem("The uploaded file is no longer held: upload it again.")
        self.file.seek(0)
        return self.file

    def __exit__(self, *_exc: Any) -> None:
        self.file.close()


class _sheet:
    def __init__(self, file: IO[bytes], file_format: str) -> None:
        self.file, self.file_format = file, file_format

    def __enter__(self) -> Sheet:
        self.sheet = open_sheet(self.file, self.file_format, reading_limits())
        return self.sheet

    def __exit__(self, *_exc: Any) -> None:
        close = getattr(self.sheet.rows, "close", None)
        if close is not None:
            close()


# --- mapping and the runs ------------------------------------------------------------------------------


def _check_version(job: ImportJob, expected: int | None) -> None:
    if expected is not None and expected != job.version:
        raise Conflict("The import changed since you loaded the page.")


def set_mapping(
    actor: Any, job: ImportJob, mapping: Mapping[str, int | None], expected_version: int | None = None
) -> None:
    """Match the layout's columns to the file's, and queue the dry run."""
    _check_version(job, expected_version)
    if job.status not in (ImportStatus.uploaded, ImportStatus.checked, ImportStatus.failed):
        raise RuleViolation("The columns can be matched again only before the import runs.")
    layout = get_kind(job.kind).layout
    errors: dict[str, list[str]] = {}
    clean: dict[str, int | None] = {}
    used: dict[int, str] = {}
    for column in layout.columns:
        index = mapping.get(column.key)
        if index is not None and not (0 <= int(index) < len(job.header)):
            errors[column.key] = [f"Select a column of the file for {column.label.lower()}"]
            continue
        if index is None and column.required:
            errors[column.key] = [f"Select the column that holds the {column.label[0].lower()}{column.label[1:]}"]
            continue
        if index is not None:
            index = int(index)
            if index in used:
                errors[column.key] = [f"The column '{job.header[index]}' is already matched to {used[index].lower()}"]
                continue
            used[index] = column.label
        clean[column.key] = index
    if errors:
        raise InvalidInput(errors)
    if not file_is_held(job):
        raise InvalidInput({"file": ["The uploaded file is no longer held: upload it again"]})
    job.mapping = clean
    _queue(actor, job, dry_run=True)


def start_import(actor: Any, job: ImportJob, expected_version: int | None = None) -> None:
    """Queue the real run: only after a dry run of the same mapping found no problem."""
    _check_version(job, expected_version)
    if job.status != ImportStatus.checked or job.problem_count or job.checked_mapping != job.mapping:
        raise RuleViolation("Check the file first: it can be imported only after a check that finds no problems.")
    _queue(actor, job, dry_run=False)


def _queue(actor: Any, job: ImportJob, *, dry_run: bool) -> None:
    from casework.core.tasks_outbox import enqueue

    job.status = ImportStatus.checking if dry_run else ImportStatus.importing
    job.rows_done = 0
    job.started_at = None
    # A new run: sent again if nobody takes it by then, given up after the attempts (casework.core.jobs).
    job.lease_until = queued_lease()
    job.attempts = 0
    job.finished_at = None
    job.error = None
    db.session.execute(sa.delete(ImportProblem).where(ImportProblem.job_id == job.id))
    db.session.flush()
    record(
        actor,
        AuditAction.update,
        job,
        f"{'Checking' if dry_run else 'Importing'} {job.filename}",
        {"mapping": job.mapping, "dry_run": dry_run},
    )
    # Written with the job's new state: the task runs only if this commits (casework.core.tasks_outbox).
    enqueue("spreadsheets.run_import", job.id, dry_run)


def parsed_rows(layout: Layout, mapping: Mapping[str, int | None], sheet: Sheet) -> Iterator[ParsedRow]:
    for number, cells in sheet.rows:
        values, problems = read_row(layout, mapping, cells)
        yield ParsedRow(number, values, problems)


def column_names(job: ImportJob, layout: Layout) -> dict[str, str]:
    """Layout column key -> how the problem list names it: the file's own column name."""
    names: dict[str, str] = {}
    for column in layout.columns:
        index = (job.mapping or {}).get(column.key)
        names[column.key] = job.header[index] if index is not None and index < len(job.header) else column.label
    return names


def _progress_writer(lease: Lease) -> Any:
    """Report progress through a connection of its own, so the page sees it while the run's transaction
    is open, while the run owns the job. SQLite allows one writer at a time: there, the page shows the
    stage only."""
    if db.engine.dialect.name == "sqlite":
        return None

    def write(rows_done: int) -> None:
        try:
            with db.engine.begin() as connection:
                connection.execute(sa.update(ImportJob).where(lease.owns()).values(rows_done=rows_done))
        except sa.exc.SQLAlchemyError:  # progress is a courtesy: never stop the import for it
            log.warning("Could not write the progress of import %s", lease.job_id, exc_info=True)

    return write


def run(job_id: int, dry_run: bool) -> ImportJob | None:
    """Run the dry run or the real run of a queued job, and commit (the task calls this). The job is
    claimed first, and its lease held while it runs (``casework.core.jobs.leased``): a second delivery,
    or a message for the other run, finds it taken, done or changed since, and does nothing."""
    from casework.core import jobs
    from casework.core.db import commit

    expected = ImportStatus.checking if dry_run else ImportStatus.importing
    with jobs.leased(
        jobs.kind_of(ImportJob), job_id, ImportJob.status == expected, rows_done=0, version=ImportJob.version + 1
    ) as lease:
        job = _run(lease, dry_run) if lease else None
        commit()
        return job


#: Why a run is refused: its uploader may no longer import these records, or not for the job's agency.
NO_LONGER_IMPORTS = "The person who started this import can no longer import these records. Nothing was imported."
NO_LONGER_OF_THE_AGENCY = (
    "The person who uploaded this file no longer works for this agency, so it was not imported for it. "
    "Nothing was imported: someone of the agency may upload the file again."
)


def _refusal(job: ImportJob, actor: Any, kind: ImportKind) -> str | None:
    """Why the job may not run as its uploader now (None: it may). An import writes records for the
    agency it was uploaded for (``ImportJob.agency_id``), as its uploader: the services it calls read
    their agency (a case's lead agency, a person's, which records a row may match), so an uploader
    moved to another agency since would import into that one. Asked as each run starts, as
    ``visible_jobs_clause`` asks who may see the job."""
    if actor is None or not actor.is_active or not kind.allows(actor):
        return NO_LONGER_IMPORTS
    if actor.agency_id != job.agency_id:
        return NO_LONGER_OF_THE_AGENCY
    return None


def _run(lease: Lease, dry_run: bool) -> ImportJob | None:
    """The run of a claimed job; None (its transaction rolled back, nothing written) when it was taken
    from this run meanwhile (past its time limit: ``casework.core.jobs.Lease``)."""
    from casework.accounts.models import User
    from casework.core.db import commit

    job_id = lease.job_id
    job = db.session.get(ImportJob, job_id)
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    kind = get_kind(job.kind)
    refused = _refusal(job, actor, kind)
    if refused is not None:
        if not lease.confirm():
            db.session.rollback()
            return None
        _finish_failed(job, refused)
        delete_file(job)
        commit()
        return job

    mapping = dict(job.mapping or {})
    context = ImportContext(
        job, actor, dry_run=dry_run, column_names=column_names(job, kind.layout), progress=_progress_writer(lease)
    )
    failure: str | None = None
    try:
        with stored_file(job) as file, _sheet(file, job.file_format) as sheet, context.listening():
            kind.run(context, parsed_rows(kind.layout, mapping, sheet))
            context.write_ledger()
            db.session.flush()
    except FileProblem as problem:
        context.problem(problem.row, None, problem.message)
    except Exception:
        log.exception("Import %s failed", job_id)
        failure = "The import stopped because of an error in the service. Nothing was imported. Try again."

    keep = not dry_run and failure is None and not context.has_problems()
    if not keep:
        db.session.rollback()
    # In the run's transaction, before the job's row is written: a run that hung past its time limit,
    # and whose job was sent again, rolls back all it imported.
    if not lease.confirm():
        db.session.rollback()
        context.problems.close()
        return None
    job = db.session.get(ImportJob, job_id)
    summary = {
        "created": dict(context.created),
        "skipped": dict(context.skipped),
        "rows": context.rows_done,
        "rows_with_problems": len(context.problems.rows),
    }
    job.rows_done = context.rows_done
    job.rows_total = context.rows_done
    job.problem_count = context.problems.count
    job.summary = summary
    job.finished_at = now()
    job.lease_until = None
    job.error = failure
    context.problems.store(job.id)
    context.problems.close()
    if failure is not None:
        job.status = ImportStatus.checked if dry_run else ImportStatus.failed
        job.checked_mapping = None
    elif dry_run:
        job.status = ImportStatus.checked
        job.checked_mapping = mapping if not context.has_problems() else None
    elif keep:
        job.status = ImportStatus.imported
        job.imported_at = job.finished_at
    else:
        job.status = ImportStatus.failed
        job.checked_mapping = None
    if keep or context.has_problems():
        # The file has done its job, or it can never be imported as it is (it is corrected and uploaded
        # again): personal data is not kept longer than needed. A run stopped by an error in the service
        # keeps it, to try again, until the sweep (delete_waiting_files).
        delete_file(job)
    record(
        actor,
        AuditAction.create if keep else AuditAction.update,
        job,
        (
            f"Imported {job.filename}: {_describe(summary)}"
            if keep
            else f"{'Checked' if dry_run else 'Could not import'} {job.filename}: {job.problem_count} problems"
        ),
        {"dry_run": dry_run, **summary, "problems": job.problem_count},
    )
    db.session.flush()
    if keep:
        job.audit_mark = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
        db.session.flush()
    return job


def file_is_held(job: ImportJob) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(ImportFileChunk.job_id == job.id))) or False


def delete_file(job: ImportJob) -> None:
    """Delete the uploaded file of ``job`` (its row stays, with the file's name, size and checksum, and
    the problems found in it: the user needs them to correct the file, until ``delete_waiting_files``)."""
    db.session.execute(sa.delete(ImportFileChunk).where(ImportFileChunk.job_id == job.id))


def file_cutoff(moment: datetime | None = None) -> datetime:
    """Files of jobs left untouched since before this are deleted (``CASEWORK_IMPORT_FILE_DAYS``)."""
    return (moment or now()) - timedelta(days=file_days())


def file_days() -> int:
    return int(current_app.config["CASEWORK"]["IMPORT_FILE_DAYS"])


def neutral_filename(job: ImportJob) -> str:
    """What a job is called once its file's name is deleted: nothing of the user's name for it, the
    format kept (what the page shows of the file)."""
    return f"import-{job.id}.{job.file_format}"


#: Jobs per statement of the sweep (well within SQLite's limit on a statement's parameters).
SWEEP_BATCH = 500


def delete_waiting_files(moment: datetime | None = None) -> int:
    """Delete all that is left of the file of every import with nothing done with it for
    ``CASEWORK_IMPORT_FILE_DAYS``, whatever its status (a job untouched that long is not running):

    - the file itself, if still held (uploaded and never checked, checked and never imported, stopped
      by an error in the service; a file is deleted at once when imported or found to have problems);
    - the problems found in it: their messages quote its cells (a reference, a name, what a service
      said about a row), and they describe a file that no longer exists;
    - its column names (its first row) and its name (which can say whose records they are), replaced
      by ``neutral_filename``;
    - the personal values of the job's audit entries, which quote the name (who, when and what kind
      stay, as retention leaves them).

    The job stays, marked ``contents_deleted_at``: who uploaded what kind of records when, the size,
    checksum and counts, and the ledger of what it imported (so it can still be undone). Returns how
    many jobs were swept; a job swept before is not swept again."""
    from casework.audit.services import erase_personal_values_of

    job_ids = list(
        db.session.scalars(
            sa.select(ImportJob.id)
            .where(ImportJob.updated_at < file_cutoff(moment), ImportJob.contents_deleted_at.is_(None))
            .order_by(ImportJob.id)
        )
    )
    swept_at = now()
    for start in range(0, len(job_ids), SWEEP_BATCH):
        batch = job_ids[start : start + SWEEP_BATCH]
        db.session.execute(sa.delete(ImportFileChunk).where(ImportFileChunk.job_id.in_(batch)))
        db.session.execute(sa.delete(ImportProblem).where(ImportProblem.job_id.in_(batch)))
        for job in db.session.scalars(sa.select(ImportJob).where(ImportJob.id.in_(batch))):
            job.filename = neutral_filename(job)
            job.header = []
            job.contents_deleted_at = swept_at
        db.session.flush()
        erase_personal_values_of("import_jobs", batch)
    return len(job_ids)


def _finish_failed(job: ImportJob, message: str) -> None:
    job.status = ImportStatus.failed
    job.error = message
    job.finished_at = now()
    job.lease_until = None


def _describe(summary: Mapping[str, Any]) -> str:
    created = summary.get("created") or {}
    parts = [f"{count:,} {kind}" for kind, count in created.items() if count]
    skipped = sum((summary.get("skipped") or {}).values())
    text = ", ".join(parts) or "nothing new"
    return text + (f"; {skipped:,} already imported" if skipped else "")


def describe(job: ImportJob) -> str:
    return _describe(job.summary or {})


# --- undo ----------------------------------------------------------------------------------------------


def _ledger_ids(job: ImportJob, table: str) -> sa.Select:
    return sa.select(ImportRecord.object_id).where(ImportRecord.job_id == job.id, ImportRecord.table_name == table)


def changes_since(job: ImportJob) -> list[str]:
    """Why the import can no longer be undone: what was changed or added since, in words.

    Every change goes through a service, and every service writes an audit entry: an entry about an
    imported record after the import's last one is a change. Records added since that hang off
    imported ones (an incident on an imported case) are found by the foreign keys: undoing would
    delete them too."""
    tables = list(
        db.session.scalars(sa.select(ImportRecord.table_name).where(ImportRecord.job_id == job.id).distinct())
    )
    reasons: list[str] = []
    imported = set(tables)
    for child in db.metadata.sorted_tables:
        if "id" not in child.c or child.name in NOT_CHECKED:
            continue
        for fk in child.foreign_keys:
            parent = fk.column.table.name
            if parent not in imported or fk.column.name != "id" or fk.parent.table is not child:
                continue
            added = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(child)
                .where(fk.parent.in_(_ledger_ids(job, parent)), child.c.id.not_in(_ledger_ids(job, child.name)))
            )
            if added:
                reasons.append(f"{added:,} {_plural(child.name)} were added to imported {_plural(parent)}")
    touched = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .join(
            ImportRecord,
            sa.and_(
                ImportRecord.job_id == job.id,
                AuditEntry.object_type == ImportRecord.table_name,
                AuditEntry.object_id == sa.cast(ImportRecord.object_id, sa.String),
            ),
        )
        .where(
            AuditEntry.id > (job.audit_mark or 0),
            AuditEntry.action.not_in([AuditAction.view, AuditAction.export]),
        )
    )
    if touched:
        reasons.append(f"{touched:,} changes were made to imported records")
    return reasons


#: Tables whose rows never stop an undo: the audit log (append-only), the import's own bookkeeping,
#: and deadlines (reminders change them, not people; they are deleted with their records).
NOT_CHECKED = {"import_records", "import_source_keys", "audit_entries", "deadlines"}


def _plural(table: str) -> str:
    return table.replace("_", " ")


def undo(actor: Any, job: ImportJob, expected_version: int | None = None) -> int:
    """Delete everything the import wrote, as a whole, if nothing it wrote has changed since."""
    _check_version(job, expected_version)
    if job.status != ImportStatus.imported:
        raise RuleViolation("Only a completed import can be undone.")
    reasons = changes_since(job)
    if reasons:
        raise RuleViolation(
            "This import can no longer be undone, because records it brought in have changed since: "
            + "; ".join(reasons)
            + "."
        )
    from casework.reminders.services import delete_deadlines_of

    tables = set(db.session.scalars(sa.select(ImportRecord.table_name).where(ImportRecord.job_id == job.id).distinct()))
    deleted = 0
    for name in tables:
        delete_deadlines_of(name, _ledger_ids(job, name))
    for table in reversed(db.metadata.sorted_tables):
        if table.name in tables:
            result = db.session.execute(sa.delete(table).where(table.c.id.in_(_ledger_ids(job, table.name))))
            deleted += rows_changed(result) or 0
    db.session.execute(sa.delete(ImportSourceKey).where(ImportSourceKey.job_id == job.id))
    db.session.execute(sa.delete(ImportRecord).where(ImportRecord.job_id == job.id))
    job.status = ImportStatus.undone
    job.undone_at = now()
    job.undone_by_id = actor.id
    db.session.flush()
    record(
        actor,
        AuditAction.delete,
        job,
        f"Undid the import of {job.filename}: {deleted:,} records deleted",
        {"deleted": deleted},
    )
    # Whatever the session still holds of the deleted rows is gone.
    db.session.expire_all()
    return deleted


# --- templates -----------------------------------------------------------------------------------------


def template(kind: ImportKind, file_format: str) -> IO[bytes]:
    """The layout as an empty sheet with its column names, and the example rows."""
    header = kind.layout.keys
    rows = [[example.get(key, "") for key in header] for example in kind.examples]
    return write_sheet(file_format, header, rows, title=kind.layout.title)


# --- retention ------------------------------------------------------------------------------------


def forget_source_keys(items: Mapping[str, Iterable[int]]) -> int:
    """Delete the source references (``import_source_keys``) of the records a retention run anonymised
    (``items``: table -> ids): ECINS's number for a person, a police log's reference for a complaint
    would still name the record in the source system, where it is known by name. A later import of
    the same reference brings it in as new. Returns how many went."""
    deleted = 0
    for table, ids in items.items():
        ordered = sorted(int(i) for i in ids)
        for start in range(0, len(ordered), 500):
            deleted += rows_changed(
                db.session.execute(
                    sa.delete(ImportSourceKey)
                    .where(
                        ImportSourceKey.table_name == table, ImportSourceKey.object_id.in_(ordered[start : start + 500])
                    )
                    .execution_options(synchronize_session=False)
                )
            )
    return deleted
