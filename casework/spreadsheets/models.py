"""Import jobs: the uploaded file, the column mapping, the dry run's problems, and a ledger of every
row an import wrote (so it can be undone as a whole) and of the source's own references (so the same
file imported twice changes nothing)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, VersionedMixin, enum_column
from casework.core.jobs import LeasedJobMixin
from casework.extensions import Model

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class ImportStatus(enum.StrEnum):
    #: The file is stored and its columns read; the user matches them to the layout.
    uploaded = "uploaded"
    #: The dry run is queued or running.
    checking = "checking"
    #: The dry run has finished (``problem_count`` says whether the file can be imported).
    checked = "checked"
    #: The real run is queued or running.
    importing = "importing"
    imported = "imported"
    #: The real run found problems (the data changed since the dry run) and wrote nothing.
    failed = "failed"
    undone = "undone"


class ImportJob(TimestampMixin, LeasedJobMixin, VersionedMixin, Model):
    __tablename__ = "import_jobs"
    __table_args__ = (sa.Index("ix_import_jobs_agency_created", "agency_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The import layout (``casework.spreadsheets.kinds``): people, cases, incidents, police_log, ...
    kind: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.uploaded)
    #: The importing user's agency: the source's references are its own.
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The name the file had on the user's computer, for display only (the file is stored by job id).
    #: A name can say whose records they are ("Smith family complaints.xlsx"): once the file's contents
    #: are deleted (``contents_deleted_at``) it is ``import-<id>.<format>``.
    filename: Mapped[str] = mapped_column(sa.String(255))
    file_format: Mapped[str] = mapped_column(sa.String(10))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: The file's column names, in order (emptied with the file's contents).
    header: Mapped[list[str]] = mapped_column(sa.JSON)
    #: Layout column key -> index of the file's column (or null: not in the file).
    mapping: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: Choices made on the upload page (the police agency of a police log, ...).
    options: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    rows_total: Mapped[int | None] = mapped_column(sa.Integer)
    rows_done: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    problem_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    #: What the run did or would do: {"created": {...}, "skipped": n, ...}.
    summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: The mapping the last clean dry run checked: the real run must use the same one.
    checked_mapping: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The last audit entry written when the import finished: a later entry about an imported record
    #: is a change since the import (ids, unlike clocks, only go up).
    audit_mark: Mapped[int | None] = mapped_column(sa.BigInteger)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: A failure that is not about a row (the worker stopped, the file could not be read). A fixed text,
    #: never the file's contents (what a row or the file holds is a problem, ``ImportProblem``).
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: When everything the job held of the file's contents was deleted (``delete_waiting_files``,
    #: ``CASEWORK_IMPORT_FILE_DAYS`` after the last step taken with it): the file if still held, the
    #: problems (which quote its cells), its column names and its name, and the personal values of the
    #: job's audit entries. The job itself stays (who, when, the counts, the ledger for undo).
    contents_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency = relationship("Agency")
    created_by = relationship("User", foreign_keys=[created_by_id])
    undone_by = relationship("User", foreign_keys=[undone_by_id])


class ImportFileChunk(Model):
    """The uploaded file, in pieces: stored in the database (so a worker on another machine reads it,
    and backups and access rules cover it) and read back a piece at a time. Deleted once imported."""

    __tablename__ = "import_file_chunks"

    job_id: Mapped[int] = mapped_column(sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class ImportProblem(Model):
    """A problem found in a row: the row number as the spreadsheet shows it, the column, the message.

    A message may quote the row's cells (a reference, a name, what a service said about them): the
    problems are deleted with the rest of the file's contents (``ImportJob.contents_deleted_at``)."""

    __tablename__ = "import_problems"
    __table_args__ = (sa.Index("ix_import_problems_job_row", "job_id", "row", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("import_jobs.id", ondelete="CASCADE"))
    row: Mapped[int | None] = mapped_column(sa.Integer)
    column: Mapped[str | None] = mapped_column(sa.String(200))
    message: Mapped[str] = mapped_column(sa.String(1000))


class ImportRecord(Model):
    """A row the import wrote (any table): what undoing the import deletes."""

    __tablename__ = "import_records"
    __table_args__ = (
        sa.Index("ix_import_records_job_table", "job_id", "table_name", "object_id"),
        sa.Index("ix_import_records_object", "table_name", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("import_jobs.id", ondelete="CASCADE"))
    table_name: Mapped[str] = mapped_column(sa.String(60))
    object_id: Mapped[int] = mapped_column(sa.BigInteger)


class ImportSourceKey(Model):
    """The source's own reference for a record it brought in (ECINS's case number, the police log's
    reference), per importing agency: a second import of the same reference is skipped."""

    __tablename__ = "import_source_keys"
    __table_args__ = (sa.UniqueConstraint("agency_id", "record_kind", "source_reference"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    #: What the reference names: person, case, incident, action, intervention, application, ...
    record_kind: Mapped[str] = mapped_column(sa.String(40))
    source_reference: Mapped[str] = mapped_column(sa.String(200))
    table_name: Mapped[str] = mapped_column(sa.String(60))
    object_id: Mapped[int] = mapped_column(sa.BigInteger)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), index=True)
